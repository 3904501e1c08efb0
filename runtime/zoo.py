"""The networks the MNIST programs train: LeNet-5, a one-hidden-layer MLP, LeNet-5 with PConv
in place of its convolutions, and a fractional max-pooling network."""
from .layers import Conv2D, Dense, Flatten, FractionalMaxPool2D, Input, MaxPool2D
from .models import Sequential
from .pconv import PConv


def lenet5(seed=0, dtype="float32", convolution=Conv2D, name="lenet5"):
    """LeNet-5 for 28×28 digits: conv 5×5×6 SAME, relu, max-pool 2, conv 5×5×16 VALID, relu,
    max-pool 2, dense 120, relu, dense 84, relu, dense 10 with softmax; ``convolution`` the
    layer class of both convolutions."""
    return Sequential([Input((28, 28, 1)),
                       convolution(6, 5, padding="same", activation="relu"), MaxPool2D(2),
                       convolution(16, 5, padding="valid", activation="relu"), MaxPool2D(2),
                       Flatten(), Dense(120, activation="relu"), Dense(84, activation="relu"),
                       Dense(10, activation="softmax")], name=name, seed=seed, dtype=dtype)


def lenet5_pconv(seed=0, dtype="float32"):
    """LeNet-5 with PConv layers (a learnable power per input and output channel) as its
    convolutions."""
    return lenet5(seed, dtype, PConv, "lenet5_pconv")


def fmp(seed=0, dtype="float32", width=32, stages=5, ratio=2 ** 0.5, test_draws=12):
    """Graham's fractional max-pooling network for MNIST, scaled to a CPU: (width·n C2, relu,
    FMP ``ratio`` random overlapping) for n = 1..``stages``, then C2 and C1 of
    width·(stages + 1) channels with relu, and dense 10 with softmax; predictions average
    ``test_draws`` draws of the regions. The paper's, (32n C2 − FMP√2)×6 − C2 − C1 − output,
    has six stages; five fit the 28×28 digits without padding."""
    layers = [Input((28, 28, 1))]
    for n in range(1, stages + 1):
        layers += [Conv2D(width * n, 2, activation="relu"),
                   FractionalMaxPool2D(ratio, overlapping=True, test_draws=test_draws)]
    layers += [Conv2D(width * (stages + 1), 2, activation="relu"),
               Conv2D(width * (stages + 1), 1, activation="relu"), Flatten(),
               Dense(10, activation="softmax")]
    return Sequential(layers, name="fmp", seed=seed, dtype=dtype)


def mlp(seed=0, dtype="float32", hidden=128):
    """784-128-10: flatten, dense 128 with relu, dense 10 with softmax."""
    return Sequential([Input((28, 28, 1)), Flatten(), Dense(hidden, activation="relu"),
                       Dense(10, activation="softmax")], name="mlp", seed=seed, dtype=dtype)


MODELS = {"lenet": lenet5, "mlp": mlp, "pconv": lenet5_pconv, "fmp": fmp}
