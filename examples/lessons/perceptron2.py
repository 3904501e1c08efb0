"""perceptron2.py of the lesson: the neuron on a batch of two samples, every derivative.

One ``adjoints`` call gives d(output)/d(name) for every parameter and local at once; ``of=``
chooses the output, as the first argument of ``tape.gradient`` does.
"""
import sys

import numpy as np

import adcompiler as adc


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def batch_cost(w1, w2, b, x11, x12, y1, x21, x22, y2):
    z1 = w1 * x11 + w2 * x12 + b
    p1 = sigmoid(z1)
    c1 = (p1 - y1) ** 2

    z2 = w1 * x21 + w2 * x22 + b
    p2 = sigmoid(z2)
    c2 = (p2 - y2) ** 2

    c = (c1 + c2) / 2
    return c


INPUTS = dict(w1=-0.2, w2=0.2, b=0.1, x11=0.5, x12=-0.3, y1=0.4, x21=0.2, x22=-0.4, y2=0.6)
PRINTED = [("c", "c1"), ("c", "c2"), ("c", "p1"), ("c", "p2"), ("p1", "z1"), ("p2", "z2"),
           ("z1", "w1"), ("z1", "w2"), ("z1", "b"), ("z2", "w1"), ("z2", "w2"), ("z2", "b"),
           ("c", "z1"), ("c", "z2"), ("c", "w1"), ("c", "w2"), ("c", "b")]


def results():
    """c and every derivative the lesson prints, keyed 'dc/dp1' etc."""
    args = [np.float32(v) for v in INPUTS.values()]
    out = {"c": batch_cost(*args)}
    for of in dict.fromkeys(of for of, _ in PRINTED):
        table = adc.adjoints(batch_cost, of=of)(*args)
        out.update({f"d{of}/d{name}": value for name, value in table.items()})
    return out


def main(argv=()):
    if "--show" in argv:
        adc.show(batch_cost, *[np.float32(v) for v in INPUTS.values()], wrt=("w1", "w2", "b"))
    values = results()
    for of, wrt in PRINTED:
        print(f"d{of}d{wrt}:", values[f"d{of}/d{wrt}"])


if __name__ == "__main__":
    main(sys.argv[1:])
