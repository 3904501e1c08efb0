"""exponenc2.py: the custom layer Exponenc, multiplications traded for powers,
z_j = sum_i (x_i + 1e-6) ** W[i, j] + b[j] (the epsilon keeps 0 ** negative away)."""
import sys

import numpy as np

from adcompiler.runtime import Activation, Input, Layer, Sequential

from regression_common import run


class Exponenc(Layer):
    # only for 2 inputs and 2 outputs
    def __init__(self):
        super().__init__()
        self.num_outputs = 2

    def build(self, input_shape):
        self.W = np.array([[0.3, -0.8], [-0.4, 0.2]], dtype="float32")
        self.b = np.array([0, 0], dtype="float32")

    def call(self, inputs):
        # axis 0 (the ":") is the batch
        x = inputs + 1e-6
        z0 = x[:, 0] ** self.W[0, 0] + x[:, 1] ** self.W[1, 0] + self.b[0]
        z1 = x[:, 0] ** self.W[0, 1] + x[:, 1] ** self.W[1, 1] + self.b[1]
        z = np.stack([z0, z1], axis=1)
        return z


def model():
    net = Sequential()
    net.add(Input(shape=(2,)))
    net.add(Exponenc())
    net.add(Activation("sigmoid"))
    net.add(Exponenc())
    return net


def main(argv=()):
    return run(model(), argv, verbose=1 if "--progress" in argv else 0)


if __name__ == "__main__":
    main(sys.argv[1:])
