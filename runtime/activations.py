"""Activations: relu, leaky_relu, sigmoid, softmax, log_softmax, and flatten.

At kinks they take TensorFlow's one-sided choices: relu'(0) = 0, and leaky_relu'(0) = alpha.
Element-wise ones take arrays of any rank; softmax and log_softmax normalize along ``axis``
(default: the last), stably (the maximum is subtracted before exponentiating).
"""
import numpy as np
from numba import njit

from adcompiler.rules import importable

from .entry import operation
from .unlinked import unlinked


@operation({"x": None})
def relu(x):
    """``max(x, 0)`` element-wise."""
    y = np.empty(x.size, x.dtype)
    for i, v in enumerate(x.ravel()):
        y[i] = v if v > 0 else 0
    return y.reshape(x.shape)


@importable
@unlinked
@njit(cache=True)
def relu_adjoint(y_bar, x):
    """``y_bar`` where ``x > 0``, else 0 (relu'(0) = 0)."""
    out = np.empty(x.size, y_bar.dtype)
    grads, xs = y_bar.ravel(), x.ravel()
    for i in range(out.size):       # indexes, not enumerate: numba vectorizes this loop
        out[i] = grads[i] if xs[i] > 0 else 0
    return out.reshape(x.shape)


@operation({"x": None})
def leaky_relu(x, alpha=0.2):
    """``x`` where ``x > 0``, else ``alpha * x`` (tf.nn.leaky_relu; alpha defaults to 0.2)."""
    y = np.empty(x.size, x.dtype)
    for i, v in enumerate(x.ravel()):
        y[i] = v if v > 0 else alpha * v
    return y.reshape(x.shape)


@importable
@unlinked
@njit(cache=True)
def leaky_relu_adjoint(y_bar, x, alpha):
    """``y_bar`` where ``x > 0``, else ``alpha * y_bar`` (the slope at 0 is alpha)."""
    out = np.empty(x.size, y_bar.dtype)
    grads, xs = y_bar.ravel(), x.ravel()
    for i in range(out.size):
        out[i] = grads[i] if xs[i] > 0 else alpha * grads[i]
    return out.reshape(x.shape)


@operation({"x": None})
def sigmoid(x):
    """``1 / (1 + exp(-x))`` element-wise, without overflow for large ``|x|``."""
    y = np.empty(x.size, x.dtype)
    for i, v in enumerate(x.ravel()):
        if v >= 0:
            y[i] = 1 / (1 + np.exp(-v))
        else:
            e = np.exp(v)
            y[i] = e / (1 + e)
    return y.reshape(x.shape)


@importable
@unlinked
@njit(cache=True)
def sigmoid_adjoint(y_bar, y):
    """``y_bar * y * (1 - y)``."""
    out = np.empty(y.size, y_bar.dtype)
    grads, ys = y_bar.ravel(), y.ravel()
    for i in range(out.size):
        out[i] = grads[i] * ys[i] * (1 - ys[i])
    return out.reshape(y.shape)


@njit(cache=True)
def along(x, axis):
    """``x`` (contiguous) viewed as (before, n, after) around ``axis``."""
    ndim = x.ndim
    if axis < -ndim or axis >= ndim:
        raise ValueError("axis " + str(axis) + " is out of range for a "
                         + str(ndim) + "-D array")
    axis = axis % ndim
    before, after = 1, 1
    for k in range(ndim):
        if k < axis:
            before *= x.shape[k]
        elif k > axis:
            after *= x.shape[k]
    return np.ascontiguousarray(x).reshape(before, x.shape[axis], after)


@operation({"x": None})
def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x))`` along ``axis``."""
    y = np.empty(x.shape, x.dtype)
    src, out = along(x, axis), along(y, axis)
    for i in range(src.shape[0]):
        for k in range(src.shape[2]):
            top = src[i, 0, k]
            for j in range(src.shape[1]):
                top = max(top, src[i, j, k])
            total = 0.0
            for j in range(src.shape[1]):
                e = np.exp(src[i, j, k] - top)
                out[i, j, k] = e
                total += e
            for j in range(src.shape[1]):
                out[i, j, k] /= total
    return y


@importable
@unlinked
@njit(cache=True)
def softmax_adjoint(y_bar, y, axis):
    """``y * (y_bar - sum(y_bar * y))`` along ``axis`` (its Jacobian is symmetric, so this is
    also softmax's tangent with ``y_bar`` the input's tangent)."""
    out = np.empty(y.shape, y.dtype)
    g, s, o = along(y_bar, axis), along(y, axis), along(out, axis)
    for i in range(s.shape[0]):
        for k in range(s.shape[2]):
            total = 0.0
            for j in range(s.shape[1]):
                total += g[i, j, k] * s[i, j, k]
            for j in range(s.shape[1]):
                o[i, j, k] = s[i, j, k] * (g[i, j, k] - total)
    return out


@operation({"x": None})
def log_softmax(x, axis=-1):
    """``x - log(sum(exp(x)))`` along ``axis``."""
    y = np.empty(x.shape, x.dtype)
    src, out = along(x, axis), along(y, axis)
    for i in range(src.shape[0]):
        for k in range(src.shape[2]):
            top = src[i, 0, k]
            for j in range(src.shape[1]):
                top = max(top, src[i, j, k])
            total = 0.0
            for j in range(src.shape[1]):
                total += np.exp(src[i, j, k] - top)
            shift = top + np.log(total)
            for j in range(src.shape[1]):
                out[i, j, k] = src[i, j, k] - shift
    return y


@importable
@unlinked
@njit(cache=True)
def log_softmax_adjoint(y_bar, y, axis):
    """``y_bar - exp(y) * sum(y_bar)`` along ``axis``."""
    out = np.empty(y.shape, y.dtype)
    g, s, o = along(y_bar, axis), along(y, axis), along(out, axis)
    for i in range(s.shape[0]):
        for k in range(s.shape[2]):
            total = 0.0
            for j in range(s.shape[1]):
                total += g[i, j, k]
            for j in range(s.shape[1]):
                o[i, j, k] = g[i, j, k] - np.exp(s[i, j, k]) * total
    return out


@importable
@unlinked
@njit(cache=True)
def log_softmax_tangent(x_dot, y, axis):
    """``x_dot - sum(exp(y) * x_dot)`` along ``axis``."""
    out = np.empty(y.shape, y.dtype)
    t, s, o = along(x_dot, axis), along(y, axis), along(out, axis)
    for i in range(s.shape[0]):
        for k in range(s.shape[2]):
            total = 0.0
            for j in range(s.shape[1]):
                total += np.exp(s[i, j, k]) * t[i, j, k]
            for j in range(s.shape[1]):
                o[i, j, k] = t[i, j, k] - total
    return out


@operation({"x": None})
def flatten(x):
    """``x`` as (batch, features): every axis after the first in one (a copy)."""
    return x.reshape(x.shape[0], x.size // max(x.shape[0], 1)).copy()
