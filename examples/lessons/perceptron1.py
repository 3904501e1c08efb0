"""perceptron1.py of the lesson: one sigmoid neuron with a squared error, scalar variables.

x1 = 0.5, x2 = -0.3, y = 0.4 (constants); w1 = -0.2, w2 = 0.2, b = 0.1 (the trained variables).
"""
import sys

import numpy as np

import adcompiler as adc


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def cost(w1, w2, b, x1, x2, y):
    z = w1 * x1 + w2 * x2 + b
    p = sigmoid(z)
    c = (p - y) ** 2
    return c


INPUTS = dict(w1=-0.2, w2=0.2, b=0.1, x1=0.5, x2=-0.3, y=0.4)


def results():
    args = [np.float32(v) for v in INPUTS.values()]
    dw1, dw2, db = adc.grad(cost, wrt=("w1", "w2", "b"))(*args)
    return {"c": cost(*args), "dc/dw1": dw1, "dc/dw2": dw2, "dc/db": db}


def main(argv=()):
    if "--show" in argv:
        adc.show(cost, *[np.float32(v) for v in INPUTS.values()], wrt=("w1", "w2", "b"))
    values = results()
    print("dcdw1:", values["dc/dw1"])
    print("dcdw2:", values["dc/dw2"])
    print("dcdb: ", values["dc/db"])


if __name__ == "__main__":
    main(sys.argv[1:])
