"""Initial values of weights, as Keras draws them: ``glorot_uniform`` (Keras' default for
kernels), ``he_normal``, ``zeros`` (for biases), ``ones``, ``constant(value)``,
``random_normal(stddev)``. Each is
called as ``init(shape, dtype, rng)`` with a NumPy ``Generator``, so a model seeded once gives
the same weights every run."""
import math

import numpy as np


def fans(shape):
    """(fan in, fan out) of a kernel: (inputs, units) for a matrix, receptive field times the
    in and out channels for a convolution kernel (HWIO)."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    field = math.prod(shape[:-2])
    return shape[-2] * field, shape[-1] * field


def glorot_uniform(shape, dtype, rng):
    """Uniform in [-limit, limit], limit = sqrt(6 / (fan in + fan out))."""
    fan_in, fan_out = fans(shape)
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape).astype(dtype)


def he_normal(shape, dtype, rng):
    """Normal with standard deviation sqrt(2 / fan in), truncated at two deviations (drawn
    again beyond them), as Keras' he_normal."""
    fan_in, _ = fans(shape)
    stddev = math.sqrt(2.0 / fan_in) / 0.87962566103423978     # the truncation's correction
    out = rng.normal(0.0, stddev, shape)
    while np.any(far := np.abs(out) > 2 * stddev):
        out[far] = rng.normal(0.0, stddev, int(far.sum()))
    return out.astype(dtype)


def zeros(shape, dtype, rng=None):
    return np.zeros(shape, dtype)


def ones(shape, dtype, rng=None):
    return np.ones(shape, dtype)


def constant(value):
    """An initializer filling every entry with ``value``."""
    def fill(shape, dtype, rng=None):
        return np.full(shape, value, dtype)
    return fill


def random_normal(stddev=0.05, mean=0.0):
    """An initializer drawing from a normal distribution."""
    def draw(shape, dtype, rng):
        return rng.normal(mean, stddev, shape).astype(dtype)
    return draw


NAMED = {"glorot_uniform": glorot_uniform, "he_normal": he_normal, "zeros": zeros,
         "ones": ones}


def get(initializer):
    """An initializer from its name or itself (a callable ``(shape, dtype, rng)``)."""
    if callable(initializer):
        return initializer
    if initializer in NAMED:
        return NAMED[initializer]
    raise ValueError(f"unknown initializer {initializer!r}: use one of {sorted(NAMED)}, "
                     "constant(value), random_normal(stddev) or a function (shape, dtype, rng)")
