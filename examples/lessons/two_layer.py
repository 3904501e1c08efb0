"""regressao1.py (figure 7): two sigmoid hidden units and one output unit, squared error.

h1 = sigmoid(w1*x1 + w2*x2 + b1), h2 = sigmoid(w3*x1 + w4*x2 + b2), p = w5*h1 + w6*h2 + b3
(linear output; with --sigmoid the output goes through a sigmoid too), c = (p - y)**2.
Prints dc/dw1 ... dc/db3.
"""
import sys

import numpy as np

import adcompiler as adc


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def linear_output(w1, w2, w3, w4, w5, w6, b1, b2, b3, x1, x2, y):
    h1 = sigmoid(w1 * x1 + w2 * x2 + b1)
    h2 = sigmoid(w3 * x1 + w4 * x2 + b2)
    z3 = w5 * h1 + w6 * h2 + b3
    p = z3
    c = (p - y) ** 2
    return c


def sigmoid_output(w1, w2, w3, w4, w5, w6, b1, b2, b3, x1, x2, y):
    h1 = sigmoid(w1 * x1 + w2 * x2 + b1)
    h2 = sigmoid(w3 * x1 + w4 * x2 + b2)
    z3 = w5 * h1 + w6 * h2 + b3
    p = sigmoid(z3)
    c = (p - y) ** 2
    return c


PARAMETERS = ("w1", "w2", "w3", "w4", "w5", "w6", "b1", "b2", "b3")
INPUTS = dict(w1=-0.2, w2=0.5, w3=0.9, w4=-0.6, w5=0.2, w6=-0.4, b1=0.4, b2=-0.2, b3=-0.5,
              x1=0.6, x2=-0.3, y=1.0)


def results(network=linear_output):
    args = [np.float32(v) for v in INPUTS.values()]
    grads = adc.grad(network, wrt=PARAMETERS)(*args)
    out = {"c": network(*args)}
    out.update({f"dc/d{name}": g for name, g in zip(PARAMETERS, grads)})
    return out


def main(argv=()):
    network = sigmoid_output if "--sigmoid" in argv else linear_output
    if "--show" in argv:
        adc.show(network, *[np.float32(v) for v in INPUTS.values()], wrt=PARAMETERS)
    values = results(network)
    for name in PARAMETERS:
        print(f"dcd{name}:", values[f"dc/d{name}"])


if __name__ == "__main__":
    main(sys.argv[1:])
