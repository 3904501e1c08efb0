"""conv1.py of the lesson: a convolution, relu, average pooling and MAE, and dc/dK.

The network is a plain Python function of runtime operations (NHWC input, HWIO kernel, as
TensorFlow); ``adjoints(net, of=...)`` gives d(of)/d(name) for every local at once, as
``tape.gradient(of, name)`` does (for an array ``of``, the gradient of its sum).
Run ``python conv1.py --show`` to read the generated back-propagation.
"""
import sys

import numpy as np

import adcompiler as adc
from adcompiler.runtime import avg_pool2d, conv2d, mae, relu

A = np.array([[0.4, 0.2, 0.7], [0.9, 0.1, 0.5]], np.float32).reshape(1, 2, 3, 1)
K = np.array([[0.3, -0.4], [-0.2, 0.5]], np.float32).reshape(2, 2, 1, 1)
Y = np.full((1, 1, 1, 1), 0.01, np.float32)


def net(A, K, y):
    F = conv2d(A, K, strides=1, padding="VALID")
    G = relu(F)
    p = avg_pool2d(G, (1, 2), (1, 1), "VALID")
    c = mae(y, p)
    return c


PRINTED = [("c", "p"), ("p", "G"), ("G", "F"), ("F", "K"), ("c", "K"), ("c", "G"), ("c", "F")]


def results():
    """F, G, p, c and every derivative the lesson prints, keyed 'dc/dK' etc."""
    F = conv2d(A, K, padding="VALID")
    G = relu(F)
    p = avg_pool2d(G, (1, 2), (1, 1), "VALID")
    out = {"F": F, "G": G, "p": p, "c": net(A, K, Y)}
    for of in dict.fromkeys(of for of, _ in PRINTED):
        table = adc.adjoints(net, of=of)(A, K, Y)
        out.update({f"d{of}/d{name}": value for name, value in table.items()})
    return out


def main(argv=()):
    if "--show" in argv:
        adc.show(net, A, K, Y, wrt="K")
    values = results()
    for name in ("F", "G", "p", "c"):
        print(name, np.ravel(values[name]))
    for of, wrt in PRINTED:
        value = values[f"d{of}/d{wrt}"]
        print(f"d{of}d{wrt}:", value.reshape(2, 2) if value.size == 4 else np.ravel(value))


if __name__ == "__main__":
    main(sys.argv[1:])
