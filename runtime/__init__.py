"""adcompiler.runtime: the operations networks are made of, as numba kernels whose derivative
rules are in adcompiler's rule table, so a network written as a Python function calling them
is differentiated by ``adcompiler.grad`` like any other code.

Images are NHWC (batch, height, width, channels) and convolution kernels HWIO (height, width,
in channels, out channels), with TensorFlow's strides and padding. float32 and float64 arrays
are both accepted; results keep the input's dtype.

On them, a Keras-like model API (docs/training.md): ``Sequential`` of layers, custom layers as
``Layer`` subclasses whose ``call`` is plain Python, ``SGD`` and ``Adam``, and a training step
compiled as one function.
"""
import numpy as np

from . import rules  # noqa: F401  (registers the derivative rules)
from .batches import prepare_threads
from .memory import keep_freed_memory
from .activations import flatten, leaky_relu, log_softmax, relu, sigmoid, softmax
from .conv import conv2d
from .dense import bias_add, dense
from .depthwise import depthwise_conv2d
from .fractional_pooling import fractional_max_pool2d, pooling_sequence
from .losses import binary_crossentropy, mae, mse, sparse_categorical_crossentropy
from .pooling import avg_pool2d, max_pool2d

from . import initializers  # noqa: E402  (the model API, built on the kernels above)
from .fitting import History, NonFiniteLoss  # noqa: E402
from .idx import DataError, read_idx, write_idx  # noqa: E402
from .layer_functions import LayerError  # noqa: E402
from .layers import (Activation, AvgPool2D, Conv2D, Dense, Dropout, Flatten,  # noqa: E402
                     FractionalMaxPool2D, Input, Layer, MaxPool2D)
from .mnist import load_mnist  # noqa: E402
from .models import Sequential  # noqa: E402
from .optimizers import SGD, Adam  # noqa: E402
from .pconv import PConv  # noqa: E402

prepare_threads()  # the kernels share batches among the cores (see batches)
keep_freed_memory()  # for the next step's arrays (see memory)

tanh = np.tanh          # NumPy's, with its built-in rule
reshape = np.reshape    # likewise

__all__ = ["conv2d", "depthwise_conv2d", "avg_pool2d", "max_pool2d", "fractional_max_pool2d",
           "pooling_sequence", "dense", "bias_add", "relu", "leaky_relu",
           "sigmoid", "tanh", "softmax", "log_softmax", "flatten", "reshape", "mse", "mae",
           "binary_crossentropy", "sparse_categorical_crossentropy",
           "Sequential", "Input", "Layer", "Dense", "Conv2D", "PConv", "MaxPool2D", "AvgPool2D",
           "FractionalMaxPool2D", "Flatten",
           "Activation", "Dropout", "SGD", "Adam", "initializers", "History", "NonFiniteLoss",
           "LayerError", "load_mnist", "read_idx", "write_idx", "DataError"]
