"""The 'figure F' homework: one neuron, z = w*x + b, p = sigmoid(z), c = (p - y)**2, at
x = 0.5, y = 0.4, w = -0.2, b = 0.7. Prints dc/dw and dc/db, and the chain of local derivatives
the back-propagation multiplies (dc/dp, dp/dz) so the hand computation can be checked."""
import sys

import numpy as np

import adcompiler as adc


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def neuron(w, b, x, y):
    z = w * x + b
    p = sigmoid(z)
    c = (p - y) ** 2
    return c


INPUTS = dict(w=-0.2, b=0.7, x=0.5, y=0.4)


def results():
    args = [np.float32(v) for v in INPUTS.values()]
    table = adc.adjoints(neuron)(*args)
    dp_dz = adc.grad(neuron, of="p", wrt="z")(*args)
    return {"c": neuron(*args), "dc/dw": table["w"], "dc/db": table["b"], "dc/dp": table["p"],
            "dp/dz": dp_dz, "dc/dz": table["z"]}


def main(argv=()):
    if "--show" in argv:
        adc.show(neuron, *[np.float32(v) for v in INPUTS.values()], wrt=("w", "b"))
    values = results()
    for key in ("c", "dc/dp", "dp/dz", "dc/dz", "dc/dw", "dc/db"):
        print(f"{key.replace('/', '')}:", values[key])


if __name__ == "__main__":
    main(sys.argv[1:])
