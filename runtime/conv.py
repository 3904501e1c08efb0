"""conv2d: NHWC input ``x`` (batch, height, width, channels), HWIO ``kernel`` (height, width,
in channels, out channels), TensorFlow's strides and ``VALID``/``SAME`` padding. Like
``tf.nn.conv2d`` it is a cross-correlation: the kernel is not flipped.

The work is a BLAS matrix product on the input's patches, chunk by chunk of the batch, the
chunks shared among the cores (``batches``). With C channels and stride s, a
patch matrix is laid out so that its inner loops copy contiguous runs of the input:
- *by column* (one row per output pixel, ``KH*KW*C`` columns): runs of ``KW*C`` input values;
- *by row* (one row per kernel tap, one column per output pixel): runs of a whole output row,
  when ``C*s == 1`` (single-channel input at stride 1, the first layer of a network).
A single-channel input at stride 1 is convolved without patches: its forward pass
(``one_channel``) adds shifted copies of the padded input planes, a long contiguous run per
four taps, and its kernel's adjoint (``one_channel_kernel_adjoint``) is one long dot product per tap
and output channel.
Offsets are unsigned so that numba drops its negative-index checks and vectorizes the copies.
"""
import numpy as np
from numba import njit, prange, uint64

from adcompiler.rules import importable

from .batches import PRANGE_ONLY, IMAGES_PER_CHUNK, chunk_bounds, chunk_count
from .entry import in_dtype_of, operation
from .geometry import is_same, output_size, outputs_inside, pair
from .unlinked import unlinked


@njit(cache=True)
def geometry(x, kernel, strides, padding):
    """(stride h, stride w, out h, out w, pad top, pad left) of ``conv2d(x, kernel)``."""
    if kernel.shape[2] != x.shape[3]:
        raise ValueError("conv2d: x has " + str(x.shape[3]) + " channels but the kernel takes "
                         + str(kernel.shape[2]) + " (kernel shape: height, width, in, out)")
    sh, sw = pair(strides)
    same = is_same(padding)
    out_h, pad_top = output_size(x.shape[1], kernel.shape[0], sh, same)
    out_w, pad_left = output_size(x.shape[2], kernel.shape[1], sw, same)
    return sh, sw, out_h, out_w, pad_top, pad_left


@njit(cache=True)
def by_row(x, kh_size, kw_size, sh, sw, out_h, out_w, pad_top, pad_left):
    """Patches as rows[(kh, kw, c), (n, oh, ow)] = x[n, oh*sh + kh - pad, ow*sw + kw - pad, c]
    (0 in the padding)."""
    n_size, h, w, c_size = x.shape
    flat = np.ascontiguousarray(x).ravel()
    pixels = n_size * out_h * out_w
    rows = np.empty((kh_size * kw_size * c_size, pixels), x.dtype)
    out = rows.ravel()
    step = uint64(sw * c_size)
    for kh in range(kh_size):
        for kw in range(kw_size):
            lo, hi = outputs_inside(kw, sw, pad_left, w, out_w)
            for c in range(c_size):
                row = (kh * kw_size + kw) * c_size + c
                first = (lo * sw - pad_left + kw) * c_size + c
                for n in range(n_size):
                    for oh in range(out_h):
                        ih = oh * sh - pad_top + kh
                        start = uint64(row * pixels + (n * out_h + oh) * out_w)
                        if ih < 0 or ih >= h:
                            for j in range(uint64(out_w)):
                                out[start + j] = 0
                            continue
                        for j in range(uint64(lo)):
                            out[start + j] = 0
                        source = uint64((n * h + ih) * w * c_size + first)
                        middle = start + uint64(lo)
                        for j in range(uint64(hi - lo)):
                            out[middle + j] = flat[source + j * step]
                        for j in range(uint64(hi), uint64(out_w)):
                            out[start + j] = 0
    return rows


@njit(cache=True)
def scatter_rows(rows, shape, kh_size, kw_size, sh, sw, out_h, out_w, pad_top, pad_left):
    """The adjoint of ``by_row``: each patch value added back to the input element it came from."""
    n_size, h, w, c_size = shape
    x = np.zeros(shape, rows.dtype)
    flat = x.ravel()
    source = rows.ravel()
    pixels = n_size * out_h * out_w
    step = uint64(sw * c_size)
    for kh in range(kh_size):
        for kw in range(kw_size):
            lo, hi = outputs_inside(kw, sw, pad_left, w, out_w)
            for c in range(c_size):
                row = (kh * kw_size + kw) * c_size + c
                first = (lo * sw - pad_left + kw) * c_size + c
                for n in range(n_size):
                    for oh in range(out_h):
                        ih = oh * sh - pad_top + kh
                        if ih < 0 or ih >= h:
                            continue
                        start = uint64(row * pixels + (n * out_h + oh) * out_w + lo)
                        target = uint64((n * h + ih) * w * c_size + first)
                        for j in range(uint64(hi - lo)):
                            flat[target + j * step] += source[start + j]
    return x


