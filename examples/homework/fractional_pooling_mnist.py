"""Homework 2 of lesson 7: fractional max pooling (Graham 2014, arXiv 1412.6071) written from
scratch, used to classify MNIST. What is the error rate, and did the processing time get much
worse?

Fractional max pooling shrinks an image by a ratio α in (1, 2) (here √2) instead of 2: the
pooling regions are 1 or 2 pixels wide, their boundaries drawn at random (a shuffle of 1s and
2s) or pseudo-randomly (ceil(α(i + u)) - ceil(αu)), anew for every training batch. At test
time the prediction is the average over several draws. This program prints a few draws of the
boundaries along a 28-pixel axis, trains the zoo's (scaled) FMP network with the compiled step,
and reports its test error with one draw and with 12 (the paper's comparison), its seconds per
epoch, and those of LeNet-5 (max pooling) trained the same way.

Usage:
    python examples/homework/fractional_pooling_mnist.py [--data DIR] [--download]
        [--epochs 2] [--train-images N]

Without ``--data``, ``load_mnist`` looks in ``ADC_DATA_DIR`` and the user cache, downloads only
with ``--download``, and otherwise uses the 3,000-image sample shipped with adcompiler. The
results table of docs/results.md comes from ``adc train mnist --model fmp`` on the full data.
"""
import argparse

import numpy as np

from adcompiler.runtime import FractionalMaxPool2D, load_mnist, pooling_sequence, zoo
from timed_training import add_data_arguments, seconds_per_epoch, test_error


def show_draws():
    rng = np.random.default_rng(0)
    for kind, pseudo_random in (("random", False), ("pseudo-random", True)):
        for _ in range(2):
            sequence = pooling_sequence(28, 2 ** 0.5, pseudo_random, rng)
            print(f"{kind:>13}: steps {''.join(map(str, np.diff(sequence)))} "
                  f"({len(sequence) - 1} regions)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_arguments(parser)
    args = parser.parse_args()
    show_draws()
    data = load_mnist(args.data, download=args.download)
    fractional = zoo.fmp()
    seconds = seconds_per_epoch(fractional, data, args.epochs, args.train_images)
    errors = {}
    for draws in (1, 12):
        for layer in fractional.layers:
            if isinstance(layer, FractionalMaxPool2D):
                layer.test_draws = draws
        errors[draws] = test_error(fractional, data)
    print(f"FMP network: {seconds:.1f} s per epoch, test error {errors[1]:.2%} with one draw, "
          f"{errors[12]:.2%} averaged over 12")
    baseline = zoo.lenet5()
    base_seconds = seconds_per_epoch(baseline, data, args.epochs, args.train_images)
    print(f"LeNet-5 (baseline): {base_seconds:.1f} s per epoch, test error "
          f"{test_error(baseline, data):.2%}")
    print(f"the FMP network's epochs take {seconds / base_seconds:.1f} times the baseline's")


if __name__ == "__main__":
    main()
