"""Average and max pooling over NHWC inputs, with TensorFlow's window semantics.

``pool_size`` and ``strides`` are ints or (height, width) pairs; ``strides`` defaults to
``pool_size``. With ``SAME`` padding, average pooling divides by the number of input elements
inside each window (the padding is not counted), and max pooling ignores the padding.

Max pooling's derivative goes, in each window, to the first maximal element in row-major order
(TensorFlow's and PyTorch's choice on the CPU): when several elements tie, one of them receives
the window's whole adjoint, and overlapping windows each send theirs.
"""
import numpy as np
from numba import njit, prange, uint64

from adcompiler.rules import importable

from .batches import PRANGE_ONLY
from .entry import operation
from .geometry import is_same, output_size, pair, strides_or, window_bounds
from .unlinked import unlinked


WINDOW = {"pool_size": "pair(pool_size)", "strides": "strides_or(strides, pool_size)"}


@njit(cache=True)
def geometry(x, pool_size, strides, padding):
    """(pool h, pool w, stride h, stride w, out h, out w, pad top, pad left)."""
    ph, pw = pair(pool_size)
    sh, sw = strides_or(strides, pool_size)
    same = is_same(padding)
    out_h, top = output_size(x.shape[1], ph, sh, same)
    out_w, left = output_size(x.shape[2], pw, sw, same)
    return ph, pw, sh, sw, out_h, out_w, top, left


@operation({"x": 4}, canonical=WINDOW)
def avg_pool2d(x, pool_size=2, strides=None, padding="VALID"):
    """The mean of each window of NHWC ``x``, per channel."""
    ph, pw, sh, sw, out_h, out_w, top, left = geometry(x, pool_size, strides, padding)
    n_size, h, w, c_size = x.shape
    y = np.zeros((n_size, out_h, out_w, c_size), x.dtype)
    for n in range(n_size):
        for oh in range(out_h):
            h0, h1 = window_bounds(oh, sh, top, ph, h)
            for ow in range(out_w):
                w0, w1 = window_bounds(ow, sw, left, pw, w)
                out = y[n, oh, ow]
                for ih in range(h0, h1):
                    for iw in range(w0, w1):
                        row = x[n, ih, iw]
                        for c in range(c_size):
                            out[c] += row[c]
                scale = 1.0 / ((h1 - h0) * (w1 - w0))
                for c in range(c_size):
                    out[c] *= scale
    return y


@importable
@unlinked
@njit(cache=True)
def avg_pool2d_adjoint(y_bar, x, pool_size, strides, padding):
    """x's share of ``y = avg_pool2d(x)``: each window's adjoint spread evenly over it."""
    ph, pw, sh, sw, out_h, out_w, top, left = geometry(x, pool_size, strides, padding)
    n_size, h, w, c_size = x.shape
    x_bar = np.zeros(x.shape, x.dtype)
    for n in range(n_size):
        for oh in range(out_h):
            h0, h1 = window_bounds(oh, sh, top, ph, h)
            for ow in range(out_w):
                w0, w1 = window_bounds(ow, sw, left, pw, w)
                scale = 1.0 / ((h1 - h0) * (w1 - w0))
                share = y_bar[n, oh, ow]
                for ih in range(h0, h1):
                    for iw in range(w0, w1):
                        row = x_bar[n, ih, iw]
                        for c in range(c_size):
                            row[c] += share[c] * scale
    return x_bar


@operation({"x": 4}, canonical=WINDOW)
def max_pool2d(x, pool_size=2, strides=None, padding="VALID"):
    """The maximum of each window of NHWC ``x``, per channel."""
    return _max_pool2d(x, pool_size, strides, padding)