@njit(cache=True)
def by_column(x, kh_size, kw_size, sh, sw, out_h, out_w, pad_top, pad_left):
    """Patches as cols[(n, oh, ow), (kh, kw, c)] (0 in the padding)."""
    n_size, h, w, c_size = x.shape
    flat = np.ascontiguousarray(x).ravel()
    run = kw_size * c_size
    width = kh_size * run
    cols = np.empty((n_size * out_h * out_w, width), x.dtype)
    out = cols.ravel()
    for n in range(n_size):
        for oh in range(out_h):
            for ow in range(out_w):
                pixel = (n * out_h + oh) * out_w + ow
                iw0 = ow * sw - pad_left
                a, b = max(iw0, 0), min(iw0 + kw_size, w)
                head, body = uint64((a - iw0) * c_size), uint64(max(b - a, 0) * c_size)
                for kh in range(kh_size):
                    ih = oh * sh - pad_top + kh
                    start = uint64(pixel * width + kh * run)
                    if ih < 0 or ih >= h or body == 0:
                        for j in range(uint64(run)):
                            out[start + j] = 0
                        continue
                    source = uint64(((n * h + ih) * w + a) * c_size)
                    for j in range(head):
                        out[start + j] = 0
                    middle = start + head
                    for j in range(body):
                        out[middle + j] = flat[source + j]
                    for j in range(head + body, uint64(run)):
                        out[start + j] = 0
    return cols


@njit(cache=True)
def scatter_columns(cols, shape, kh_size, kw_size, sh, sw, out_h, out_w, pad_top, pad_left):
    """The adjoint of ``by_column``."""
    n_size, h, w, c_size = shape
    x = np.zeros(shape, cols.dtype)
    flat = x.ravel()
    source = cols.ravel()
    run = kw_size * c_size
    width = kh_size * run
    for n in range(n_size):
        for oh in range(out_h):
            for ow in range(out_w):
                pixel = (n * out_h + oh) * out_w + ow
                iw0 = ow * sw - pad_left
                a, b = max(iw0, 0), min(iw0 + kw_size, w)
                if b <= a:
                    continue
                for kh in range(kh_size):
                    ih = oh * sh - pad_top + kh
                    if ih < 0 or ih >= h:
                        continue
                    start = uint64(pixel * width + kh * run + (a - iw0) * c_size)
                    target = uint64(((n * h + ih) * w + a) * c_size)
                    for j in range(uint64((b - a) * c_size)):
                        flat[target + j] += source[start + j]
    return x


@njit(cache=True)
def padded_planes(x, kh_size, kw_size, out_h, out_w, top, left):
    """A one-channel ``x`` with its zero padding, as flat (n, out_h + KH - 1, out_w + KW - 1)
    planes: at stride 1, tap (kh, kw) of output (oh, ow) is element (oh + kh, ow + kw)."""
    n_size, h, w, _ = x.shape
    hp, wp = out_h + kh_size - 1, out_w + kw_size - 1
    flat = np.ascontiguousarray(x).ravel()
    planes = np.zeros(n_size * hp * wp, x.dtype)
    a, b = max(0, left), min(wp, w + left)
    for n in range(n_size):
        for i in range(max(0, top), min(hp, h + top)):
            target = uint64((n * hp + i) * wp + a)
            source = uint64((n * h + i - top) * w + a - left)
            for j in range(uint64(max(b - a, 0))):
                planes[target + j] = flat[source + j]
    return planes


