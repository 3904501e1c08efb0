"""Homework 1 of lesson 7: a PConv layer (the counter-harmonic mean of each window,
PConv(f; w, P) = conv(f^(P+1), w) / conv(f^P, w)) in place of LeNet-5's convolutions, trained on
MNIST. What is the error rate, and did the processing time get much worse?

``PConv`` (adcompiler/runtime/pconv.py) is an ordinary layer whose ``call`` is NumPy and the
runtime's ``depthwise_conv2d``: nobody wrote its backward pass. This program first checks the
gradient adcompiler derives for it (with respect to the inputs f, the weights w and the powers
P) against central finite differences, then trains LeNet-5 with PConv and, for comparison, the
plain LeNet-5, printing each one's seconds per epoch and test error, and what the powers
learned: P > 0 a pseudo-dilation, P < 0 a pseudo-erosion.

Usage:
    python examples/homework/pconv_mnist.py [--data DIR] [--download] [--epochs 2]
        [--train-images N] [--lr 0.01]

Without ``--data``, ``load_mnist`` looks in ``ADC_DATA_DIR`` and the user cache, downloads only
with ``--download``, and otherwise uses the 3,000-image sample shipped with adcompiler. The
results table of docs/results.md comes from ``adc train mnist --model pconv`` on the full data.
"""
import argparse

import numpy as np

import adcompiler as adc
from adcompiler.runtime import Input, PConv, Sequential, load_mnist, zoo
from adcompiler.runtime.layer_functions import layer_function
from timed_training import add_data_arguments, seconds_per_epoch, test_error


def check_derivatives():
    """PConv's gradient with respect to f, w and P (and the bias) against finite differences,
    on a small float64 case."""
    layer = PConv(2, 3, padding="same")
    Sequential([Input((5, 5, 2)), layer], dtype="float64").build()
    pconv, _ = layer_function(layer)
    rng = np.random.default_rng(0)
    f = rng.uniform(0.1, 1.0, (2, 5, 5, 2))

    def objective(kernel, power, bias, f):
        return np.sum(np.sin(pconv(kernel, power, bias, f)))
    assert adc.check_grad(objective, *layer.weights, f, wrt=(0, 1, 2, 3), rtol=1e-5)
    print("gradient with respect to f, w, P and the bias: matches finite differences")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_arguments(parser)
    parser.add_argument("--lr", type=float, default=1e-2,
                        help="PConv network's learning rate (LeNet-5's is 0.001)")
    args = parser.parse_args()
    check_derivatives()
    data = load_mnist(args.data, download=args.download)
    results = {}
    for name, model, rate in (("LeNet-5 with PConv", zoo.lenet5_pconv(), args.lr),
                              ("LeNet-5 (baseline)", zoo.lenet5(), 1e-3)):
        seconds = seconds_per_epoch(model, data, args.epochs, args.train_images, rate)
        error = test_error(model, data)
        results[name] = seconds
        print(f"{name}: {seconds:.1f} s per epoch, test error {error:.2%}")
        if "PConv" in name:
            for layer in model.layers:
                if isinstance(layer, PConv):
                    print(f"  {layer.name}: {np.sum(layer.power > 0)} of {layer.power.size} "
                          f"powers dilate (P > 0), P from {layer.power.min():.1f} to "
                          f"{layer.power.max():.1f}")
    ratio = results["LeNet-5 with PConv"] / results["LeNet-5 (baseline)"]
    print(f"PConv's epochs take {ratio:.1f} times the baseline's")


if __name__ == "__main__":
    main()
