"""Layers as the lessons write them: a ``Layer`` subclass whose ``build(input_shape)`` creates
the weights (``self.W = self.add_weight(...)``, or any float array or number) and whose
``call(self, inputs)`` is plain Python/NumPy. Nobody writes a backward pass: the model turns
``call`` into a function of its weights (layer_functions.py) that adcompiler differentiates.

The built-in layers are written the same way, calling the runtime's kernels.
"""
import re

import numpy as np

import adcompiler as adc

from . import activations as kernels, initializers
from .conv import conv2d
from .dense import bias_add, dense
from .fractional_pooling import fractional_max_pool2d, pooling_sequence, region_count
from .pooling import avg_pool2d, max_pool2d

_counts = {}


def _snake(name):
    """Keras' default layer name of a class: MyDense -> my_dense, Conv2D -> conv2d."""
    words = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", words).lower()


def unique_layer_name(base):
    """``base``, then ``base_1``, ``base_2``, ... as Keras names layers."""
    count = _counts.get(base, 0)
    _counts[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


class Layer:
    """The base of every layer. Subclasses override ``build(input_shape)`` (create weights) and
    ``call(self, inputs)`` (the output, plain Python/NumPy).

    Every float array or number that ``build`` sets on ``self`` is a trainable weight; what
    ``__init__`` sets is configuration, read by ``call`` as a constant. ``call`` may read
    ``self.<weight>`` and ``self.<constant>`` but not assign to ``self``.
    """

    def __init__(self, name=None, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected arguments {sorted(kwargs)}")
        self.name = name or unique_layer_name(_snake(type(self).__name__))
        self.built = False
        self.weight_names = []
        self.function = None
        self.output_shape = None

    # ---------------------------------------------------------------- what subclasses write
    def build(self, input_shape):
        """Create the weights for inputs of ``input_shape`` (batch axis first, as None)."""

    def call(self, inputs):
        raise NotImplementedError(f"{type(self).__name__} must define call(self, inputs)")

    # ---------------------------------------------------------------- random inputs
    random_inputs = ()
    """Names of ``call``'s parameters after ``inputs`` that the model draws (Dropout's mask):
    anew for every training batch (``step_draws``), and for prediction (``inference_draws``,
    ``test_draws`` times, the outputs averaged)."""
    test_draws = 1

    def step_draws(self, names, dtype):
        """``(imports, lines)``: Python lines of the compiled training step that set ``names``
        (the random inputs, as the step names them) for the batch ``x``, with ``np.random``,
        seeded for each step."""
        return [], []

    def inference_draws(self, dtype, rng):
        """The random inputs for one prediction (``rng`` a NumPy Generator)."""
        return []

    def add_weight(self, name=None, shape=(), initializer="glorot_uniform", dtype=None):
        """A new weight of ``shape``, drawn by ``initializer`` (a name, such as
        ``"glorot_uniform"`` or ``"zeros"``, or a function ``(shape, dtype, rng)``); assign it
        to an attribute in ``build``."""
        shape = tuple(int(d) for d in np.atleast_1d(shape)) if np.ndim(shape) else \
            (() if shape == () else (int(shape),))
        return initializers.get(initializer)(shape, dtype or self.dtype, self.rng)

    # ---------------------------------------------------------------- what models use
    def build_for(self, input_shape, dtype, rng):
        """Run ``build`` and record the weights it created (converted to ``dtype``; a number
        becomes a 0-d array, updated in place by training)."""
        self.dtype, self.rng = np.dtype(dtype), rng
        before = dict(vars(self))
        self.build((None,) + tuple(input_shape))
        names = []
        for attr, value in vars(self).items():
            if before.get(attr, _UNSET) is value or not _is_float(value):
                continue
            setattr(self, attr, np.array(value, dtype=self.dtype))
            names.append(attr)
        self.weight_names = names
        self.built = True

    @property
    def weights(self):
        """The layer's weights, in the order ``build`` created them."""
        return [getattr(self, name) for name in self.weight_names]

    def count_params(self):
        return int(sum(np.size(w) for w in self.weights))

    def __repr__(self):
        return f"<{type(self).__name__} {self.name!r}>"


_UNSET = object()


def _is_float(value):
    if isinstance(value, np.ndarray):
        return np.issubdtype(value.dtype, np.floating)
    return isinstance(value, (float, np.floating))


class Input:
    """The shape of one sample (without the batch axis): the first entry of a Sequential."""

    def __init__(self, shape, name=None):
        self.shape = tuple(int(d) for d in shape)
        self.name = name or "input"


@adc.primitive(elementwise=True)
def linear(x):
    """The identity: the activation of a layer given none."""
    return x


@adc.defvjp(linear)
def _(y, x):
    x_bar += y_bar      # noqa: F821  (a rule template)


ACTIVATIONS = {"relu": kernels.relu, "sigmoid": kernels.sigmoid, "tanh": np.tanh,
               "softmax": kernels.softmax, "log_softmax": kernels.log_softmax,
               "leaky_relu": kernels.leaky_relu, "linear": linear, None: linear}


def get_activation(name_or_function):
    """An activation from its Keras name or itself (any function the compiler can
    differentiate)."""
    if callable(name_or_function):
        return name_or_function
    if name_or_function not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name_or_function!r}: use one of "
                         f"{sorted(k for k in ACTIVATIONS if k)} or a function")
    return ACTIVATIONS[name_or_function]


