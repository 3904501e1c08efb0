"""depthwise_conv2d: each channel of NHWC ``x`` convolved with kernels of its own, as
``tf.nn.depthwise_conv2d``: ``kernel`` (height, width, in channels C, multiplier M), output
channel ``c * M + m`` the cross-correlation of input channel c with ``kernel[:, :, c, m]``, with
TensorFlow's strides and ``VALID``/``SAME`` padding.

A convolution whose kernel is block-diagonal over channel groups is a depthwise convolution
followed by a sum over each group's channels, at a fraction of the work: PConv's powers, one
channel per pair of input and output channel, are convolved so.

The work is direct loops (the windows are small and a channel's kernel short), tap by tap so
that the innermost loop runs along the channels, in chunks of the batch shared among the cores.
"""
import numpy as np
from numba import njit, prange, uint64

from adcompiler.rules import importable

from .batches import PRANGE_ONLY, IMAGES_PER_CHUNK, chunk_bounds, chunk_count
from .conv import geometry as conv_geometry
from .entry import in_dtype_of, operation
from .geometry import outputs_inside
from .unlinked import unlinked

FORWARD, ADJOINT_X, ADJOINT_KERNEL = 0, 1, 2


@njit(cache=True)
def geometry(x, kernel, strides, padding):
    """(stride h, stride w, out h, out w, pad top, pad left) of ``depthwise_conv2d``."""
    if kernel.shape[2] != x.shape[3]:
        raise ValueError("depthwise_conv2d: x has " + str(x.shape[3]) + " channels but the "
                         "kernel takes " + str(kernel.shape[2]) + " (kernel shape: height, "
                         "width, in channels, multiplier)")
    return conv_geometry(x, kernel, strides, padding)


@njit(cache=True)
def _accumulate(role, x, kernel, y, first, last, sh, sw, top, left):
    """The products of the taps inside ``x`` of every output pixel of images [first, last),
    added where ``role`` says: FORWARD adds x·kernel into y, ADJOINT_X adds y·kernel into x,
    ADJOINT_KERNEL adds x·y into kernel. The arrays are C-contiguous; the innermost loop runs
    along the channels of one pixel."""
    _, h, w, c_size = x.shape
    kh_size, kw_size, _, m_size = kernel.shape
    out_h, out_w, channels = y.shape[1], y.shape[2], y.shape[3]
    xs, ks, ys = x.ravel(), kernel.ravel(), y.ravel()
    for kh in range(kh_size):
        oh_lo, oh_hi = outputs_inside(kh, sh, top, h, out_h)
        for kw in range(kw_size):
            ow_lo, ow_hi = outputs_inside(kw, sw, left, w, out_w)
            k0 = uint64((kh * kw_size + kw) * channels)
            for n in range(first, last):
                for oh in range(oh_lo, oh_hi):
                    ih = oh * sh - top + kh
                    for ow in range(ow_lo, ow_hi):
                        x0 = uint64(((n * h + ih) * w + ow * sw - left + kw) * c_size)
                        y0 = uint64(((n * out_h + oh) * out_w + ow) * channels)
                        if m_size == 1:     # one output channel per input channel
                            if role == FORWARD:
                                for c in range(uint64(c_size)):
                                    ys[y0 + c] += xs[x0 + c] * ks[k0 + c]
                            elif role == ADJOINT_X:
                                for c in range(uint64(c_size)):
                                    xs[x0 + c] += ys[y0 + c] * ks[k0 + c]
                            else:
                                for c in range(uint64(c_size)):
                                    ks[k0 + c] += xs[x0 + c] * ys[y0 + c]
                            continue
                        for c in range(uint64(c_size)):
                            for j in range(uint64(c * m_size), uint64((c + 1) * m_size)):
                                if role == FORWARD:
                                    ys[y0 + j] += xs[x0 + c] * ks[k0 + j]
                                elif role == ADJOINT_X:
                                    xs[x0 + c] += ys[y0 + j] * ks[k0 + j]
                                else:
                                    ks[k0 + j] += xs[x0 + c] * ys[y0 + j]


@operation({"x": 4, "kernel": 4}, same_dtype=("x", "kernel"),
           canonical={"strides": "pair(strides)"})
def depthwise_conv2d(x, kernel, strides=1, padding="VALID"):
    """Depthwise 2-D convolution (cross-correlation) of NHWC ``x`` with ``kernel`` (height,
    width, in channels, multiplier): C·M output channels, ``c * M + m`` from input channel c;
    ``strides`` an int or (height, width) pair; ``padding`` ``"VALID"`` or ``"SAME"``."""
    return _depthwise_in_chunks(x, kernel, strides, padding)


@unlinked
@njit(cache=True)
def _depthwise_in_chunks(x, kernel, strides, padding):
    sh, sw, out_h, out_w, top, left = geometry(x, kernel, strides, padding)
    y = np.zeros((x.shape[0], out_h, out_w, kernel.shape[2] * kernel.shape[3]), x.dtype)
    _each_chunk(FORWARD, np.ascontiguousarray(x), np.ascontiguousarray(kernel), y,
                sh, sw, top, left)
    return y


@importable
@unlinked
@njit(cache=True)
def depthwise_conv2d_adjoint_x(y_bar, x, kernel, strides, padding):
    """x's share of ``y = depthwise_conv2d(x, kernel)``."""
    sh, sw, out_h, out_w, top, left = geometry(x, kernel, strides, padding)
    x_bar = np.zeros(x.shape, x.dtype)
    _each_chunk(ADJOINT_X, x_bar, np.ascontiguousarray(kernel),
                np.ascontiguousarray(in_dtype_of(y_bar, x)), sh, sw, top, left)
    return x_bar


@njit(parallel=PRANGE_ONLY, cache=True)
def _each_chunk(role, x, kernel, y, sh, sw, top, left):
    """``_accumulate`` of chunks of the batch on the cores; each chunk adds into its own
    images' part of x or y."""
    n = x.shape[0]
    for chunk in prange(chunk_count(n, IMAGES_PER_CHUNK)):
        start, stop = chunk_bounds(chunk, n, IMAGES_PER_CHUNK)
        _accumulate(role, x, kernel, y, start, stop, sh, sw, top, left)


@importable
@unlinked
@njit(parallel=PRANGE_ONLY, cache=True)
def depthwise_conv2d_adjoint_kernel(y_bar, x, kernel, strides, padding):
    """The kernel's share of ``y = depthwise_conv2d(x, kernel)``, summed over chunks of the
    batch in their order (the same sums whatever the number of threads)."""
    sh, sw, out_h, out_w, top, left = geometry(x, kernel, strides, padding)
    x = np.ascontiguousarray(x)
    y_bar = np.ascontiguousarray(in_dtype_of(y_bar, x))
    n = x.shape[0]
    chunks = chunk_count(n, IMAGES_PER_CHUNK)
    parts = np.zeros((chunks,) + kernel.shape, x.dtype)
    for chunk in prange(chunks):
        start, stop = chunk_bounds(chunk, n, IMAGES_PER_CHUNK)
        _accumulate(ADJOINT_KERNEL, x, parts[chunk], y_bar, start, stop, sh, sw, top, left)
    kernel_bar = np.zeros(kernel.shape, x.dtype)
    for chunk in range(chunks):
        kernel_bar += parts[chunk]
    return kernel_bar