@unlinked
@njit(parallel=PRANGE_ONLY, cache=True)
def _max_pool2d(x, pool_size, strides, padding):
    window = geometry(x, pool_size, strides, padding)
    ph, pw, sh, sw, out_h, out_w, top, left = window
    n_size, h, w, c_size = x.shape
    if whole_pairs(window, x.shape):
        return _maxima_2x2(np.ascontiguousarray(x).ravel(), x.shape, out_h, out_w)
    y = np.empty((n_size, out_h, out_w, c_size), x.dtype)
    for n in prange(n_size):
        for oh in range(out_h):
            h0, h1 = window_bounds(oh, sh, top, ph, h)
            for ow in range(out_w):
                w0, w1 = window_bounds(ow, sw, left, pw, w)
                for c in range(c_size):
                    y[n, oh, ow, c] = x[n, h0, w0, c]
                for ih in range(h0, h1):
                    for iw in range(w0, w1):
                        for c in range(c_size):
                            y[n, oh, ow, c] = max(y[n, oh, ow, c], x[n, ih, iw, c])
    return y


@njit(cache=True)
def whole_pairs(window, shape):
    """True for 2x2 windows at stride 2 that lie inside the image (the usual pooling), which
    the kernels below take without index arithmetic per element."""
    return window[:4] == (2, 2, 2, 2) and window[6:] == (0, 0) \
        and 2 * window[4] <= shape[1] and 2 * window[5] <= shape[2]


@njit(parallel=PRANGE_ONLY, cache=True)
def _maxima_2x2(flat, shape, out_h, out_w):
    """_max_pool2d when ``whole_pairs``: each window's maximum as ``max`` takes it, element by
    element in row-major order (the loops inside the prange loop, as in ``_adjoint_2x2``)."""
    out = np.empty(shape[0] * out_h * out_w * shape[3], flat.dtype)
    for n in prange(shape[0]):
        h, w, c_size = shape[1], shape[2], shape[3]
        row, step = uint64(w * c_size), uint64(c_size)
        image = uint64(n) * uint64(h) * row
        for oh in range(uint64(out_h)):
            for ow in range(uint64(out_w)):
                first = image + uint64(2) * (oh * row + ow * step)
                at = ((uint64(n) * uint64(out_h) + oh) * uint64(out_w) + ow) * step
                for c in range(step):
                    i0, i2 = first + c, first + c + row
                    out[at + c] = max(max(max(flat[i0], flat[i0 + step]), flat[i2]),
                                      flat[i2 + step])
    return out.reshape((shape[0], out_h, out_w, shape[3]))


@njit(cache=True)
def first_maximum(flat, corner, rows, columns, row_step, column_step):
    """The flat index of the first maximum of the window whose first element is at ``corner``
    (unsigned offsets let numba skip index checks)."""
    at = corner
    best = flat[at]
    for i in range(rows):
        for j in range(columns):
            candidate = corner + i * row_step + j * column_step
            value = flat[candidate]
            better = value > best   # selects, not branches
            best = value if better else best
            at = candidate if better else at
    return at


@njit(cache=True)
def _image_maxima(flat, n, shape, window, where):
    """Into ``where``, for each output element of image ``n`` (channels last), the flat index
    into ``x`` of its window's first maximal element in row-major order."""
    ph, pw, sh, sw, out_h, out_w, top, left = window
    h, w, c_size = shape[1], shape[2], shape[3]
    row_step, column_step = uint64(w * c_size), uint64(c_size)
    k = 0
    for oh in range(out_h):
        h0, h1 = window_bounds(oh, sh, top, ph, h)
        for ow in range(out_w):
            w0, w1 = window_bounds(ow, sw, left, pw, w)
            corner = uint64(((n * h + h0) * w + w0) * c_size)
            for c in range(uint64(c_size)):
                where[k] = first_maximum(flat, corner + c, uint64(h1 - h0), uint64(w1 - w0),
                                          row_step, column_step)
                k += 1


@njit(parallel=PRANGE_ONLY, cache=True)
def first_maxima(x, pool_size, strides, padding):
    """``_image_maxima`` of every image, the images shared among the cores."""
    window = geometry(x, pool_size, strides, padding)
    flat = np.ascontiguousarray(x).ravel()
    per_image = window[4] * window[5] * x.shape[3]
    where = np.empty(x.shape[0] * per_image, np.uint64)
    for n in prange(x.shape[0]):
        _image_maxima(flat, n, x.shape, window, where[n * per_image:(n + 1) * per_image])
    return where


