"""Training time per epoch of the homework networks against the LeNet-5 baseline, in one run.

The zoo's LeNet-5 (max pooling, the baseline), LeNet-5 with PConv layers in place of its
convolutions (``--model pconv``) and the fractional max-pooling network (``--model fmp``) each
train, as ``adc train mnist`` does (Adam, batch 64, float32, sparse categorical
cross-entropy), on the same 6,400 synthetic MNIST-shaped images: one warm-up ``fit`` that
compiles the step, then the median of --repeats timed ``fit`` calls of one epoch over them. A
full epoch's seconds are that time scaled to the 55,000 images ``adc train mnist`` trains on
(60,000 less 5,000 held out to validate); the ratio column is each network's time over the
baseline's ("did the processing time get much worse?"). Prediction time (the fractional
network averages 12 draws of its pooling regions) is measured the same way on 2,000 images.

Usage: python benchmarks/homework.py [--repeats 3]
"""
import argparse

import numpy as np

from adcompiler.runtime import Adam, zoo
from kernels import median_time         # warmed up, then the median of timed calls

IMAGES, EPOCH_IMAGES, PREDICTED, BATCH = 6400, 55_000, 2000, 64
NAMES = {"lenet": "LeNet-5 (max pooling, baseline)", "pconv": "LeNet-5 with PConv",
         "fmp": "fractional max pooling (FMP √2)"}


def timings(name, x, y, repeats):
    """(seconds per epoch of training, seconds per 10,000 predictions)."""
    model = zoo.MODELS[name](seed=0)
    model.compile(optimizer=Adam(learning_rate=1e-3), loss="sparse_categorical_crossentropy")
    fit = median_time(lambda: model.fit(x, y, epochs=1, batch_size=BATCH, verbose=0),
                      repeats)
    predict = median_time(lambda: model.predict(x[:PREDICTED], batch_size=1000), repeats)
    return fit * EPOCH_IMAGES / IMAGES, predict * 10_000 / PREDICTED


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    x = rng.random((IMAGES, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, IMAGES)
    results = {name: timings(name, x, y, args.repeats) for name in NAMES}
    base_fit, base_predict = results["lenet"]
    print(f"medians of {args.repeats} runs; an epoch is {EPOCH_IMAGES:,} images at batch "
          f"{BATCH}\n")
    print("| network | training (s per epoch) | × baseline | prediction (s per 10,000 "
          "images) | × baseline |")
    print("|---|---:|---:|---:|---:|")
    for name, (fit, predict) in results.items():
        print(f"| {NAMES[name]} | {fit:.1f} | {fit / base_fit:.1f} | {predict:.2f} | "
              f"{predict / base_predict:.1f} |")


if __name__ == "__main__":
    main()
