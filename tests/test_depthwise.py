"""depthwise_conv2d: values against a NumPy reference (TensorFlow's padding and channel order),
derivatives (reverse and forward, jit and pure Python) against central finite differences in
float64 with hypothesis drawing shapes, multipliers, strides and paddings, and the grouped
convolution it stands for."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from adcompiler.runtime import conv2d, depthwise_conv2d
from gradcheck import check_both_modes

EXAMPLES = settings(max_examples=5, deadline=None)
SAME_VALUES = settings(max_examples=24, deadline=None)


def randn(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


def depthwise_reference(x, kernel, strides, padding):
    """Output channel c * M + m: input channel c cross-correlated with kernel[:, :, c, m],
    windows placed by TensorFlow's rule (SAME pads the smaller half before)."""
    (kh, kw, c_size, m_size), (sh, sw) = kernel.shape, strides
    n, h, w, _ = x.shape
    if padding == "VALID":
        out_h, out_w, top, left = (h - kh) // sh + 1, (w - kw) // sw + 1, 0, 0
    else:
        out_h, out_w = -(-h // sh), -(-w // sw)
        top = max((out_h - 1) * sh + kh - h, 0) // 2
        left = max((out_w - 1) * sw + kw - w, 0) // 2
    padded = np.zeros((n, h + 2 * kh + 2 * sh, w + 2 * kw + 2 * sw, c_size))
    padded[:, top:top + h, left:left + w] = x
    y = np.zeros((n, out_h, out_w, c_size * m_size))
    for i in range(out_h):
        for j in range(out_w):
            window = padded[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :]
            for c in range(c_size):
                for m in range(m_size):
                    y[:, i, j, c * m_size + m] = np.sum(window[..., c] * kernel[:, :, c, m],
                                                        axis=(1, 2))
    return y


@st.composite
def depthwise_case(draw, padding):
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    low_h, low_w = (kh, kw) if padding == "VALID" else (1, 1)
    shape = (draw(st.integers(1, 3)), draw(st.integers(low_h, 6)),
             draw(st.integers(low_w, 6)), draw(st.integers(1, 4)))
    kernel = (kh, kw, shape[3], draw(st.integers(1, 3)))
    strides = draw(st.sampled_from([(1, 1), (2, 2), (1, 2), (3, 1)]))
    return shape, kernel, strides, draw(st.integers(0, 2 ** 31))


@SAME_VALUES
@given(data=st.data())
def test_depthwise_values(data):
    padding = data.draw(st.sampled_from(["VALID", "SAME"]))
    shape, kernel, strides, seed = data.draw(depthwise_case(padding))
    x, k = randn(shape, seed), randn(kernel, seed + 1)
    np.testing.assert_allclose(depthwise_conv2d(x, k, strides, padding),
                               depthwise_reference(x, k, strides, padding),
                               rtol=1e-10, atol=1e-12)
    y32 = depthwise_conv2d(x.astype(np.float32), k.astype(np.float32), strides, padding)
    assert y32.dtype == np.float32


def depthwise_valid(x, k, w, sh, sw):
    return np.sum(depthwise_conv2d(x, k, (sh, sw), "VALID") * w)


def depthwise_same(x, k, w, sh, sw):
    return np.sum(depthwise_conv2d(x, k, (sh, sw), "SAME") * w)


@pytest.mark.parametrize("f", [depthwise_valid, depthwise_same], ids=["VALID", "SAME"])
@EXAMPLES
@given(data=st.data())
def test_depthwise_derivatives(f, data):
    padding = "VALID" if f is depthwise_valid else "SAME"
    shape, kernel, (sh, sw), seed = data.draw(depthwise_case(padding))
    x, k = randn(shape, seed), randn(kernel, seed + 1)
    w = randn(depthwise_conv2d(x, k, (sh, sw), padding).shape, seed + 2)
    check_both_modes(f, (x, k, w, sh, sw), wrt=(0, 1))


def test_a_block_diagonal_convolution_is_a_depthwise_one_summed_over_groups():
    rng = np.random.default_rng(3)
    groups, per_group = 4, 3
    x = rng.standard_normal((2, 7, 6, groups * per_group))
    k = rng.standard_normal((3, 2, groups * per_group, 1))
    blocks = np.zeros((3, 2, groups * per_group, groups))
    for g in range(groups):
        rows = slice(g * per_group, (g + 1) * per_group)
        blocks[:, :, rows, g] = k[:, :, rows, 0]
    grouped = depthwise_conv2d(x, k, 2, "SAME").reshape(2, 4, 3, groups, per_group).sum(-1)
    np.testing.assert_allclose(grouped, conv2d(x, blocks, 2, "SAME"), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("call, message", [
    (lambda: depthwise_conv2d(np.ones((1, 3, 3, 2)), np.ones((1, 1, 3, 1))), "channels"),
    (lambda: depthwise_conv2d(np.ones((1, 3, 3)), np.ones((1, 1, 3, 1))), "4-D"),
    (lambda: depthwise_conv2d(np.ones((1, 2, 2, 1)), np.ones((3, 3, 1, 1))), "does not fit"),
    (lambda: depthwise_conv2d(np.ones((1, 3, 3, 1)), np.ones((1, 1, 1, 1)), 1, "FULL"),
     "padding"),
])
def test_clear_errors(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def depthwise_of_views(x, k, w):
    # the kernel a transposed view and the image a slice: neither is contiguous
    return np.sum(depthwise_conv2d(x[:, ::2], np.transpose(k, (1, 0, 2, 3)), 1, "SAME") * w)


def test_derivatives_through_views():
    rng = np.random.default_rng(5)
    x, k = rng.standard_normal((2, 8, 5, 3)), rng.standard_normal((2, 3, 3, 2))
    w = rng.standard_normal((2, 4, 5, 6))
    check_both_modes(depthwise_of_views, (x, k, w), wrt=(0, 1))
