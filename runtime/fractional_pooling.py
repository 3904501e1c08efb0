"""Fractional max pooling (Graham 2014, arXiv 1412.6071): max pooling over regions of mostly 1
or 2 rows and columns (for a ratio in (1, 2)), so that an image shrinks by a ratio that need
not be an integer.

``pooling_sequence(length, ratio, pseudo_random, rng)`` draws the boundaries along one axis:
``out = floor(length / ratio)`` regions, ``a_0 = 0 < a_1 < ... < a_out = length``, each
``a_{i+1} - a_i`` being k or k + 1 (k = length // out: 1 for a ratio in (1, 2), except on
short axes, where rounding ``out`` down can make it 2: 5 at 1.9 is 2 regions, of 2 and 3):
- *random*: a shuffle of the right number of k's and (k + 1)'s;
- *pseudo-random*: ``a_i = ceil(alpha (i + u)) - ceil(alpha u)`` with ``alpha = length / out``
  and one uniform ``u``, drawn below the bound that keeps every step k or k + 1 and the last
  boundary inside the input (TensorFlow's bound).

``fractional_max_pool2d(x, rows, columns, overlapping=True)`` takes the maximum of NHWC ``x``
over the regions [rows[i], rows[i+1]) × [columns[j], columns[j+1]), per image and channel;
with ``overlapping`` each region also takes the next region's first row and column (rows[i+1]
and columns[j+1], where inside the input), as in the paper's overlapping variant. One draw of
``rows`` and ``columns`` serves the whole batch (TensorFlow's choice; PyTorch draws one per
image and channel). As in ``max_pool2d``, the derivative goes to each region's first maximum in
row-major order, and overlapping regions each send theirs.
"""
import math

import numpy as np
from numba import njit, prange, uint64

from adcompiler.rules import importable

from .batches import PRANGE_ONLY
from .entry import operation
from .pooling import first_maximum
from .unlinked import unlinked


def pooling_sequence(length, ratio, pseudo_random, rng):
    """The region boundaries along an axis of ``length`` (see the module's docstring), as an
    int64 array of ``floor(length / ratio) + 1`` values; ``rng`` a NumPy Generator."""
    out = region_count(length, ratio)
    return region_boundaries(length, out, pseudo_random, rng.uniform(), rng.permutation(out))


def region_count(length, ratio):
    """``floor(length / ratio)``, the number of regions along an axis of ``length``, checked."""
    if not 1.0 < ratio < length + 1:
        raise ValueError(f"fractional pooling: the ratio must be above 1 and leave at least "
                         f"one region of an axis of {length}; got {ratio}")
    out = math.floor(length / ratio)        # as TensorFlow: 8 / 1.6 is 5 regions, 8 // 1.6 is 4
    if out < 1:
        raise ValueError(f"fractional pooling: a ratio of {ratio} leaves no region of an "
                         f"axis of {length}")
    return out


@njit(cache=True)
def region_boundaries(length, out, pseudo_random, uniform, order):
    """The boundaries of ``out`` regions of an axis of ``length`` from one draw: ``uniform`` in
    [0, 1) places the pseudo-random sequence; ``order``, a permutation of range(out), shuffles
    the random one (step i is the longer step when ``order[i]`` is below their count). The
    compiled training step draws both with numba's ``np.random``."""
    k = length // out
    sequence = np.empty(out + 1, np.int64)
    sequence[0] = 0
    if pseudo_random:
        alpha = length / out
        u = uniform * min((k + 2) / alpha - 1, (length + 1 - k) / alpha - (out - 1))
        start = math.ceil(alpha * u)
        for i in range(1, out):
            sequence[i] = math.ceil(alpha * (i + u)) - start
    else:
        longer = length - k * out
        for i in range(out):
            sequence[i + 1] = sequence[i] + k + (1 if order[i] < longer else 0)
    sequence[out] = length
    return sequence


@njit(cache=True)
def region(boundaries, i, overlapping, size):
    """[start, stop) of region ``i`` along an axis of ``size``."""
    stop = boundaries[i + 1] + 1 if overlapping else boundaries[i + 1]
    return boundaries[i], min(stop, size)


