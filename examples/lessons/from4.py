"""from4.py: from3 with one scalar weight per variable, printing the values inside the layer
while it trains: compiled with run_eagerly=True, the generated code runs as Python."""
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
        if input_shape[1] != 2:
            sys.exit("Error: the input dimension must be 2")
        self.W00 = 0.3
        self.W01 = -0.8
        self.W10 = -0.4
        self.W11 = 0.2
        self.b0 = 0.0
        self.b1 = 0.0

    def call(self, inputs):
        # axis 0 (the ":") is the batch
        print("inputs=", inputs)
        z0 = inputs[:, 0] * self.W00 + inputs[:, 1] * self.W10 + self.b0
        z1 = inputs[:, 0] * self.W01 + inputs[:, 1] * self.W11 + self.b1
        z = np.stack([z0, z1], axis=1)
        print(" z=", z)
        return z


def model():
    net = Sequential()
    net.add(Input(shape=(2,)))
    net.add(MyDense())
    net.add(Activation("sigmoid"))
    net.add(MyDense())
    return net


def main(argv=()):
    print("<<<<<<< Training <<<<<<<<<<")
    return run(model(), argv, run_eagerly=True, between="<<<<<<< Test <<<<<<<<<<")


if __name__ == "__main__":
    main(sys.argv[1:])
