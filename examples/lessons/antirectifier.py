"""The antirectifier exercise: program 6 (from1) with Keras' antirectifier in place of the
sigmoid. The layer centers its inputs, keeps the positive and the negative parts side by side
(twice the width) and mixes them back with a kernel of its own.

Nothing bounds the hidden values any more, and the lesson's learning rate of 1 makes the
training diverge: the loss overflows within a few epochs, and fit stops, saying where. With a
learning rate of 0.1 the network learns the two samples."""
import sys

import numpy as np

from adcompiler.runtime import Dense, Input, Layer, NonFiniteLoss, Sequential, relu

from regression_common import run, train_and_query


class Antirectifier(Layer):
    def __init__(self, initializer="he_normal"):
        super().__init__()
        self.initializer = initializer

    def build(self, input_shape):
        output_dim = input_shape[-1]
        self.kernel = self.add_weight("kernel", (output_dim * 2, output_dim),
                                      initializer=self.initializer)

    def call(self, inputs):
        inputs = inputs - np.mean(inputs, axis=-1, keepdims=True)
        pos = relu(inputs)
        neg = relu(-inputs)
        concatenated = np.concatenate((pos, neg), axis=-1)
        mixed = np.matmul(concatenated, self.kernel)
        return mixed


def model():
    net = Sequential()
    net.add(Input(shape=(2,)))
    net.add(Dense(2))
    net.add(Antirectifier())
    net.add(Dense(2))
    return net


def main(argv=()):
    try:
        train_and_query(model(), shuffle=True)
    except NonFiniteLoss as error:      # no sigmoid bounds the outputs: learning rate 1 diverges
        print(error)
    print("With learning rate 0.1:")
    return run(model(), argv, shuffle=True, learning_rate=0.1)


if __name__ == "__main__":
    main(sys.argv[1:])
