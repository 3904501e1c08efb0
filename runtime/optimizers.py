"""Optimizers, as Keras defines them. Each writes its update as source lines of the compiled
training step (training.py): ``step_lines`` once per step, ``update_lines`` once per weight,
in terms of the weight ``w``, its gradient ``w_bar`` and its state arrays (``slots``). Its
hyperparameters are arguments of the step, so changing the learning rate recompiles nothing.

An array weight is updated by a kernel below, one loop over its elements (numba compiles it
once per rank and dtype and caches it, where array expressions in the step would be compiled
again in every network's step, slowly); a scalar weight by the same formula written inline.
"""
import numpy as np
from numba import njit


@njit(cache=True)
def sgd_update(w, g, learning_rate):
    """w -= learning_rate * g, in place."""
    w, g = w.reshape(w.size), g.reshape(g.size)
    for i in range(w.size):
        w[i] = w[i] - learning_rate * g[i]


@njit(cache=True)
def momentum_update(w, g, velocity, learning_rate, momentum):
    """velocity = momentum * velocity - learning_rate * g; w += velocity, in place."""
    w, g, velocity = w.reshape(w.size), g.reshape(g.size), velocity.reshape(velocity.size)
    for i in range(w.size):
        velocity[i] = momentum * velocity[i] - learning_rate * g[i]
        w[i] = w[i] + velocity[i]


@njit(cache=True)
def adam_update(w, g, m, v, alpha, beta_1, beta_2, epsilon):
    """Adam's moments and step (alpha: the step's bias-corrected rate), in place."""
    w, g, m, v = w.reshape(w.size), g.reshape(g.size), m.reshape(m.size), v.reshape(v.size)
    for i in range(w.size):
        m[i] = m[i] + (g[i] - m[i]) * (1.0 - beta_1)
        v[i] = v[i] + (g[i] * g[i] - v[i]) * (1.0 - beta_2)
        w[i] = w[i] - alpha * m[i] / (np.sqrt(v[i]) + epsilon)


class Optimizer:
    slots = ()                  # names of the state arrays each weight gets (zeros at first)
    kernels = ()                # the update kernels its lines call
    hyperparameters = ()        # names of the step's arguments this optimizer reads

    def values(self):
        """The hyperparameters' current values."""
        return [float(getattr(self, name)) for name in self.hyperparameters]

    def step_lines(self):
        return []


class SGD(Optimizer):
    """Stochastic gradient descent: ``w -= learning_rate * g``; with ``momentum``,
    ``v = momentum * v - learning_rate * g; w += v``."""

    hyperparameters = ("learning_rate", "momentum")

    def __init__(self, learning_rate=0.01, momentum=0.0):
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"momentum must be in [0, 1]; got {momentum}")
        self.learning_rate, self.momentum = learning_rate, momentum
        self.slots = ("velocity",) if momentum else ()

    kernels = ("sgd_update", "momentum_update")

    def update_lines(self, w, g, slots, scalar):
        if not self.slots:
            return [f"{w}[...] = {w} - learning_rate * {g}" if scalar else
                    f"sgd_update({w}, {g}, learning_rate)"]
        v = slots["velocity"]
        if not scalar:
            return [f"momentum_update({w}, {g}, {v}, learning_rate, momentum)"]
        return [f"{v}[...] = momentum * {v} - learning_rate * {g}",
                f"{w}[...] = {w} + {v}"]


class Adam(Optimizer):
    """Adam (Kingma and Ba) as Keras computes it: ``m += (g - m) (1 - beta_1)``,
    ``v += (g² - v) (1 - beta_2)``, ``w -= alpha m / (sqrt(v) + epsilon)`` with
    ``alpha = learning_rate sqrt(1 - beta_2^t) / (1 - beta_1^t)`` at step t."""

    slots = ("m", "v")
    hyperparameters = ("learning_rate", "beta_1", "beta_2", "epsilon")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        self.learning_rate, self.beta_1, self.beta_2 = learning_rate, beta_1, beta_2
        self.epsilon = epsilon

    def step_lines(self):
        return ["iterations[0] += 1",
                "t = iterations[0]",
                "alpha = learning_rate * np.sqrt(1.0 - beta_2 ** t) / (1.0 - beta_1 ** t)"]

    kernels = ("adam_update",)

    def update_lines(self, w, g, slots, scalar):
        m, v = slots["m"], slots["v"]
        if not scalar:
            return [f"adam_update({w}, {g}, {m}, {v}, alpha, beta_1, beta_2, epsilon)"]
        return [f"{m}[...] = {m} + ({g} - {m}) * (1.0 - beta_1)",
                f"{v}[...] = {v} + ({g} * {g} - {v}) * (1.0 - beta_2)",
                f"{w}[...] = {w} - alpha * {m} / (np.sqrt({v}) + epsilon)"]


NAMED = {"sgd": SGD, "adam": Adam}


def get(optimizer):
    """An optimizer from its name (with Keras' defaults) or itself."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, str) and optimizer.lower() in NAMED:
        return NAMED[optimizer.lower()]()
    raise ValueError(f"unknown optimizer {optimizer!r}: use 'sgd', 'adam', SGD(...) or Adam(...)")
