"""The chain-rule lesson (autodiff2.py): y = exp(sin(x**2)) at x = 2 and all six derivatives.

TensorFlow records the operations on a GradientTape and asks ``tape.gradient(y, u)``; here the
derivative of any local with respect to any other is a compiled function: ``grad(f, of, wrt)``.
Run ``python chain_rule.py --show`` to read the generated back-propagation.
"""
import sys

import numpy as np

import adcompiler as adc


def chain(x):
    v = x ** 2
    u = np.sin(v)
    y = np.exp(u)
    return y


DERIVATIVES = [("y", "u"), ("u", "v"), ("v", "x"), ("y", "v"), ("y", "x"), ("u", "x")]


def results(x=np.float32(2.0)):
    """The lesson's values: the intermediates and every derivative, as 'dy/du' etc."""
    out = {k: v for k, v in zip(("v", "u", "y"), (x ** 2, np.sin(x ** 2), chain(x)))}
    for of, wrt in DERIVATIVES:
        out[f"d{of}/d{wrt}"] = adc.grad(chain, of=of, wrt=wrt)(x)
    return out


def main(argv=()):
    x = np.float32(2.0)
    if "--show" in argv:
        adc.show(chain, x)
    values = results(x)
    for of, wrt in DERIVATIVES:
        print(f"d{of}d{wrt}:", values[f"d{of}/d{wrt}"])


if __name__ == "__main__":
    main(sys.argv[1:])
