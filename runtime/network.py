"""A Sequential model as two plain Python functions that adcompiler differentiates:

    def network(dense_kernel, dense_bias, ..., inputs):          one line per layer
    def training_loss(dense_kernel, dense_bias, ..., inputs, targets)

A loss returning a value per sample is averaged, as Keras does. Their parameters are every
layer's weights (``<layer>_<attribute>``), then each layer's
constant arrays, then the random inputs of layers that have them (``Layer.random_inputs``:
Dropout's mask, fractional pooling's regions), then the data. Their
source is shown by ``Sequential.network_source()``.
"""
import hashlib

import numpy as np

from adcompiler.parse import WrittenSource, written_from

from .layer_functions import identifier, layer_function, register_source


class Network:
    """The functions of one model and the names of their parameters."""

    def __init__(self, model_name, layers, loss):
        self.model_name, self.layers, self.loss = model_name, layers, loss
        self.weights = [(layer, attr) for layer in layers for attr in layer.weight_names]
        self.weight_names = [f"{_name(layer)}_{attr}" for layer, attr in self.weights]
        self.random = [(layer, [f"{_name(layer)}_{n}" for n in layer.random_inputs])
                       for layer in layers if layer.random_inputs]
        self.random_names = [name for _, names in self.random for name in names]
        namespace = {"loss": loss, "np": np}
        lines = []
        self.constants = []             # (layer, attribute) of each constant array
        for layer in layers:
            function, constants = layer_function(layer)
            namespace[function.__name__] = function
            args = [f"{_name(layer)}_{a}" for a in layer.weight_names + constants]
            self.constants += [(layer, a) for a in constants]
            args += ["h"] + [f"{_name(layer)}_{n}" for n in layer.random_inputs]
            lines.append(f"    # {layer.name} ({type(layer).__name__})")
            lines.append(f"    h = {function.__name__}({', '.join(args)})")
        self.constant_names = [f"{_name(layer)}_{attr}" for layer, attr in self.constants]
        self.params = self.weight_names + self.constant_names + self.random_names
        signature = ", ".join(self.params + ["inputs"])
        network = (f"def network({signature}):\n"
                   f'    """The outputs of {model_name!r} for a batch of inputs."""\n'
                   "    h = inputs\n" + "\n".join(lines) + "\n    return h\n")
        training_loss = (f"def training_loss({signature}, targets):\n"
                         f'    """The loss of {model_name!r} on a batch."""\n'
                         f"    outputs = network({', '.join(self.params + ['inputs'])})\n"
                         "    return np.mean(loss(targets, outputs))\n")
        self.source = network + "\n\n" + training_loss
        digest = hashlib.sha256(self.source.encode()).hexdigest()[:12]
        filename = f"<adcompiler network {model_name} {digest}>"
        register_source(filename, self.source)
        exec(compile(self.source, filename, "exec"), namespace)     # noqa: S102
        self.network = written_from(namespace["network"], WrittenSource(network, filename, 1, 0))
        second = network.count("\n") + 3
        self.training_loss = written_from(namespace["training_loss"],
                                          WrittenSource(training_loss, filename, second, 0))

    def constant_values(self):
        return [getattr(layer, attr) for layer, attr in self.constants]

    def weight_values(self):
        return [getattr(layer, attr) for layer, attr in self.weights]

    def arguments(self, dtype, rng=None):
        """The network's arguments before the inputs, at inference: the weights (a number for a
        0-d weight), the constant arrays, and one draw of the layers' random inputs (from
        ``rng``, a NumPy Generator; by default seeded with 0)."""
        rng = np.random.default_rng(0) if rng is None else rng
        return [w[()] if w.ndim == 0 else w for w in self.weight_values()] \
            + self.constant_values() \
            + [value for layer, _ in self.random for value in layer.inference_draws(dtype, rng)]


def _name(layer):
    return identifier(layer.name)
