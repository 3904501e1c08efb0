"""``unbroadcast``: the adjoint of broadcasting, ``g`` summed back to the shape of the
operand that was broadcast."""
import numpy as np
from numba import njit, uint64
from numba.np.unsafe.ndarray import to_fixed_tuple

from .twins import is_array, jit_twin


def unbroadcast(g, like):
    """Sum ``g`` over the axes along which ``like`` was broadcast to ``g``'s shape."""
    if not isinstance(like, np.ndarray):
        return np.sum(g) if isinstance(g, np.ndarray) else g
    g = np.asarray(g)
    if g.shape == like.shape:
        return g
    lead = g.ndim - like.ndim
    if lead > 0:
        g = g.sum(axis=tuple(range(lead)))
    axes = tuple(k for k, n in enumerate(like.shape) if n == 1 and g.shape[k] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return np.broadcast_to(g, like.shape).copy() if g.shape != like.shape else g


@njit(cache=True)
def _unbroadcast_into(g, out_shape):
    """Sum contiguous ``g`` into a new array of ``out_shape`` (right-aligned broadcasting)."""
    ng, nl = g.ndim, len(out_shape)
    lead = ng - nl
    size = 1
    for n in out_shape:
        size *= n
    out = np.zeros(size, g.dtype)
    if size > 0 and _is_suffix(out_shape, g.shape):     # summed over leading axes only
        return sum_rows(g.ravel(), out)
    stride = np.zeros(ng, np.int64)      # out's flat stride for each axis of g (0 if summed)
    step = 1
    for k in range(nl - 1, -1, -1):
        if out_shape[k] != 1:
            stride[lead + k] = step
        step *= out_shape[k]
    counter = np.zeros(ng, np.int64)
    flat_g = g.ravel()
    pos = 0
    for i in range(flat_g.size):
        out[pos] += flat_g[i]
        k = ng - 1
        while k >= 0:                  # odometer step over g's C-order index
            counter[k] += 1
            pos += stride[k]
            if counter[k] < g.shape[k]:
                break
            pos -= stride[k] * counter[k]
            counter[k] = 0
            k -= 1
    return out


@njit(cache=True)
def _is_suffix(shape, of):
    """Whether ``shape`` is the trailing part of the shape ``of``."""
    lead = len(of) - len(shape)
    if lead < 0:
        return False
    for k in range(len(shape)):
        if shape[k] != of[lead + k]:
            return False
    return True


@njit(cache=True)
def sum_rows(flat, out):
    """``out`` plus the sum of ``flat``'s rows of ``out.size`` (at least 1): several rows side
    by side at a time (a wide, contiguous accumulator numba vectorizes; unsigned offsets drop
    its index checks), folded at the end."""
    size, count = uint64(out.size), uint64(flat.size)
    side = uint64(32 if size < 64 else 1)      # a width that is a multiple of the vectors' lanes
    width = side * size
    wide = np.zeros(width, flat.dtype)
    whole = count - count % width
    for start in range(uint64(0), whole, width):
        for j in range(width):
            wide[j] += flat[start + j]
    for j in range(width):
        out[j % size] += wide[j]
    for k in range(whole, count):
        out[(k - whole) % size] += flat[k]
    return out


@jit_twin(unbroadcast)
def _unbroadcast(g, like):
    if not is_array(like):
        if is_array(g):
            return lambda g, like: np.sum(g)
        return lambda g, like: g
    nd = like.ndim
    if not is_array(g):
        return lambda g, like: np.full(like.shape, g)

    def impl(g, like):
        if g.shape == like.shape:
            return np.ascontiguousarray(g).reshape(like.shape)
        flat = _unbroadcast_into(np.ascontiguousarray(g), like.shape)
        return flat.reshape(to_fixed_tuple(np.array(like.shape), nd))
    return impl
