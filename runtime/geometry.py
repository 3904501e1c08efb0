"""Window geometry shared by convolution and pooling, with TensorFlow's semantics.

``VALID`` places windows inside the input only: ``out = (size - window) // stride + 1``.
``SAME`` gives ``out = ceil(size / stride)`` and pads ``max((out - 1) * stride + window - size,
0)`` elements, the smaller half before and the larger after (TensorFlow's asymmetric padding).
"""
import numpy as np
from numba import njit, types
from numba.extending import overload


def pair(value):
    """``(v, v)`` for an int, the pair itself for a pair: strides and pool sizes."""
    if isinstance(value, (int, np.integer)):
        return value, value
    if isinstance(value, tuple) and len(value) == 2 and all(
            isinstance(v, (int, np.integer)) for v in value):
        return value
    raise TypeError(f"a stride or pool size must be an int or a pair of ints, not {value!r}")


@overload(pair)
def _pair(value):
    if isinstance(value, types.Integer):
        return lambda value: (value, value)
    if isinstance(value, types.UniTuple) and value.count == 2 \
            and isinstance(value.dtype, types.Integer):
        return lambda value: value
    raise TypeError(f"a stride or pool size must be an int or a pair of ints, not {value}")


@njit(cache=True)
def is_same(padding):
    """True for ``"SAME"``, False for ``"VALID"`` (either case); anything else is an error."""
    upper = padding.upper()
    if upper == "SAME":
        return True
    if upper != "VALID":
        raise ValueError("padding must be 'VALID' or 'SAME', not '" + padding + "'")
    return False


@njit(cache=True)
def output_size(size, window, stride, same):
    """(output length, padding before) of one spatial axis."""
    if stride < 1 or window < 1:
        raise ValueError("strides and window sizes must be positive, not "
                         + str(stride) + " and " + str(window))
    if same:
        out = (size + stride - 1) // stride
        return out, max((out - 1) * stride + window - size, 0) // 2
    if size < window:
        raise ValueError("with padding 'VALID' a window of " + str(window)
                         + " does not fit an input of " + str(size))
    return (size - window) // stride + 1, 0


@njit(cache=True)
def window_bounds(out_index, stride, pad, window, size):
    """The input range [start, stop) a window covers, clipped to the input."""
    start = out_index * stride - pad
    return max(start, 0), min(start + window, size)


@njit(cache=True)
def outputs_inside(tap, stride, pad, size, out_size):
    """The outputs [lo, hi) along an axis whose window's element ``tap`` falls inside the input
    (not in the padding)."""
    lo = max(0, (pad - tap + stride - 1) // stride)
    hi = min(out_size, (size - 1 + pad - tap) // stride + 1)
    return lo, max(lo, hi)


def strides_or(strides, window):
    """``strides`` as a pair, ``window`` when it is None (pooling's default)."""
    return pair(window if strides is None else strides)


@overload(strides_or)
def _strides_or(strides, window):
    if strides is None or isinstance(strides, (types.NoneType, types.Omitted)):
        return lambda strides, window: pair(window)
    return lambda strides, window: pair(strides)