@njit(cache=True)
def one_channel(x, kernel, out_h, out_w, top, left):
    """conv2d of a one-channel ``x`` at stride 1, without patches: on the padded planes, a
    tap's share of an output plane is the input plane shifted by the tap, so each tap adds one
    long contiguous run (outputs computed on the padded width, the extra columns dropped),
    four taps of a kernel row at a time."""
    n_size = x.shape[0]
    kh_size, kw_size, _, o_size = kernel.shape
    hp, wp = out_h + kh_size - 1, out_w + kw_size - 1
    planes = padded_planes(x, kh_size, kw_size, out_h, out_w, top, left)
    grid = out_h * wp
    span = uint64((out_h - 1) * wp + out_w)
    sums = np.zeros(n_size * o_size * grid, x.dtype)
    one, two, three = uint64(1), uint64(2), uint64(3)
    for n in range(n_size):
        for o in range(o_size):
            target = uint64((n * o_size + o) * grid)
            for kh in range(kh_size):
                kw = 0
                while kw + 4 <= kw_size:    # four taps a pass: fewer loads and stores of sums
                    w0, w1 = kernel[kh, kw, 0, o], kernel[kh, kw + 1, 0, o]
                    w2, w3 = kernel[kh, kw + 2, 0, o], kernel[kh, kw + 3, 0, o]
                    source = uint64(n * hp * wp + kh * wp + kw)
                    for q in range(span):
                        at = source + q
                        sums[target + q] += (w0 * planes[at] + w1 * planes[at + one]) \
                            + (w2 * planes[at + two] + w3 * planes[at + three])
                    kw += 4
                for tap in range(kw, kw_size):
                    weight = kernel[kh, tap, 0, o]
                    source = uint64(n * hp * wp + kh * wp + tap)
                    for q in range(span):
                        sums[target + q] += weight * planes[source + q]
    y = np.empty(n_size * out_h * out_w * o_size, x.dtype)
    step = uint64(o_size)
    for n in range(n_size):             # to channels last: each plane's row read in order
        for oh in range(out_h):
            row = uint64((n * out_h + oh) * out_w * o_size)
            for o in range(o_size):
                source = uint64((n * o_size + o) * grid + oh * wp)
                for ow in range(uint64(out_w)):
                    y[row + uint64(o) + ow * step] = sums[source + ow]
    return y.reshape((n_size, out_h, out_w, o_size))


@njit(cache=True)
def one_channel_kernel_adjoint(y_bar, x, kh_size, kw_size, out_h, out_w, top, left):
    """The kernel's adjoint for a one-channel ``x`` at stride 1, without patches: with ``y_bar``
    spread on the padded width (zeros in the extra columns), tap (kh, kw)'s share for output
    channel o is the dot product of the image's padded plane, shifted by the tap, with o's
    spread plane: one contiguous run of ``out_h`` padded rows."""
    n_size, o_size = x.shape[0], y_bar.shape[3]
    hp, wp = out_h + kh_size - 1, out_w + kw_size - 1
    planes = padded_planes(x, kh_size, kw_size, out_h, out_w, top, left)
    grid = out_h * wp
    spread = np.zeros(n_size * o_size * grid, x.dtype)
    for n in range(n_size):
        for oh in range(out_h):
            for ow in range(out_w):
                for o in range(o_size):
                    spread[(n * o_size + o) * grid + oh * wp + ow] = y_bar[n, oh, ow, o]
    span = uint64((out_h - 1) * wp + out_w)
    kernel_bar = np.zeros((kh_size, kw_size, 1, o_size), x.dtype)
    for n in range(n_size):
        for o in range(o_size):
            target = uint64((n * o_size + o) * grid)
            for kh in range(kh_size):
                for kw in range(kw_size):
                    source = uint64(n * hp * wp + kh * wp + kw)
                    kernel_bar[kh, kw, 0, o] += _dot(planes, source, spread, target, span)
    return kernel_bar


@njit(fastmath={"reassoc", "contract"}, cache=True)
def _dot(a, a_start, b, b_start, length):
    """The sum of ``a[a_start + q] * b[b_start + q]`` over ``q < length`` (at least 1), added
    in whatever order vectorizes: the order is fixed by the compiled code, not by the run."""
    total = a[a_start] * b[b_start]
    for q in range(uint64(1), length):
        total += a[a_start + q] * b[b_start + q]
    return total


@njit(cache=True)
def _taps(kernel):
    """The kernel as a (KH*KW*C, O) matrix."""
    kh, kw, c, o = kernel.shape
    return np.ascontiguousarray(kernel).reshape(kh * kw * c, o)


@njit(cache=True)
def _pixels(y, like):
    """A (N, OH, OW, O) array as a (N*OH*OW, O) matrix of ``like``'s dtype."""
    n, oh, ow, o = y.shape
    return np.ascontiguousarray(in_dtype_of(y, like)).reshape(n * oh * ow, o)


@operation({"x": 4, "kernel": 4}, same_dtype=("x", "kernel"),
           canonical={"strides": "pair(strides)"})
def conv2d(x, kernel, strides=1, padding="VALID"):
    """2-D convolution (cross-correlation) of NHWC ``x`` with HWIO ``kernel``; ``strides`` an
    int or (height, width) pair; ``padding`` ``"VALID"`` or ``"SAME"`` (TensorFlow's)."""
    return _conv2d_in_chunks(x, kernel, strides, padding)