class Dense(Layer):
    """``activation(inputs @ kernel + bias)``."""

    def __init__(self, units, activation=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", name=None):
        super().__init__(name)
        self.units = int(units)
        self.activation = get_activation(activation)
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer

    def build(self, input_shape):
        self.kernel = self.add_weight("kernel", (input_shape[-1], self.units),
                                      self.kernel_initializer)
        self.bias = self.add_weight("bias", (self.units,), self.bias_initializer)

    def call(self, inputs):
        return self.activation(dense(inputs, self.kernel, self.bias))


class Conv2D(Layer):
    """``activation(conv2d(inputs, kernel) + bias)`` on NHWC images, kernel HWIO."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", activation=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", name=None):
        super().__init__(name)
        self.filters = int(filters)
        self.kernel_size = positive_pair(kernel_size, "kernel_size")
        self.strides = positive_pair(strides, "strides")
        self.padding = padding_name(padding)
        self.activation = get_activation(activation)
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer

    def build(self, input_shape):
        self.kernel = self.kernel_for(input_shape)
        self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer)

    def kernel_for(self, input_shape):
        """A new kernel for images of ``input_shape``, checked to be images."""
        if len(input_shape) != 4:
            raise ValueError(f"{self.name}: {type(self).__name__} takes images (batch, height, "
                             f"width, channels); got inputs of shape {input_shape}")
        return self.add_weight("kernel", self.kernel_size + (input_shape[-1], self.filters),
                               self.kernel_initializer)

    def call(self, inputs):
        return self.activation(bias_add(conv2d(inputs, self.kernel, self.strides,
                                               self.padding), self.bias))


class MaxPool2D(Layer):
    """The maximum of each ``pool_size`` window (stride ``strides``, default the window)."""

    def __init__(self, pool_size=2, strides=None, padding="valid", name=None):
        super().__init__(name)
        self.pool_size = positive_pair(pool_size, "pool_size")
        self.strides = self.pool_size if strides is None else positive_pair(strides, "strides")
        self.padding = padding_name(padding)

    def call(self, inputs):
        return max_pool2d(inputs, self.pool_size, self.strides, self.padding)


class AvgPool2D(MaxPool2D):
    """The mean of each ``pool_size`` window (stride ``strides``, default the window)."""

    def call(self, inputs):
        return avg_pool2d(inputs, self.pool_size, self.strides, self.padding)


class Flatten(Layer):
    """Every axis after the batch axis in one."""

    def call(self, inputs):
        return kernels.flatten(inputs)


class Activation(Layer):
    """An activation on its own: ``Activation("sigmoid")`` or ``Activation(function)``."""

    def __init__(self, activation, name=None):
        super().__init__(name)
        self.activation = get_activation(activation)

    def call(self, inputs):
        return self.activation(inputs)


class Dropout(Layer):
    """While training, each value is zeroed with probability ``rate`` and the others scaled by
    1 / (1 - rate); at inference the identity. The model draws the masks (``call`` gets one)."""

    random_inputs = ("mask",)

    def __init__(self, rate, seed=None, name=None):
        super().__init__(name)
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"Dropout rate must be in [0, 1); got {rate}")
        self.rate = float(rate)

    def call(self, inputs, mask):
        return inputs * mask

    def step_draws(self, names, dtype):
        shape = ", ".join(["x.shape[0]"] + [str(d) for d in self.input_shape])
        keep = 1.0 - self.rate
        return [], [f"{names[0]} = (np.random.random(({shape},)) < {keep!r})"
                    f".astype(np.{dtype}) * np.{dtype}({1.0 / keep!r})"]

    def inference_draws(self, dtype, rng):
        return [np.ones((1,) + self.input_shape, dtype)]


class FractionalMaxPool2D(Layer):
    """Fractional max pooling (Graham 2014): the maximum over regions of 1 or 2 rows and
    columns, so that images shrink by ``ratio`` in (1, 2), to ``floor(height / ratio)`` ×
    ``floor(width / ratio)``; ``overlapping`` regions also take the next region's first row and
    column; boundaries from ``pseudo_random`` or random sequences (``pooling_sequence``). The
    model draws the regions anew for every training batch, one draw for all its images and
    channels (as TensorFlow; PyTorch draws per image and channel); a prediction is the
    average of the model's outputs over ``test_draws`` draws."""

    random_inputs = ("rows", "columns")

    def __init__(self, ratio=2 ** 0.5, overlapping=True, pseudo_random=False, test_draws=12,
                 name=None):
        super().__init__(name)
        if not 1.0 < ratio < 2.0:
            raise ValueError(f"FractionalMaxPool2D: the ratio must be in (1, 2); got {ratio}")
        if int(test_draws) < 1:
            raise ValueError(f"FractionalMaxPool2D: test_draws must be at least 1; got "
                             f"{test_draws}")
        self.ratio, self.overlapping = float(ratio), bool(overlapping)
        self.pseudo_random, self.test_draws = bool(pseudo_random), int(test_draws)

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"{self.name}: FractionalMaxPool2D takes images (batch, height, "
                             f"width, channels); got inputs of shape {input_shape}")
        for length in input_shape[1:3]:
            region_count(length, self.ratio)        # at least one region along each axis

    def call(self, inputs, rows, columns):
        return fractional_max_pool2d(inputs, rows, columns, self.overlapping)

    def step_draws(self, names, dtype):
        draw = "region_boundaries({}, {}, {}, np.random.random(), np.random.permutation({}))"
        counts = [region_count(length, self.ratio) for length in self.input_shape[:2]]
        return (["from adcompiler.runtime.fractional_pooling import region_boundaries"],
                [f"{name} = " + draw.format(length, count, self.pseudo_random, count)
                 for name, length, count in zip(names, self.input_shape[:2], counts)])

    def inference_draws(self, dtype, rng):
        return [pooling_sequence(length, self.ratio, self.pseudo_random, rng)
                for length in self.input_shape[:2]]


def positive_pair(value, what):
    """``value`` (an int or a pair of them, each at least 1) as a pair of ints."""
    pair = (int(value), int(value)) if np.ndim(value) == 0 else tuple(int(v) for v in value)
    if len(pair) != 2 or min(pair) < 1:
        raise ValueError(f"{what} must be a positive int or a pair of them; got {value!r}")
    return pair


def padding_name(padding):
    """``"valid"`` or ``"same"`` (any case) as the kernels spell it, ``"VALID"`` or ``"SAME"``."""
    if str(padding).lower() not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same'; got {padding!r}")
    return str(padding).upper()
