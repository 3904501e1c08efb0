"""from2.py (program 8): the custom layer MyDense with a matrix product, for any number of
inputs and outputs; weights by glorot_uniform, biases zeros."""
import sys

import numpy as np

from adcompiler.runtime import Activation, Input, Layer, Sequential

from regression_common import run


class MyDense(Layer):
    # works for any number of inputs and outputs
    def __init__(self, output_dim):
        super().__init__()
        self.num_outputs = output_dim

    def build(self, input_shape):
        self.W = self.add_weight("W", [input_shape[1], self.num_outputs],
                                 initializer="glorot_uniform")
        self.b = self.add_weight("b", [1, self.num_outputs], initializer="zeros")

    def call(self, inputs):
        z = np.matmul(inputs, self.W) + self.b
        return z


def model():
    net = Sequential()
    net.add(Input(shape=(2,)))
    net.add(MyDense(2))
    net.add(Activation("sigmoid"))
    net.add(MyDense(2))
    return net


def main(argv=()):
    return run(model(), argv, shuffle=True)


if __name__ == "__main__":
    main(sys.argv[1:])
