"""dense: ``x @ w + b`` over the last axis of ``x`` (any leading axes are the batch), with
``w`` of shape (inputs, units) and ``b`` of shape (units,), as Keras' Dense layer computes.
Each product is split into chunks of rows shared among the cores (``batches``).

bias_add: ``x + b`` over the last axis, as ``tf.nn.bias_add`` (a convolution layer's bias)."""
import numpy as np
from numba import njit, prange, uint64

from adcompiler.rules import importable
from adcompiler.support.unbroadcasting import sum_rows

from .batches import PRANGE_ONLY, ROWS_PER_CHUNK, THREADS, chunk_bounds, chunk_count
from .entry import in_dtype_of, operation
from .unlinked import unlinked


@njit(cache=True)
def as_rows(x, width):
    """``x`` as a contiguous (rows, width) matrix."""
    return np.ascontiguousarray(x).reshape(x.size // width, width)


@importable
@unlinked
@njit(cache=True)
def dense_linear(x, w):
    """``x @ w`` over the last axis of ``x``."""
    if x.shape[-1] != w.shape[0]:
        raise ValueError("dense: x has " + str(x.shape[-1]) + " features but w takes "
                         + str(w.shape[0]) + " (w shape: inputs, units)")
    y = _products(as_rows(in_dtype_of(x, w), w.shape[0]), np.ascontiguousarray(w))
    return y.reshape(x.shape[:-1] + (w.shape[1],))


@unlinked
@njit(parallel=PRANGE_ONLY, cache=True)
def _products(a, b):
    """``a @ b``, one block of ``a``'s rows per thread."""
    out = np.empty((a.shape[0], b.shape[1]), a.dtype)
    per_chunk = max(ROWS_PER_CHUNK, chunk_count(a.shape[0], THREADS))
    for chunk in prange(chunk_count(a.shape[0], per_chunk)):
        start, stop = chunk_bounds(chunk, a.shape[0], per_chunk)
        out[start:stop] = np.dot(a[start:stop], b)
    return out


@operation({"x": None, "w": 2, "b": 1}, same_dtype=("x", "w", "b"))
def dense(x, w, b):
    """``x @ w + b``: a fully connected layer without activation."""
    if b.shape[0] != w.shape[1]:
        raise ValueError("dense: b has " + str(b.shape[0]) + " units but w has "
                         + str(w.shape[1]))
    y = dense_linear(x, w)
    rows = y.reshape(y.size // b.shape[0], b.shape[0])
    for i in range(rows.shape[0]):
        for j in range(b.shape[0]):
            rows[i, j] += b[j]
    return y


@operation({"x": (1, 2, 3, 4, 5), "b": 1}, same_dtype=("x", "b"))
def bias_add(x, b):
    """``x + b`` with ``b`` of shape (channels,) added along the last axis of ``x``."""
    if x.shape[-1] != b.shape[0]:
        raise ValueError("bias_add: x has " + str(x.shape[-1]) + " channels but b has "
                         + str(b.shape[0]))
    return _added_bias(x, b)


@unlinked
@njit(parallel=PRANGE_ONLY, cache=True)
def _added_bias(x, b):
    """``x + b`` in runs of whole rows at least 64 long, against ``b`` repeated as long: runs
    that numba vectorizes, where a row (3 or 6 channels) is too short. A block per thread."""
    units = b.shape[0]
    if units == 0:
        return x.copy()
    run = max(1, 64 // units) * units      # whole rows, at least 64 values
    repeated = np.empty(run, x.dtype)
    for j in range(run):
        repeated[j] = b[j % units]
    flat, y = x.ravel(), np.empty(x.size, x.dtype)
    runs = x.size // run
    per_chunk = max(ROWS_PER_CHUNK, chunk_count(runs, THREADS))
    for chunk in prange(chunk_count(runs, per_chunk)):
        start, stop = chunk_bounds(chunk, runs, per_chunk)
        for r in range(start, stop):
            at = uint64(r * run)
            for j in range(uint64(run)):
                y[at + j] = flat[at + j] + repeated[j]
    for k in range(runs * run, x.size):
        y[k] = flat[k] + b[k % units]
    return y.reshape(x.shape)


@importable
@unlinked
@njit(cache=True)
def dense_adjoint_x(y_bar, x, w):
    """x's share of ``y = x @ w + b``: ``y_bar @ w.T``."""
    w_t = np.ascontiguousarray(np.ascontiguousarray(w).T)
    return _products(as_rows(in_dtype_of(y_bar, w), w.shape[1]), w_t).reshape(x.shape)


@importable
@unlinked
@njit(cache=True)
def dense_adjoint_w(y_bar, x, w):
    """w's share of ``y = x @ w + b``: ``x.T @ y_bar`` over every batch axis."""
    x_t = np.ascontiguousarray(as_rows(x, w.shape[0]).T)
    return _products(x_t, as_rows(in_dtype_of(y_bar, w), w.shape[1]))


@importable
@unlinked
@njit(cache=True)
def dense_adjoint_b(y_bar, b):
    """b's share of ``y = x @ w + b`` (or of ``bias_add``): ``y_bar`` summed over every batch
    axis."""
    grad = np.zeros(b.shape, b.dtype)
    if b.shape[0] == 0:
        return grad
    return sum_rows(np.ascontiguousarray(in_dtype_of(y_bar, b)).ravel(), grad)


@importable
@unlinked
@njit(cache=True)
def dense_bias(b_dot, y):
    """``b_dot`` repeated over the batch axes of ``y``: the bias's part of y's tangent."""
    out = np.empty(y.shape, b_dot.dtype)
    rows = out.reshape(out.size // b_dot.shape[0], b_dot.shape[0])
    for i in range(rows.shape[0]):
        rows[i, :] = b_dot
    return out
