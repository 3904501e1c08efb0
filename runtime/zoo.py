"""The networks the MNIST programs train: LeNet-5 and a one-hidden-layer MLP."""
from .layers import Conv2D, Dense, Flatten, Input, MaxPool2D
from .models import Sequential


def lenet5(seed=0, dtype="float32"):
    """LeNet-5 for 28×28 digits: conv 5×5×6 SAME, relu, max-pool 2, conv 5×5×16 VALID, relu,
    max-pool 2, dense 120, relu, dense 84, relu, dense 10 with softmax."""
    return Sequential([Input((28, 28, 1)),
                       Conv2D(6, 5, padding="same", activation="relu"), MaxPool2D(2),
                       Conv2D(16, 5, padding="valid", activation="relu"), MaxPool2D(2),
                       Flatten(), Dense(120, activation="relu"), Dense(84, activation="relu"),
                       Dense(10, activation="softmax")], name="lenet5", seed=seed, dtype=dtype)


def mlp(seed=0, dtype="float32", hidden=128):
    """784-128-10: flatten, dense 128 with relu, dense 10 with softmax."""
    return Sequential([Input((28, 28, 1)), Flatten(), Dense(hidden, activation="relu"),
                       Dense(10, activation="softmax")], name="mlp", seed=seed, dtype=dtype)


MODELS = {"lenet": lenet5, "mlp": mlp}