@njit(cache=True)
def check_boundaries(boundaries, size, axis):
    """Boundaries that rise from 0 and end at the axis' size, else ValueError."""
    if boundaries.size < 2 or boundaries[0] != 0 or boundaries[boundaries.size - 1] != size:
        raise ValueError("fractional_max_pool2d: the " + axis + " must start at 0 and end at "
                         "the input's " + axis[:-1] + " count, " + str(size))
    for i in range(boundaries.size):
        if boundaries[i] != math.floor(boundaries[i]):
            raise ValueError("fractional_max_pool2d: the " + axis + " must be whole numbers")
    for i in range(boundaries.size - 1):
        if boundaries[i + 1] <= boundaries[i]:
            raise ValueError("fractional_max_pool2d: the " + axis + " must rise")


@njit(cache=True)
def region_maxima(x, rows, columns, overlapping):
    """For each output element (n, i, j, c), the flat index into ``x`` of its region's first
    maximum in row-major order."""
    check_boundaries(rows, x.shape[1], "rows")
    check_boundaries(columns, x.shape[2], "columns")
    n_size, h, w, c_size = x.shape
    out_h, out_w = rows.size - 1, columns.size - 1
    flat = np.ascontiguousarray(x).ravel()
    where = np.empty(n_size * out_h * out_w * c_size, np.int64)
    _region_maxima(flat, x.shape, rows, columns, overlapping, where)
    return where


@njit(parallel=PRANGE_ONLY, cache=True)
def _region_maxima(flat, shape, rows, columns, overlapping, where):
    n_size, h, w, c_size = shape
    out_h, out_w = rows.size - 1, columns.size - 1
    row_step, column_step = uint64(w * c_size), uint64(c_size)
    for n in prange(n_size):
        k = n * out_h * out_w * c_size
        for i in range(out_h):
            r0, r1 = region(rows, i, overlapping, h)
            for j in range(out_w):
                c0, c1 = region(columns, j, overlapping, w)
                corner = uint64(((n * h + r0) * w + c0) * c_size)
                for c in range(c_size):
                    where[k] = first_maximum(flat, corner + uint64(c), uint64(r1 - r0),
                                             uint64(c1 - c0), row_step, column_step)
                    k += 1


@operation({"x": 4, "rows": 1, "columns": 1}, labels=("rows", "columns"))
def fractional_max_pool2d(x, rows, columns, overlapping=True):
    """The maximum of NHWC ``x`` over the regions that the boundaries ``rows`` and ``columns``
    (from ``pooling_sequence``) make, per image and channel."""
    return fractional_max_pool2d_tangent(x, x, rows, columns, overlapping)


@importable
@unlinked
@njit(cache=True)
def fractional_max_pool2d_adjoint(y_bar, x, rows, columns, overlapping):
    """x's share: each region's adjoint added at its first maximum."""
    where = region_maxima(x, rows, columns, overlapping)
    share = np.ascontiguousarray(y_bar).ravel()
    if share.size != where.size:
        raise ValueError("fractional_max_pool2d: the adjoint's shape does not match the output")
    x_bar = np.zeros(x.size, x.dtype)
    for k in range(where.size):
        x_bar[where[k]] += share[k]
    return x_bar.reshape(x.shape)


@importable
@unlinked
@njit(cache=True)
def fractional_max_pool2d_tangent(x_dot, x, rows, columns, overlapping):
    """``x_dot`` at each region's first maximum of ``x`` (with ``x_dot = x``, the pooling)."""
    if x_dot.shape != x.shape:
        raise ValueError("fractional_max_pool2d: the tangent's shape does not match the input")
    where = region_maxima(x, rows, columns, overlapping)
    source = np.ascontiguousarray(x_dot).ravel()
    y_dot = np.empty(where.size, x_dot.dtype)
    for k in range(where.size):
        y_dot[k] = source[where[k]]
    return y_dot.reshape((x.shape[0], rows.size - 1, columns.size - 1, x.shape[3]))