@unlinked
@njit(parallel=PRANGE_ONLY, cache=True)
def _conv2d_in_chunks(x, kernel, strides, padding):
    sh, sw, out_h, out_w, top, left = geometry(x, kernel, strides, padding)
    n = x.shape[0]
    y = np.empty((n, out_h, out_w, kernel.shape[3]), x.dtype)
    for chunk in prange(chunk_count(n, IMAGES_PER_CHUNK)):
        start, stop = chunk_bounds(chunk, n, IMAGES_PER_CHUNK)
        y[start:stop] = _conv2d_chunk(x[start:stop], kernel, sh, sw, out_h, out_w, top, left)
    return y


@unlinked
@njit(cache=True)
def _conv2d_chunk(x, kernel, sh, sw, out_h, out_w, top, left):
    kh, kw = kernel.shape[0], kernel.shape[1]
    if x.shape[3] == 1 and sh == 1 and sw == 1:
        return one_channel(x, kernel, out_h, out_w, top, left)
    if x.shape[3] * sw == 1:
        y = np.dot(by_row(x, kh, kw, sh, sw, out_h, out_w, top, left).T, _taps(kernel))
    else:
        y = np.dot(by_column(x, kh, kw, sh, sw, out_h, out_w, top, left), _taps(kernel))
    return y.reshape(x.shape[0], out_h, out_w, kernel.shape[3])


@importable
@unlinked
@njit(parallel=PRANGE_ONLY, cache=True)
def conv2d_adjoint_x(y_bar, x, kernel, strides, padding):
    """x's share of ``y = conv2d(x, kernel)``: the patches' adjoint scattered back."""
    sh, sw, out_h, out_w, top, left = geometry(x, kernel, strides, padding)
    n = x.shape[0]
    x_bar = np.empty(x.shape, x.dtype)
    for chunk in prange(chunk_count(n, IMAGES_PER_CHUNK)):
        start, stop = chunk_bounds(chunk, n, IMAGES_PER_CHUNK)
        x_bar[start:stop] = _adjoint_x_chunk(y_bar[start:stop], x[start:stop], kernel,
                                             sh, sw, out_h, out_w, top, left)
    return x_bar


@unlinked
@njit(cache=True)
def _adjoint_x_chunk(y_bar, x, kernel, sh, sw, out_h, out_w, top, left):
    kh, kw = kernel.shape[0], kernel.shape[1]
    if x.shape[3] * sw == 1:
        rows = np.dot(_taps(kernel), _pixels(y_bar, x).T)
        return scatter_rows(rows, x.shape, kh, kw, sh, sw, out_h, out_w, top, left)
    cols = np.dot(_pixels(y_bar, x), _taps(kernel).T)
    return scatter_columns(cols, x.shape, kh, kw, sh, sw, out_h, out_w, top, left)


@importable
@unlinked
@njit(parallel=PRANGE_ONLY, cache=True)
def conv2d_adjoint_kernel(y_bar, x, kernel, strides, padding):
    """The kernel's share of ``y = conv2d(x, kernel)``: patchesᵀ · y_bar, summed over chunks."""
    sh, sw, out_h, out_w, top, left = geometry(x, kernel, strides, padding)
    n = x.shape[0]
    chunks = chunk_count(n, IMAGES_PER_CHUNK)
    parts = np.empty((chunks,) + kernel.shape, x.dtype)
    for chunk in prange(chunks):
        start, stop = chunk_bounds(chunk, n, IMAGES_PER_CHUNK)
        parts[chunk] = _adjoint_kernel_chunk(y_bar[start:stop], x[start:stop], kernel,
                                             sh, sw, out_h, out_w, top, left)
    kernel_bar = np.zeros(kernel.shape, x.dtype)
    for chunk in range(chunks):
        kernel_bar += parts[chunk]
    return kernel_bar


@unlinked
@njit(cache=True)
def _adjoint_kernel_chunk(y_bar, x, kernel, sh, sw, out_h, out_w, top, left):
    kh, kw = kernel.shape[0], kernel.shape[1]
    if x.shape[3] == 1 and sh == 1 and sw == 1:
        return one_channel_kernel_adjoint(y_bar, x, kh, kw, out_h, out_w, top, left)
    pixels = _pixels(y_bar, x)
    if x.shape[3] * sw == 1:
        taps = np.dot(by_row(x, kh, kw, sh, sw, out_h, out_w, top, left), pixels)
    else:
        taps = np.dot(by_column(x, kh, kw, sh, sw, out_h, out_w, top, left).T, pixels)
    return taps.reshape(kernel.shape)
