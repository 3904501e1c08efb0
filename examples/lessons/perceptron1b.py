"""perceptron1b.py of the lesson: the same neuron with vectors, z = tensordot(w, x, 1) + b."""
import sys

import numpy as np

import adcompiler as adc


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def cost(w, b, x, y):
    z = np.tensordot(w, x, 1) + b
    p = sigmoid(z)
    c = (p - y) ** 2
    return c


def inputs():
    return (np.array([-0.2, 0.2], np.float32), np.float32(0.1),
            np.array([0.5, -0.3], np.float32), np.float32(0.4))


def results():
    dw, db = adc.grad(cost, wrt=("w", "b"))(*inputs())
    locals_ = adc.adjoints(cost)(*inputs())
    z = np.tensordot(inputs()[0], inputs()[2], 1) + inputs()[1]
    return {"z": z, "c": cost(*inputs()), "dc/dw": dw, "dc/db": db,
            "dc/dz": locals_["z"], "dc/dp": locals_["p"]}


def main(argv=()):
    if "--show" in argv:
        adc.show(cost, *inputs(), wrt=("w", "b"))
    values = results()
    print("dcdw:", values["dc/dw"])
    print("dcdb:", values["dc/db"])


if __name__ == "__main__":
    main(sys.argv[1:])
