"""from3.py (program 7): the custom layer MyDense written element by element, 2 inputs and 2
outputs, with the lesson's fixed initial weights; trained in order (shuffle=False), so QP is
TensorFlow's to float32 rounding."""
import sys

import numpy as np

from adcompiler.runtime import Activation, Input, Layer, Sequential

from regression_common import run


class MyDense(Layer):
    # only for 2 inputs and 2 outputs
    def __init__(self):
        super().__init__()
        self.num_outputs = 2

    def build(self, input_shape):
        self.W = np.array([[0.3, -0.8], [-0.4, 0.2]], dtype="float32")
        self.b = np.array([0, 0], dtype="float32")

    def call(self, inputs):
        # axis 0 (the ":") is the batch
        z0 = inputs[:, 0] * self.W[0, 0] + inputs[:, 1] * self.W[1, 0] + self.b[0]
        z1 = inputs[:, 0] * self.W[0, 1] + inputs[:, 1] * self.W[1, 1] + self.b[1]
        z = np.stack([z0, z1], axis=1)
        return z


def model():
    net = Sequential()
    net.add(Input(shape=(2,)))
    net.add(MyDense())
    net.add(Activation("sigmoid"))
    net.add(MyDense())
    return net


def main(argv=()):
    return run(model(), argv)


if __name__ == "__main__":
    main(sys.argv[1:])
