"""What ``Sequential.compile`` makes: the training loop around the compiled step (shuffling,
progress bars, validation, stopping at a non-finite loss), prediction and evaluation."""
import numpy as np
from tqdm.auto import tqdm

import adcompiler as adc

from .losses import sparse_categorical_crossentropy as LABELS_LOSS
from .training import TrainingStep


PREDICTION_VALUES = 1 << 19     # when predicting, the most values a layer's output holds per call


class NonFiniteLoss(FloatingPointError):
    """The loss became inf or nan; training stopped before that step's update."""


class History:
    """What ``fit`` returns: ``history`` maps "loss" (and "val_loss", "val_accuracy", ...) to a
    value per epoch."""

    def __init__(self):
        self.epoch, self.history = [], {}

    def add(self, epoch, logs):
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)


class Fitter:
    def __init__(self, model, optimizer, loss, metrics, eager):
        self.model, self.optimizer, self.loss = model, optimizer, loss
        self.metrics, self.eager = metrics, eager
        self._steps = {}
        self._gradient = None
        self._targets = None            # a row of the last fit's targets
        self._slots = None
        self._iterations = np.zeros(1, np.int64)

    # ---------------------------------------------------------------- compiled pieces
    def network(self):
        """The model's network, written again if a global number or function its layers read
        has been rebound since it was compiled."""
        network = self.model.network_for(self.loss)
        if self._gradient is not None and self._gradient[0] is network \
                and self._gradient[1].target.changed() is not None:
            network = self.model.network_for(self.loss, again=True)
        return network

    def gradient(self, network):
        """adcompiler's value_and_grad of the network's loss, with respect to every weight."""
        if self._gradient is None or self._gradient[0] is not network:
            self._gradient = (network, adc.value_and_grad(
                network.training_loss, wrt=tuple(network.weight_names), jit=not self.eager))
        return self._gradient[1]

    def step_for(self, x, y):
        key = (x.dtype, x.ndim, y.dtype, y.ndim)
        network = self.network()
        step = self._steps.get(key)
        if step is None or step.network is not network:
            step = self._steps[key] = TrainingStep(network, self.gradient(network),
                                                   self.optimizer, x, y, not self.eager)
            self._targets = y[:1]
        return step

    def _network_function(self, network):
        """``(network, the global arrays it reads)``: the compiled (or, run eagerly, Python)
        primal in the gradient's module, compiled for the targets of the last fit (else float
        ones), and the current values of the arrays it takes after the inputs."""
        model = self.model
        targets = self._targets if self._targets is not None else \
            np.zeros((1,) + model.layers[-1].output_shape, model.dtype)
        gradient = self.gradient(network)
        example = network.arguments(model.dtype) + [
            np.zeros((1,) + model.input_shape, model.dtype), targets] + gradient.hidden_values()
        _, _, module = gradient.compiled(gradient.kinds(example))
        primal = next(c for c in gradient.program.callees if c.parsed.func is network.network)
        return module.network, [reader() for _, reader in primal.hidden.values()]

    # ---------------------------------------------------------------- training
    def targets(self, y, rows):
        """``y`` checked: integer labels for sparse_categorical_crossentropy, else floats in
        the model's dtype."""
        return check_data(self.model, y, "y", rows=rows, labels=self.loss is LABELS_LOSS)

    def fit(self, x, y, epochs, batch_size, shuffle, validation_data, verbose, initial_epoch):
        model = self.model
        x = check_data(model, x, "x")
        y = self.targets(y, len(x))
        if len(x) == 0:
            raise ValueError(f"{model.name}: fit needs at least one sample")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1; got {batch_size}")
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise ValueError("validation_data is (x, y)")
            validation_x = check_data(model, validation_data[0], "x")
            validation_y = self.targets(validation_data[1], len(validation_x))
        step = self.step_for(x, y)
        samples = len(x)
        steps = -(-samples // batch_size)
        sizes = np.full(steps, batch_size, np.float64)
        sizes[-1] = samples - batch_size * (steps - 1)
        history = History()
        for epoch in range(initial_epoch, epochs):
            order = model.rng.permutation(samples) if shuffle else np.arange(samples)
            losses = np.zeros(steps)
            seed = int(model.rng.integers(2 ** 31))
            bar = tqdm(total=steps, desc=f"Epoch {epoch + 1}/{epochs}", unit="step",
                       leave=True, disable=verbose != 1)
            done = 0
            chunk = steps if verbose != 1 else max(1, steps // 50)
            while done < steps:
                last = min(steps, done + chunk)
                stopped = self.run_steps(step, x, y, order, batch_size, done, last, seed,
                                         losses)
                if stopped < last:
                    bar.close()
                    raise self._non_finite(epoch, stopped, order, batch_size, x, losses)
                bar.update(last - done)
                running = np.dot(losses[:last], sizes[:last]) / sizes[:last].sum()
                bar.set_postfix(loss=f"{running:.4g}")
                done = last
            bar.close()
            logs = {"loss": float(np.dot(losses, sizes) / samples)}
            if validation_data is not None:
                values = self.evaluated(validation_x, validation_y, max(batch_size, 256))
                names = ["loss", *self.metrics]
                values = values if isinstance(values, list) else [values]
                logs.update({f"val_{n}": v for n, v in zip(names, values)})
            if verbose == 2:
                print(f"Epoch {epoch + 1}/{epochs} - " + " - ".join(
                    f"{k}: {v:.4g}" for k, v in logs.items()))
            elif verbose == 1 and len(logs) > 1:
                print(" - ".join(f"{k}: {v:.4g}" for k, v in logs.items()))
            history.add(epoch, logs)
        return history

    def run_steps(self, step, x, y, order, batch_size, first, last, seed, losses):
        """Steps ``first..last-1`` of an epoch taking the samples in ``order``; returns the
        first step whose loss is not finite, or ``last``."""
        network = step.network
        weights = network.weight_values()
        slots = self._slot_arrays(network, weights)
        hyper = [np.array(v, dtype=self.model.dtype)[()] for v in self.optimizer.values()]
        return step.function(*weights, *slots, *network.constant_values(), self._iterations,
                             x, y, order, batch_size, first, last, seed, *hyper, losses,
                             *step.gradient.hidden_values())

    def warm_up(self, x, y):
        """Compile the training step and prediction for data like ``x``, ``y``: the step runs
        for no batch, changing nothing."""
        y = self.targets(y, len(x))
        self.run_steps(self.step_for(x, y), x, y, np.arange(len(x)), 1, 0, 0, 0, np.zeros(1))
        self.predict(x, 1)

    def optimizer_state(self):
        """The optimizer's state as arrays: "iterations" (its step count) and, after the
        first fit, ``<k>/<slot>`` for each state array of weight k (Adam's m, v), numbered as
        ``model.weights`` orders them, so that a model built again reads them back."""
        state = {"iterations": self._iterations}
        if self._slots:
            position = {w: k for k, w in enumerate(self.network().weight_names)}
            state.update({f"{position[w]}/{s}": a for (w, s), a in self._slots.items()})
        return state

    def set_optimizer_state(self, state):
        """Continue from ``optimizer_state()``'s arrays (copied in, shapes checked)."""
        network = self.network()
        self._slot_arrays(network, network.weight_values())
        wanted = self.optimizer_state()
        if set(state) != set(wanted):
            raise ValueError(f"the optimizer state does not fit {type(self.optimizer).__name__}"
                             f" on {self.model.name}: missing {sorted(set(wanted) - set(state))}"
                             f", not its own {sorted(set(state) - set(wanted))}")
        for key, array in wanted.items():
            if np.shape(state[key]) != array.shape:
                raise ValueError(f"optimizer state {key} has shape {np.shape(state[key])}; "
                                 f"the model's is {array.shape}")
            array[...] = state[key]

    def _slot_arrays(self, network, weights):
        """The optimizer's state arrays, kept from one fit to the next."""
        names = [(w, s) for w in network.weight_names for s in self.optimizer.slots]
        if self._slots is None or list(self._slots) != names:
            likes = [w for w in weights for _ in self.optimizer.slots]
            self._slots = {name: np.zeros_like(w) for name, w in zip(names, likes)}
        return list(self._slots.values())

    def _non_finite(self, epoch, step, order, batch_size, x, losses):
        """The error for a non-finite loss, naming the first layer whose outputs on that
        batch are not finite."""
        rows = order[step * batch_size:(step + 1) * batch_size]
        cause = "every layer's outputs on that batch are finite, the loss is not"
        with np.errstate(all="ignore"):
            for layer, h in self.model.layer_outputs(x[rows]):
                if not np.all(np.isfinite(h)):
                    cause = (f"layer {layer.name!r} ({type(layer).__name__}) is the first "
                             "whose outputs on that batch are not finite")
                    break
        shown = ", ".join(map(str, rows[:8].tolist())) + (", ..." if len(rows) > 8 else "")
        return NonFiniteLoss(
            f"{self.model.name}: the loss is {losses[step]} at epoch {epoch + 1}, step "
            f"{step + 1} (samples {shown}): {cause}. Training stopped before that step's "
            "update; the weights are those the step before left.")

    # ---------------------------------------------------------------- inference
    def predict(self, x, batch_size):
        """The network's outputs, computed ``batch_size`` samples at a time, fewer when a layer's
        output would hold more than ``PREDICTION_VALUES`` values (larger outputs leave the
        cache): the outputs of one sample do not depend on the others'. With random layers
        (fractional pooling), the average over their ``test_draws`` draws, the same draws
        (seeded with 0) for every sample."""
        model = self.model
        x = check_data(model, x, "x")
        network = self.network()
        run, arrays = self._network_function(network)
        rng = np.random.default_rng(0)
        draws = [network.arguments(model.dtype, rng)
                 for _ in range(max(layer.test_draws for layer in model.layers))]
        widest = max(int(np.prod(layer.output_shape)) for layer in model.layers)
        chunk = max(1, min(batch_size, PREDICTION_VALUES // max(widest, 1)))
        parts = [sum(run(*arguments, x[k:k + chunk], *arrays) for arguments in draws)
                 / np.array(len(draws), model.dtype) for k in range(0, len(x), chunk)]
        if not parts:
            return np.zeros((0,) + tuple(model.layers[-1].output_shape), model.dtype)
        return np.concatenate(parts)

    def evaluate(self, x, y, batch_size):
        x = check_data(self.model, x, "x")
        return self.evaluated(x, self.targets(y, len(x)), batch_size)

    def evaluated(self, x, y, batch_size):
        """The loss (and metrics) on data already checked."""
        predictions = self.predict(x, batch_size)
        loss = float(np.mean(self.loss(y, predictions)))
        if not self.metrics:
            return loss
        return [loss] + [float(METRICS[m](y, predictions)) for m in self.metrics]


def accuracy(y, p):
    """The fraction of samples classified right: labels against the largest output, one-hot
    against it too, or a single output against 0.5."""
    if y.ndim == p.ndim - 1:
        return np.mean(np.argmax(p, axis=-1) == y)
    if p.shape[-1] == 1:
        return np.mean((p > 0.5) == (y > 0.5))
    return np.mean(np.argmax(p, axis=-1) == np.argmax(y, axis=-1))


METRICS = {"accuracy": accuracy,
           "mse": lambda y, p: np.mean((y - p) ** 2),
           "mae": lambda y, p: np.mean(np.abs(y - p))}


def check_data(model, data, name, rows=None, labels=False):
    """``data`` as an array the compiled code takes: floats in the model's dtype (``labels``:
    integers), samples of the model's input shape, finite."""
    if model.input_shape is None:
        raise ValueError(f"{model.name}: the input shape is unknown; start with Input(shape)")
    array = np.asarray(data)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number)
                                     or array.dtype == np.bool_):
        raise TypeError(f"{name} must be numeric; got {array.dtype}")
    if labels:
        if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
            raise ValueError(f"{model.name}: {name} must hold integer class labels for "
                             "sparse_categorical_crossentropy")
        array = np.ascontiguousarray(array, dtype=np.int64)
    else:
        array = np.ascontiguousarray(array, dtype=model.dtype)
    if name == "x" and array.shape[1:] != model.input_shape:
        raise ValueError(f"{model.name}: x has samples of shape {array.shape[1:]}; the model "
                         f"takes {model.input_shape} (x's first axis is the batch)")
    if rows is not None and len(array) != rows:
        raise ValueError(f"{model.name}: {name} has {len(array)} samples; x has {rows}")
    if not np.all(np.isfinite(array)):
        bad = int(np.argwhere(~np.isfinite(array.reshape(len(array), -1)))[0, 0])
        raise ValueError(f"{model.name}: {name} has non-finite values (first in sample {bad})")
    return array
