"""from1.py (program 6): a 2-2-2 regression network of Keras layers, Dense -> sigmoid -> Dense,
trained by SGD (learning rate 1) on two samples for 120 epochs; prints QX and QP.

The initial weights are drawn by glorot_uniform (seed 0), so QP's last two rows differ from
TensorFlow's draw; the first two reach the targets.
"""
import sys

from adcompiler.runtime import Activation, Dense, Input, Sequential

from regression_common import run


def model():
    net = Sequential()
    net.add(Input(shape=(2,)))
    net.add(Dense(2))
    net.add(Activation("sigmoid"))
    net.add(Dense(2))
    return net


def main(argv=()):
    return run(model(), argv, shuffle=True)


if __name__ == "__main__":
    main(sys.argv[1:])