@njit(parallel=PRANGE_ONLY, cache=True)
def _adjoint_2x2(flat, share, shape, out_h, out_w):
    """max_pool2d_adjoint when ``whole_pairs``: the share to each window's first maximum and
    0 to its other elements, written in place of a scatter; 0 to the rows and columns no
    window covers. Float comparisons and selects only (integer selects of the maximum's
    position became branches on the data, mispredicted: 3 times slower on LeNet-5's first
    pooling), and nothing else in the prange loop (with a fill or a call there, the loop over
    channels was not vectorized: 3 times slower on its second)."""
    out = np.empty(flat.size, flat.dtype)
    if 2 * out_h < shape[1] or 2 * out_w < shape[2]:
        out[:] = 0
    for n in prange(shape[0]):
        h, w, c_size = shape[1], shape[2], shape[3]
        row, step = uint64(w * c_size), uint64(c_size)
        image = uint64(n) * uint64(h) * row
        zero = np.zeros(1, out.dtype)[0]
        for oh in range(uint64(out_h)):
            for ow in range(uint64(out_w)):
                first = image + uint64(2) * (oh * row + ow * step)
                shared = ((uint64(n) * uint64(out_h) + oh) * uint64(out_w) + ow) * step
                for c in range(step):
                    i0 = first + c
                    i1, i2 = i0 + step, i0 + row
                    i3 = i2 + step
                    a, b, d, e = flat[i0], flat[i1], flat[i2], flat[i3]
                    above_1 = b > a         # each element against the maximum before it
                    top = b if above_1 else a
                    above_2 = d > top
                    top = d if above_2 else top
                    above_3 = e > top       # the first maximum: the last one marked
                    g = share[shared + c]
                    out[i0] = zero if above_1 | above_2 | above_3 else g
                    out[i1] = g if above_1 & (not (above_2 | above_3)) else zero
                    out[i2] = g if above_2 & (not above_3) else zero
                    out[i3] = g if above_3 else zero
    return out.reshape(shape)


@importable
@unlinked
@njit(parallel=PRANGE_ONLY, cache=True)
def max_pool2d_adjoint(y_bar, x, pool_size, strides, padding):
    """x's share of ``y = max_pool2d(x)``: each window's adjoint to its first maximum (image by
    image, on all cores: an image's windows write only into that image)."""
    window = geometry(x, pool_size, strides, padding)
    flat = np.ascontiguousarray(x).ravel()
    share = np.ascontiguousarray(y_bar).ravel()
    if whole_pairs(window, x.shape):
        return _adjoint_2x2(flat, share, x.shape, window[4], window[5])
    x_bar = np.empty(x.shape, x.dtype)
    out = x_bar.ravel()
    image = x.shape[1] * x.shape[2] * x.shape[3]
    per_image = window[4] * window[5] * x.shape[3]
    for n in prange(x.shape[0]):
        where = np.empty(per_image, np.uint64)
        _image_maxima(flat, n, x.shape, window, where)
        out[n * image:(n + 1) * image] = 0
        for k in range(per_image):
            out[where[k]] += share[n * per_image + k]
    return x_bar


@importable
@unlinked
@njit(cache=True)
def max_pool2d_tangent(x_dot, x, pool_size, strides, padding):
    """The tangent of ``y = max_pool2d(x)``: each window's tangent at its first maximum."""
    ph, pw, sh, sw, out_h, out_w, top, left = geometry(x, pool_size, strides, padding)
    where = first_maxima(x, pool_size, strides, padding)
    source = np.ascontiguousarray(x_dot).ravel()
    y_dot = np.empty(where.size, x_dot.dtype)
    for k in range(where.size):
        y_dot[k] = source[where[k]]
    return y_dot.reshape((x.shape[0], out_h, out_w, x.shape[3]))
