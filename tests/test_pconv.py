"""PConv, the counter-harmonic mean layer written on depthwise_conv2d: its values against the formula
computed window by window in NumPy, its limits (dilation, erosion, normalized convolution), and
the derivatives adcompiler derives for it (inputs, weights, powers, bias) against central
finite differences in both modes, reverse and forward."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from adcompiler.runtime import Input, PConv, Sequential
from adcompiler.runtime.layer_functions import layer_function
from gradcheck import check_both_modes


def built(shape, filters, kernel_size, strides, padding, seed=0):
    layer = PConv(filters, kernel_size, strides, padding)
    Sequential([Input(shape), layer], dtype="float64", seed=seed).build()
    return layer


def reference(x, kernel, power, bias, strides, padding):
    """sum(w f^(P+1)) / sum(w f^P) - 1 + bias over each window's pixels inside the image, with
    f = 1 + relu(x), w = softplus(kernel), one P per (output, input) channel."""
    f, w = 1.0 + np.maximum(x, 0.0), np.log1p(np.exp(kernel))
    n, h, width, _ = x.shape
    kh, kw, _, filters = kernel.shape
    (sh, sw), rows, columns = strides, [], []
    for size, k, s, out in ((h, kh, sh, rows), (width, kw, sw, columns)):
        count = -(-size // s) if padding == "same" else (size - k) // s + 1
        before = max((count - 1) * s + k - size, 0) // 2 if padding == "same" else 0
        out.extend(range(-before, -before + count * s, s))
    y = np.zeros((n, len(rows), len(columns), filters))
    for i, top in enumerate(rows):
        for j, left in enumerate(columns):
            for o in range(filters):
                numerator = denominator = 0.0
                for a in range(kh):
                    for b in range(kw):
                        r, c = top + a, left + b
                        if 0 <= r < h and 0 <= c < width:
                            powered = f[:, r, c, :] ** power[o]
                            numerator = numerator + powered * f[:, r, c, :] @ w[a, b, :, o]
                            denominator = denominator + powered @ w[a, b, :, o]
                y[:, i, j, o] = numerator / denominator - 1.0 + bias[o]
    return y


@settings(max_examples=25, deadline=None)
@given(batch=st.integers(1, 2), height=st.integers(3, 7), width=st.integers(3, 7),
       channels=st.integers(1, 3), filters=st.integers(1, 3), kernel_size=st.integers(1, 3),
       strides=st.integers(1, 2), padding=st.sampled_from(["same", "valid"]),
       seed=st.integers(0, 2 ** 31))
def test_values_are_the_counter_harmonic_mean(batch, height, width, channels, filters,
                                              kernel_size, strides, padding, seed):
    layer = built((height, width, channels), filters, kernel_size, strides, padding, seed)
    rng = np.random.default_rng(seed)
    layer.power[...] = rng.uniform(-4, 4, layer.power.shape)
    layer.bias[...] = rng.standard_normal(filters)
    x = rng.uniform(-0.5, 1.5, (batch, height, width, channels))
    function, _ = layer_function(layer)
    np.testing.assert_allclose(
        function(*layer.weights, x),
        reference(x, *layer.weights, (strides, strides), padding), rtol=1e-10, atol=1e-12)


def test_large_powers_dilate_small_ones_erode_zero_averages():
    layer = built((6, 6, 1), 3, 3, 1, "valid")
    layer.kernel[...] = 0.0                         # equal weights
    layer.power[...] = np.array([[60.0], [-60.0], [0.0]])
    assert layer.weight_names == ["kernel", "power", "bias"]
    x = np.random.default_rng(0).uniform(0, 1, (2, 6, 6, 1))
    function, _ = layer_function(layer)
    y = function(*layer.weights, x)
    windows = np.lib.stride_tricks.sliding_window_view(x[..., 0], (3, 3), axis=(1, 2))
    np.testing.assert_allclose(y[..., 0], windows.max(axis=(3, 4)), atol=0.02)
    np.testing.assert_allclose(y[..., 1], windows.min(axis=(3, 4)), atol=0.02)
    np.testing.assert_allclose(y[..., 2], windows.mean(axis=(3, 4)), rtol=1e-12)


@pytest.mark.parametrize("strides, padding", [(1, "same"), (2, "valid")])
@settings(max_examples=3, deadline=None)
@given(batch=st.integers(1, 2), size=st.integers(4, 6), channels=st.integers(1, 2),
       filters=st.integers(1, 2), seed=st.integers(0, 2 ** 31))
def test_derivatives_with_respect_to_inputs_weights_and_powers(strides, padding, batch, size,
                                                               channels, filters, seed):
    layer = built((size, size, channels), filters, 3, strides, padding)
    function, _ = layer_function(layer)
    rng = np.random.default_rng(seed)
    kernel = rng.standard_normal(layer.kernel.shape)
    power = rng.uniform(-3, 3, layer.power.shape)
    bias = rng.standard_normal(filters)
    x = rng.uniform(0.05, 1.0, (batch, size, size, channels))     # away from relu's kink
    weights = rng.standard_normal(function(kernel, power, bias, x).shape)

    def objective(kernel, power, bias, inputs, weights):
        return np.sum(function(kernel, power, bias, inputs) * weights)
    check_both_modes(objective, (kernel, power, bias, x, weights), wrt=(0, 1, 2, 3))


def test_takes_images_only():
    with pytest.raises(ValueError, match="PConv takes images"):
        Sequential([Input((5, 5)), PConv(2, 3)]).build()
