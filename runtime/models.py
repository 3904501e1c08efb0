"""``Sequential``: a stack of layers trained with a compiled step, in Keras' vocabulary.

    model = Sequential([Input((2,)), Dense(2), Activation("sigmoid"), Dense(2)])
    model.compile(optimizer=SGD(learning_rate=1), loss="mse")
    model.fit(x, y, epochs=120, batch_size=1, shuffle=False)
    model.predict(q)
"""
import numpy as np

from . import losses as loss_kernels, optimizers
from .fitting import Fitter, check_data
from .layer_functions import LayerError, layer_function
from .layers import Input, Layer
from .network import Network
from .weights_file import load_weights, save_weights

LOSSES = {"mse": loss_kernels.mse, "mean_squared_error": loss_kernels.mse,
          "mae": loss_kernels.mae, "mean_absolute_error": loss_kernels.mae,
          "binary_crossentropy": loss_kernels.binary_crossentropy,
          "sparse_categorical_crossentropy": loss_kernels.sparse_categorical_crossentropy}


class Sequential:
    """Layers applied one after the other. The first entry (or ``input_shape=``) gives the
    shape of one sample; ``dtype`` that of weights and data (Keras' float32 by default);
    ``seed`` the initial weights, the shuffling and the dropout masks."""

    def __init__(self, layers=(), name="sequential", dtype="float32", seed=0):
        self.name, self.dtype = name, np.dtype(dtype)
        if not np.issubdtype(self.dtype, np.floating):
            raise TypeError(f"dtype must be a float type; got {dtype}")
        self.rng = np.random.default_rng(seed)
        self.input_shape = None
        self.layers = []
        self.network = None
        self.compiled = None
        for layer in layers:
            self.add(layer)

    def add(self, layer):
        if isinstance(layer, Input):
            if self.layers or self.input_shape is not None:
                raise ValueError("Input must be the first entry of a Sequential")
            self.input_shape = layer.shape
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential takes layers (subclasses of Layer); got {layer!r}")
        if not hasattr(layer, "weight_names"):
            raise TypeError(f"{type(layer).__name__}.__init__ must call super().__init__()")
        if any(layer is other for other in self.layers):
            raise ValueError(f"layer {layer.name!r} is already in {self.name}: weights are not "
                             "shared between layers; add a new instance")
        if any(layer.name == other.name for other in self.layers):
            raise ValueError(f"two layers are named {layer.name!r}")
        self.layers.append(layer)
        self.network = None

    # ---------------------------------------------------------------- building
    def build(self, input_shape=None):
        """Build every layer for samples of ``input_shape`` (default: the Input's): create the
        weights and find each layer's output shape by running it on a sample of zeros."""
        if input_shape is not None:
            self.input_shape = tuple(input_shape)
        if self.input_shape is None:
            raise ValueError(f"{self.name}: the input shape is unknown; start with Input(shape)")
        shape = self.input_shape
        for layer in self.layers:
            if not layer.built:
                layer.build_for(shape, self.dtype, self.rng)
            layer.input_shape = shape
            shape = layer.output_shape = self._output_shape(layer, shape)
        self.network = None

    def _output_shape(self, layer, shape):
        sample = np.zeros((1,) + tuple(shape), self.dtype)
        with np.errstate(all="ignore"):
            try:
                out = _run(layer, sample)
            except LayerError:
                raise
            except Exception as exc:
                raise ValueError(f"layer {layer.name!r} ({type(layer).__name__}) cannot take "
                                 f"inputs of shape {(None,) + tuple(shape)}: {exc}") from exc
        if not isinstance(out, np.ndarray) or out.ndim == 0 or out.shape[0] != 1:
            raise ValueError(f"layer {layer.name!r} ({type(layer).__name__}) must return an "
                             "array with the batch axis first")
        return out.shape[1:]

    def layer_outputs(self, x):
        """Each layer with its outputs for ``x``, running every ``call`` as Python (dropout
        off)."""
        for layer in self.layers:
            x = _run(layer, x)
            yield layer, x

    def network_for(self, loss, again=False):
        """The network and loss functions (network.py), built when first needed (``again``:
        written anew, reading the layers' globals again)."""
        if again or any(not layer.built for layer in self.layers) or self.network is None \
                or self.network.loss is not loss:
            self.build()
            self.network = Network(self.name, self.layers, loss)
        return self.network

    # ---------------------------------------------------------------- training
    def compile(self, optimizer="sgd", loss="mse", metrics=(), run_eagerly=False):
        """Choose the optimizer (a name or an instance), the loss (a name or a function
        ``loss(y_true, y_pred)`` of your own, differentiated too), the metrics reported by
        ``evaluate`` and ``fit``'s validation (``"accuracy"``, ``"mse"``, ``"mae"``) and
        whether the generated code runs as Python (``run_eagerly=True``: ``print`` in a layer's
        ``call`` shows values while training)."""
        if isinstance(loss, str):
            if loss not in LOSSES:
                raise ValueError(f"unknown loss {loss!r}: use one of {sorted(LOSSES)} or a "
                                 "function loss(y_true, y_pred)")
            loss = LOSSES[loss]
        elif not callable(loss):
            raise TypeError(f"loss must be a name or a function; got {loss!r}")
        for metric in metrics:
            if metric not in ("accuracy", "mse", "mae"):
                raise ValueError(f"unknown metric {metric!r}: use 'accuracy', 'mse' or 'mae'")
        self.compiled = Fitter(self, optimizers.get(optimizer), loss, tuple(metrics),
                               bool(run_eagerly))

    def fit(self, x, y, epochs=1, batch_size=32, shuffle=True, validation_data=None,
            verbose=1, initial_epoch=0):
        """Train from epoch ``initial_epoch`` up to ``epochs`` (counted from 0, as Keras does);
        returns a History whose ``history`` maps "loss" (and validation entries) to one value
        per epoch."""
        return self._fitter().fit(x, y, int(epochs), int(batch_size), bool(shuffle),
                                  validation_data, int(verbose), int(initial_epoch))

    @property
    def optimizer(self):
        """The optimizer ``compile`` chose; its hyperparameters may change between fits
        (``model.optimizer.learning_rate = 0.01``) without compiling anything again."""
        return self._fitter().optimizer

    def warm_up(self, x, y):
        """Compile the training step and prediction for data like ``x``, ``y`` (what the first
        ``fit`` and ``predict`` would do), so that timing them times no compilation."""
        self._fitter().warm_up(check_data(self, x[:1], "x"), y[:1])

    def get_optimizer_state(self):
        """The optimizer's state arrays (step count, Adam's moments, SGD's velocities): with
        the weights and ``rng``, what a run needs to continue exactly."""
        return {key: np.array(a) for key, a in self._fitter().optimizer_state().items()}

    def set_optimizer_state(self, state):
        """Continue from ``get_optimizer_state()``'s arrays."""
        self._fitter().set_optimizer_state(state)

    def evaluate(self, x, y, batch_size=32, verbose=0):
        """The loss on (x, y), or [loss, metrics...] when the model has metrics."""
        return self._fitter().evaluate(x, y, int(batch_size))

    def predict(self, x, batch_size=32, verbose=0):
        """The model's outputs for ``x``, computed by the compiled network in batches."""
        fitter = self.compiled
        if fitter is None:              # predict needs no optimizer or loss
            fitter = Fitter(self, optimizers.SGD(), loss_kernels.mse, (), False)
        return fitter.predict(x, int(batch_size))

    def __call__(self, x):
        """The outputs for ``x``, running every layer's ``call`` as Python (the model is built
        first if it is not)."""
        if any(not layer.built for layer in self.layers):
            self.build()
        x = check_data(self, x, "x")
        for _, x in self.layer_outputs(x):
            pass
        return x

    def _fitter(self):
        if self.compiled is None:
            raise RuntimeError(f"{self.name}: call compile(optimizer, loss) before fit or "
                               "evaluate")
        return self.compiled

    # ---------------------------------------------------------------- inspecting
    def network_source(self):
        """The Python source of the network and loss functions adcompiler differentiates."""
        return self.network_for(self._fitter().loss).source

    def training_source(self, x, y):
        """The Python source of the compiled training step for data like ``x``, ``y``."""
        return self._fitter().step_for(*check_data_pair(self, x, y)).source

    @property
    def weights(self):
        """Every weight, layer by layer (the model is built first if it can be)."""
        if self.input_shape is not None and any(not layer.built for layer in self.layers):
            self.build()
        return [w for layer in self.layers for w in layer.weights]

    def get_weights(self):
        return [np.array(w) for w in self.weights]

    def set_weights(self, values):
        """Set every weight, in order, from arrays of the same shapes (copied in place)."""
        weights = self.weights
        if len(values) != len(weights):
            raise ValueError(f"{self.name} has {len(weights)} weights; got {len(values)} arrays")
        for k, (w, v) in enumerate(zip(weights, values)):
            if np.shape(v) != w.shape:
                raise ValueError(f"weight {k} has shape {w.shape}; got {np.shape(v)}")
            w[...] = v

    def save_weights(self, path):
        """Write every weight to ``path`` (.npz, written atomically)."""
        save_weights(self, path)

    def load_weights(self, path):
        """Read weights written by ``save_weights``; names and shapes must match."""
        load_weights(self, path)

    def summary(self, file=None):
        """Print each layer's name, type, output shape and number of weights."""
        if any(not layer.built for layer in self.layers):
            self.build()
        rows = [(f"{layer.name} ({type(layer).__name__})", str((None,) + layer.output_shape),
                 f"{layer.count_params():,}") for layer in self.layers]
        header = ("Layer (type)", "Output Shape", "Param #")
        widths = [max(len(r[k]) for r in rows + [header]) + 2 for k in range(3)]
        line = "-" * sum(widths)
        print(f'Model: "{self.name}"', file=file)
        print(line, file=file)
        for row in [header] + rows:
            print("".join(cell.ljust(width) for cell, width in zip(row, widths)), file=file)
        print(line, file=file)
        print(f"Total params: {sum(layer.count_params() for layer in self.layers):,}", file=file)


def _run(layer, x):
    """``layer``'s ``call`` on ``x`` as Python, with the random inputs of a prediction (a
    Dropout's mask all ones; one draw of fractional pooling's regions)."""
    function, constants = layer_function(layer)
    drawn = layer.inference_draws(x.dtype, np.random.default_rng(0))
    return function(*layer.weights, *[getattr(layer, c) for c in constants], x, *drawn)


def check_data_pair(model, x, y):
    return check_data(model, x, "x"), check_data(model, y, "y", rows=len(x))
