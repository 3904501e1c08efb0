"""Optimizers, as Keras defines them. Each writes its update as source lines of the compiled
training step (training.py): ``step_lines`` once per step, ``update_lines`` once per weight,
in terms of the weight ``w``, its gradient ``w_bar`` and its state arrays (``slots``). Its
hyperparameters are arguments of the step, so changing the learning rate recompiles nothing.
"""


class Optimizer:
    slots = ()                  # names of the state arrays each weight gets (zeros at first)
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

    def update_lines(self, w, g, slots):
        if not self.slots:
            return [f"{w}[...] = {w} - learning_rate * {g}"]
        v = slots["velocity"]
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

    def update_lines(self, w, g, slots):
        m, v = slots["m"], slots["v"]
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
