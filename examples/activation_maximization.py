"""Activation maximization: what does an MNIST classifier think each digit looks like?

The exercise: train a classifier (or load its weights), then turn the usual training around.
Training changes the weights to fit the images; here the weights stay fixed and the *image*
changes. For each digit 0..9 we start from random noise and take gradient-ascent steps on

    objective(image) = log p(digit | image) - l2 * sum(image ** 2)

clipping the pixels to [0, 1] after each step. The L2 term keeps the image from filling up with
bright pixels the classifier ignores. The gradient with respect to the image comes from
``adcompiler.grad`` of a plain Python function: the network's forward pass written with the
runtime's kernels (``dense``, ``conv2d``, ``max_pool2d``, ``relu``, ``flatten``) and the
weights ``model.get_weights()`` returns, so nobody writes its derivative by hand.

The result is a grid of ten images and the model's confidence (its softmax probability) that
each one is the digit it was made for. They rarely look like handwriting: they show what the
network responds to, not what a digit is.

Usage:
    python examples/activation_maximization.py [--model mlp|lenet] [--data DIR] [--download]
        [--epochs 2] [--weights PATH.npz] [--steps 200] [--out activation_maximization.png]

``--data`` is a directory holding the four MNIST .gz files; without it ``load_mnist`` looks in
``ADC_DATA_DIR`` and the user cache, downloads them only with ``--download``, and otherwise
uses the 3,000-image sample shipped with adcompiler. With ``--weights``, weights are loaded
from that file if it exists, else the trained weights are saved there. Needs matplotlib.
"""
import argparse
import os
import sys
import time

import numpy as np

import adcompiler as adc
from adcompiler.runtime import (Adam, conv2d, dense, flatten, load_mnist, log_softmax,
                                max_pool2d, relu, softmax, zoo)


def mlp_logits(weights, image):
    """zoo.mlp() without its final softmax: flatten, dense 128 relu, dense 10. ``weights`` is
    ``model.get_weights()`` as a tuple: each layer's kernel, then its bias (indexed rather than
    unpacked: adcompiler refuses ``a, b = weights`` in a function the objective calls)."""
    h = relu(dense(flatten(image), weights[0], weights[1]))
    return dense(h, weights[2], weights[3])


def lenet_logits(weights, image):
    """zoo.lenet5() without its final softmax."""
    h = relu(conv2d(image, weights[0], 1, "SAME") + weights[1])
    h = max_pool2d(h, 2, 2, "VALID")
    h = relu(conv2d(h, weights[2], 1, "VALID") + weights[3])
    h = max_pool2d(h, 2, 2, "VALID")
    h = relu(dense(flatten(h), weights[4], weights[5]))
    h = relu(dense(h, weights[6], weights[7]))
    return dense(h, weights[8], weights[9])


MODELS = {"mlp": (zoo.mlp, mlp_logits), "lenet": (zoo.lenet5, lenet_logits)}


def make_objective(logits):
    """The function of the image we climb: the log-probability of ``digit`` minus an L2
    penalty. ``weights`` is a tuple of arrays: adcompiler passes it leaf by leaf, and only the
    image (``wrt="image"``) gets a gradient."""
    def objective(image, weights, digit, l2):
        log_p = log_softmax(logits(weights, image))
        return log_p[0, digit] - l2 * np.sum(image * image)
    return objective


def trained_model(args):
    build, _ = MODELS[args.model]
    model = build(seed=0)
    if args.weights and os.path.exists(args.weights):
        model.load_weights(args.weights)
        print(f"loaded the weights from {args.weights}")
        return model
    data = load_mnist(args.data, download=args.download)
    model.compile(optimizer=Adam(learning_rate=0.001), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(data.x_train, data.y_train, epochs=args.epochs, batch_size=64, verbose=2)
    _, accuracy = model.evaluate(data.x_test, data.y_test)
    print(f"test accuracy {accuracy:.3f} on {len(data.x_test):,} images")
    if args.weights:
        model.save_weights(args.weights)
        print(f"saved the weights to {args.weights}")
    return model


def maximize(step, weights, digit, rng, steps, learning_rate, l2):
    """Gradient ascent on the image, from seeded noise, pixels kept in [0, 1]."""
    image = rng.uniform(0.0, 0.2, (1, 28, 28, 1)).astype(np.float32)
    for _ in range(steps):
        _, gradient = step(image, weights, digit, l2)
        image = np.clip(image + learning_rate * gradient, 0.0, 1.0)
    return image


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=sorted(MODELS), default="mlp")
    parser.add_argument("--data", help="directory holding the MNIST .gz files")
    parser.add_argument("--download", action="store_true", help="allow downloading MNIST")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--weights", help=".npz file: loaded if it exists, else written")
    parser.add_argument("--steps", type=int, default=200, help="gradient steps per digit")
    parser.add_argument("--learning-rate", type=float, default=0.1)
    parser.add_argument("--l2", type=float, default=0.001)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="activation_maximization.png")
    args = parser.parse_args(argv)
    try:                                # checked first: no training for nothing
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("this example draws its images with matplotlib: pip install matplotlib")
    start = time.perf_counter()

    model = trained_model(args)
    weights = tuple(model.get_weights())
    logits = MODELS[args.model][1]
    probe = np.random.default_rng(1).random((8, 28, 28, 1), dtype=np.float32)
    np.testing.assert_allclose(softmax(logits(weights, probe)), model.predict(probe),
                               atol=1e-5, err_msg="the forward pass is not the model's")

    step = adc.value_and_grad(make_objective(logits), wrt="image")
    rng = np.random.default_rng(args.seed)
    images = np.concatenate([maximize(step, weights, digit, rng, args.steps,
                                      args.learning_rate, args.l2) for digit in range(10)])
    confidence = model.predict(images)              # the model's own softmax outputs
    for digit in range(10):
        print(f"digit {digit}: confidence {confidence[digit, digit]:.4f} "
              f"(predicted {np.argmax(confidence[digit])})")

    figure, axes = plt.subplots(2, 5, figsize=(10, 5.2))
    for digit, ax in enumerate(axes.flat):
        ax.imshow(images[digit, :, :, 0], cmap="gray", vmin=0.0, vmax=1.0)
        ax.set_title(f"{digit}: p = {confidence[digit, digit]:.3f}")
        ax.axis("off")
    figure.suptitle(f"Activation maximization, {model.name}")
    figure.tight_layout()
    figure.savefig(args.out, dpi=100)
    print(f"wrote {args.out} ({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
