"""The runtime's kernels: values against plain NumPy references, derivatives (reverse and
forward, jit and pure Python) against central finite differences in float64, with hypothesis
drawing shapes, strides, paddings and channel counts; TensorFlow's conventions at kinks and
ties; errors."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import adcompiler as adc
from adcompiler.runtime import (avg_pool2d, bias_add, binary_crossentropy, conv2d, dense,
                                flatten, leaky_relu, log_softmax, mae, max_pool2d, mse, relu,
                                sigmoid, softmax, sparse_categorical_crossentropy)
from gradcheck import check_both_modes

EXAMPLES = settings(max_examples=4, deadline=None)
SAME_VALUES = settings(max_examples=8, deadline=None)


def randn(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


# ------------------------------------------------------------------ NumPy references

def padding_of(size, window, stride, padding):
    """(output size, pad before, pad after), TensorFlow's rule."""
    if padding == "VALID":
        return (size - window) // stride + 1, 0, 0
    out = -(-size // stride)
    total = max((out - 1) * stride + window - size, 0)
    return out, total // 2, total - total // 2


def windows(x, pool, strides, padding, fill):
    """Every window of NHWC ``x`` as (N, OH, OW, ph, pw, C), padding filled with ``fill``."""
    (ph, pw), (sh, sw) = pool, strides
    oh, top, bottom = padding_of(x.shape[1], ph, sh, padding)
    ow, left, right = padding_of(x.shape[2], pw, sw, padding)
    padded = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=fill)
    out = np.empty((x.shape[0], oh, ow, ph, pw, x.shape[3]))
    for i in range(oh):
        for j in range(ow):
            out[:, i, j] = padded[:, i * sh:i * sh + ph, j * sw:j * sw + pw, :]
    return out


def conv2d_reference(x, k, strides, padding):
    patches = windows(x, k.shape[:2], strides, padding, 0.0)
    return np.einsum("nijhwc,hwco->nijo", patches, k)


def avg_pool_reference(x, pool, strides, padding):
    patches = windows(x, pool, strides, padding, np.nan)
    return np.nanmean(patches, axis=(3, 4))


def max_pool_reference(x, pool, strides, padding):
    return np.max(windows(x, pool, strides, padding, -np.inf), axis=(3, 4))


# ------------------------------------------------------------------ strategies

STRIDES = st.sampled_from([(1, 1), (2, 2), (1, 2), (2, 1), (3, 2)])


@st.composite
def conv_case(draw, padding):
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    low_h, low_w = (kh, kw) if padding == "VALID" else (1, 1)
    shape = (draw(st.integers(1, 2)), draw(st.integers(low_h, 6)), draw(st.integers(low_w, 6)),
             draw(st.integers(1, 3)))
    kernel = (kh, kw, shape[3], draw(st.integers(1, 3)))
    return shape, kernel, draw(STRIDES), draw(st.integers(0, 2 ** 31))


@st.composite
def pool_case(draw, padding):
    pool = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    low_h, low_w = pool if padding == "VALID" else (1, 1)
    shape = (draw(st.integers(1, 2)), draw(st.integers(low_h, 6)), draw(st.integers(low_w, 6)),
             draw(st.integers(1, 3)))
    return shape, pool, draw(STRIDES), draw(st.integers(0, 2 ** 31))


# ------------------------------------------------------------------ convolution

def conv_valid(x, k, w, sh, sw):
    return np.sum(conv2d(x, k, (sh, sw), "VALID") * w)


def conv_same(x, k, w, sh, sw):
    return np.sum(conv2d(x, k, (sh, sw), "SAME") * w)


@pytest.mark.parametrize("padding", ["VALID", "SAME"])
@SAME_VALUES
@given(data=st.data())
def test_conv2d_values(padding, data):
    shape, kernel, strides, seed = data.draw(conv_case(padding))
    x, k = randn(shape, seed), randn(kernel, seed + 1)
    np.testing.assert_allclose(conv2d(x, k, strides, padding),
                               conv2d_reference(x, k, strides, padding), rtol=1e-10, atol=1e-12)
    y32 = conv2d(x.astype(np.float32), k.astype(np.float32), strides, padding)
    assert y32.dtype == np.float32


@pytest.mark.parametrize("f", [conv_valid, conv_same], ids=["VALID", "SAME"])
@EXAMPLES
@given(data=st.data())
def test_conv2d_derivatives(f, data):
    shape, kernel, (sh, sw), seed = data.draw(
        conv_case("VALID" if f is conv_valid else "SAME"))
    x, k = randn(shape, seed), randn(kernel, seed + 1)
    w = randn(conv2d(x, k, (sh, sw), "VALID" if f is conv_valid else "SAME").shape, seed + 2)
    check_both_modes(f, (x, k, w, sh, sw), wrt=(0, 1))


def test_conv2d_same_padding_is_tensorflows_asymmetric_one():
    # width 5, window 4, stride 1: 3 padded, 1 before and 2 after, so the first output sums
    # x[0:3] (with 2 before, it would sum x[0:2])
    x = np.arange(5.0).reshape(1, 1, 5, 1)
    k = np.ones((1, 4, 1, 1))
    np.testing.assert_allclose(conv2d(x, k, 1, "SAME").ravel(), [3, 6, 10, 9, 7])


# ------------------------------------------------------------------ pooling

def avg_valid(x, w, ph, pw, sh, sw):
    return np.sum(avg_pool2d(x, (ph, pw), (sh, sw), "VALID") * w)


def avg_same(x, w, ph, pw, sh, sw):
    return np.sum(avg_pool2d(x, (ph, pw), (sh, sw), "SAME") * w)


def max_valid(x, w, ph, pw, sh, sw):
    return np.sum(max_pool2d(x, (ph, pw), (sh, sw), "VALID") * w)


def max_same(x, w, ph, pw, sh, sw):
    return np.sum(max_pool2d(x, (ph, pw), (sh, sw), "SAME") * w)


POOLS = {avg_valid: (avg_pool2d, "VALID"), avg_same: (avg_pool2d, "SAME"),
         max_valid: (max_pool2d, "VALID"), max_same: (max_pool2d, "SAME")}


@pytest.mark.parametrize("padding", ["VALID", "SAME"])
@SAME_VALUES
@given(data=st.data())
def test_pooling_values(padding, data):
    shape, pool, strides, seed = data.draw(pool_case(padding))
    x = randn(shape, seed)
    np.testing.assert_allclose(avg_pool2d(x, pool, strides, padding),
                               avg_pool_reference(x, pool, strides, padding), rtol=1e-12)
    np.testing.assert_array_equal(max_pool2d(x, pool, strides, padding),
                                  max_pool_reference(x, pool, strides, padding))


@pytest.mark.parametrize("f", list(POOLS), ids=lambda f: f.__name__)
@EXAMPLES
@given(data=st.data())
def test_pooling_derivatives(f, data):
    op, padding = POOLS[f]
    shape, (ph, pw), (sh, sw), seed = data.draw(pool_case(padding))
    x = randn(shape, seed)         # continuous values: no ties, so max pooling is smooth here
    w = randn(op(x, (ph, pw), (sh, sw), padding).shape, seed + 1)
    check_both_modes(f, (x, w, ph, pw, sh, sw), wrt=0)


def test_pooling_defaults_stride_to_the_pool_size():
    x = randn((1, 4, 6, 2), 0)
    np.testing.assert_array_equal(max_pool2d(x, 2), max_pool2d(x, (2, 2), (2, 2), "VALID"))
    assert avg_pool2d(x, (2, 3)).shape == (1, 2, 2, 2)


def test_max_pool_ties_send_the_adjoint_to_the_first_maximum():
    x = np.array([[1.0, 3.0], [3.0, 3.0]]).reshape(1, 2, 2, 1)

    def f(x):
        return np.sum(max_pool2d(x, 2))
    for jit in (True, False):
        grad = adc.grad(f, jit=jit)(x)
        np.testing.assert_array_equal(grad.reshape(2, 2), [[0, 1], [0, 0]])


# ------------------------------------------------------------------ dense

def dense_loss(x, w, b, v):
    return np.sum(dense(x, w, b) * v)


@EXAMPLES
@given(batch=st.sampled_from([(), (3,), (2, 3)]), inputs=st.integers(1, 5),
       units=st.integers(1, 4), seed=st.integers(0, 2 ** 31))
def test_dense(batch, inputs, units, seed):
    x, w, b = randn(batch + (inputs,), seed), randn((inputs, units), seed + 1), \
        randn((units,), seed + 2)
    np.testing.assert_allclose(dense(x, w, b), x @ w + b, rtol=1e-12)
    check_both_modes(dense_loss, (x, w, b, randn(batch + (units,), seed + 3)), wrt=(0, 1, 2))


def bias_add_loss(x, b, v):
    return np.sum(bias_add(x, b) * v)


@EXAMPLES
@given(batch=st.sampled_from([(), (3,), (70,), (2, 5, 7)]),
       channels=st.sampled_from([1, 3, 6, 70]), seed=st.integers(0, 2 ** 31))
def test_bias_add(batch, channels, seed):
    """Rows shorter and longer than the kernel's runs of 64 values, sizes that are not a whole
    number of runs."""
    x, b = randn(batch + (channels,), seed), randn((channels,), seed + 1)
    np.testing.assert_array_equal(bias_add(x, b), x + b)
    check_both_modes(bias_add_loss, (x, b, randn(batch + (channels,), seed + 2)), wrt=(0, 1))


def test_bias_add_of_no_channels():
    x, b = np.ones((3, 0)), np.ones(0)
    assert bias_add(x, b).shape == (3, 0)
    assert adc.grad(bias_add_loss, wrt=1)(x, b, x).shape == (0,)


def test_bias_add_wants_as_many_channels_as_biases():
    with pytest.raises(ValueError, match="x has 3 channels but b has 2"):
        bias_add(np.ones((4, 3)), np.ones(2))
    with pytest.raises(ValueError, match="bias_add: x must be"):
        bias_add(np.array(1.0), np.ones(1))


# ------------------------------------------------------------------ activations

def stable_softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


ACTIVATIONS = {
    relu: lambda x: np.maximum(x, 0),
    sigmoid: lambda x: 1 / (1 + np.exp(-x)),
    flatten: lambda x: x.reshape(x.shape[0], -1),
}


def leaky(x, w):
    return np.sum(leaky_relu(x, 0.3) * w)


def softmax_middle(x, w):
    return np.sum(softmax(x, 1) * w)


def softmax_last(x, w):
    return np.sum(softmax(x) * w)


def log_softmax_first(x, w):
    return np.sum(log_softmax(x, 0) * w)


def log_softmax_last(x, w):
    return np.sum(log_softmax(x, -1) * w)


def relu_loss(x, w):
    return np.sum(relu(x) * w)


def sigmoid_loss(x, w):
    return np.sum(sigmoid(x) * w)


def flatten_loss(x, w):
    return np.sum(flatten(x) * w)


SMOOTH = [relu_loss, sigmoid_loss, flatten_loss, leaky, softmax_middle, softmax_last,
          log_softmax_first, log_softmax_last]


@pytest.mark.parametrize("op", list(ACTIVATIONS), ids=lambda op: op.__name__)
@SAME_VALUES
@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=4).map(tuple),
       seed=st.integers(0, 2 ** 31))
def test_activation_values(op, shape, seed):
    x = randn(shape, seed) * 5
    np.testing.assert_allclose(op(x), ACTIVATIONS[op](x), rtol=1e-12)
    assert op(x.astype(np.float32)).dtype == np.float32


@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=3).map(tuple),
       seed=st.integers(0, 2 ** 31))
@SAME_VALUES
def test_softmax_values(shape, seed):
    x = randn(shape, seed) * 30            # large logits: the stable forms must not overflow
    for axis in range(-len(shape), len(shape)):
        np.testing.assert_allclose(softmax(x, axis), stable_softmax(x, axis), rtol=1e-12,
                                   atol=1e-300)
        expected = x - np.max(x, axis, keepdims=True)
        expected -= np.log(np.sum(np.exp(expected), axis, keepdims=True))
        np.testing.assert_allclose(log_softmax(x, axis), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(leaky_relu(x, 0.3), np.where(x > 0, x, 0.3 * x))
    assert np.all(np.isfinite(sigmoid(x * 100)))


@pytest.mark.parametrize("f", SMOOTH, ids=lambda f: f.__name__)
@EXAMPLES
@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=3).map(tuple),
       seed=st.integers(0, 2 ** 31))
def test_activation_derivatives(f, shape, seed):
    x = randn(shape, seed)
    x = np.where(np.abs(x) < 0.1, 0.5, x)          # away from the kinks of relu and leaky
    w = randn(flatten(x).shape if f is flatten_loss else shape, seed + 1)
    check_both_modes(f, (x, w), wrt=0)


def test_kinks_follow_tensorflow():
    x = np.zeros((1, 3))
    w = np.ones((1, 3))
    assert np.all(adc.grad(relu_loss)(x, w) == 0)             # relu'(0) = 0
    assert np.all(adc.grad(leaky)(x, w) == 0.3)               # leaky_relu'(0) = alpha
    assert np.all(adc.grad(mae_loss, wrt=1)(x, x) == 0)       # |x|' at 0 = 0


# ------------------------------------------------------------------ losses

def mse_loss(t, p):
    return mse(t, p)


def mae_loss(t, p):
    return mae(t, p)


def bce_loss(t, p):
    return binary_crossentropy(t, p)


def bce_logits_loss(t, z):
    return binary_crossentropy(t, z, from_logits=True)


LOSSES = {
    mse_loss: lambda t, p: np.mean(np.mean((p - t) ** 2, axis=-1)),
    mae_loss: lambda t, p: np.mean(np.mean(np.abs(p - t), axis=-1)),
    bce_loss: lambda t, p: np.mean(-(t * np.log(p) + (1 - t) * np.log(1 - p))),
    bce_logits_loss: lambda t, z: np.mean(np.logaddexp(0, z) - t * z),
}


@pytest.mark.parametrize("f", list(LOSSES), ids=lambda f: f.__name__)
@EXAMPLES
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple),
       seed=st.integers(0, 2 ** 31))
def test_losses(f, shape, seed):
    rng = np.random.default_rng(seed)
    t = rng.uniform(0.05, 0.95, shape)
    p = rng.uniform(0.05, 0.95, shape) if f is bce_loss else rng.standard_normal(shape)
    assert f(t, p) == pytest.approx(LOSSES[f](t, p), rel=1e-12)
    assert type(f(t.astype(np.float32), p.astype(np.float32))) is np.float32
    check_both_modes(f, (t, p), wrt=(0, 1))


def test_float32_losses_are_float32_in_compiled_code_too():
    t = np.array([0.1, 0.2], np.float32)
    p = np.array([0.3, 0.7], np.float32)

    def squared(t, p):
        c = mse(t, p)
        return c * c
    values = [adc.value_and_grad(squared, wrt=1, jit=jit)(t, p)[0] for jit in (True, False)]
    assert values[0] == values[1] == np.float32(mse(t, p)) ** 2


def scce_logits(labels, z):
    return sparse_categorical_crossentropy(labels, z, from_logits=True)


def scce(labels, p):
    return sparse_categorical_crossentropy(labels, p)


@pytest.mark.parametrize("f", [scce_logits, scce])
@EXAMPLES
@given(batch=st.sampled_from([(1,), (3,), (2, 2)]), classes=st.integers(2, 5),
       seed=st.integers(0, 2 ** 31))
def test_sparse_categorical_crossentropy(f, batch, classes, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, batch)
    z = rng.standard_normal(batch + (classes,)) * 3
    if f is scce:       # probabilities well above the finite-difference step
        z = stable_softmax(z / 3, -1)
    log_p = np.log(stable_softmax(z if f is scce_logits else np.log(z), -1))
    expected = -np.mean(np.take_along_axis(log_p, labels[..., None], -1))
    assert f(labels, z) == pytest.approx(expected, rel=1e-10)
    check_both_modes(f, (labels, z), wrt=1)


def test_sparse_crossentropy_renormalizes_clipped_probabilities_as_keras():
    """Keras: log_softmax of log(clip(p, 1e-7, 1 - 1e-7)); nan stays nan."""
    p = np.array([[0.0, 0.3, 0.9], [0.2, 1.0, 0.5]])
    labels = np.array([1, 0])
    clipped = np.clip(p, 1e-7, 1 - 1e-7)
    expected = -np.mean(np.log(clipped[[0, 1], labels]) - np.log(clipped.sum(1)))
    assert sparse_categorical_crossentropy(labels, p) == pytest.approx(expected, rel=1e-12)
    inside = (p >= 1e-7) & (p <= 1 - 1e-7)
    share = clipped / clipped.sum(1, keepdims=True) - np.eye(3)[labels]
    np.testing.assert_allclose(adc.grad(scce, wrt=1)(labels, p),
                               np.where(inside, share / np.where(inside, p, 1) / 2, 0.0),
                               rtol=1e-12)
    p[1, 2] = np.nan
    assert np.isnan(sparse_categorical_crossentropy(labels, p))
    assert np.isnan(scce_logits(labels, p))


def test_sparse_crossentropy_of_huge_logits_is_finite():
    z = np.array([[1000.0, -1000.0, 0.0]])
    assert sparse_categorical_crossentropy(np.array([1]), z, from_logits=True) == \
        pytest.approx(2000.0)
    grad = adc.grad(scce_logits, wrt=1)(np.array([1]), z)
    np.testing.assert_allclose(grad, [[1.0, -1.0, 0.0]], atol=1e-12)


# ------------------------------------------------------------------ float32 through a network

def lenet_like(x, k, w, b, labels):
    h = max_pool2d(relu(conv2d(x, k, 1, "SAME")), 2)
    return sparse_categorical_crossentropy(labels, dense(flatten(h), w, b), from_logits=True)


def test_float32_network_gradients_stay_float32():
    rng = np.random.default_rng(0)
    x = rng.random((2, 6, 6, 1), np.float32)
    k = rng.standard_normal((3, 3, 1, 2)).astype(np.float32)
    w = rng.standard_normal((18, 3)).astype(np.float32)
    b = np.zeros(3, np.float32)
    labels = np.array([0, 2])
    grads = adc.grad(lenet_like, wrt=(1, 2, 3))(x, k, w, b, labels)
    assert [g.dtype for g in grads] == [np.float32] * 3
    expected = adc.grad(lenet_like, wrt=(1, 2, 3))(
        x.astype(float), k.astype(float), w.astype(float), b.astype(float), labels)
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------ errors

@pytest.mark.parametrize("call, error, message", [
    (lambda: conv2d(np.ones((2, 3, 3)), np.ones((1, 1, 3, 1))), ValueError, "4-D"),
    (lambda: conv2d(np.ones((1, 3, 3, 2)), np.ones((1, 1, 3, 1))), ValueError, "channels"),
    (lambda: conv2d(np.ones((1, 3, 3, 1), np.float32), np.ones((1, 1, 1, 1))), TypeError,
     "same dtype"),
    (lambda: conv2d(np.ones((1, 3, 3, 1), int), np.ones((1, 1, 1, 1), int)), TypeError,
     "float32 or float64"),
    (lambda: conv2d(np.ones((1, 3, 3, 1)), np.ones((4, 1, 1, 1))), ValueError, "does not fit"),
    (lambda: max_pool2d(np.ones((1, 3, 3, 1)), 2, 1, "FULL"), ValueError, "'VALID' or 'SAME'"),
    (lambda: avg_pool2d(np.ones((1, 3, 3, 1)), 2, 0), ValueError, "positive"),
    (lambda: conv2d(np.ones((1, 3, 3, 1)), np.ones((1, 1, 1, 1)), (1, 1, 1)), TypeError,
     "pair of ints"),
    (lambda: dense(np.ones((2, 3)), np.ones((4, 2)), np.ones(2)), ValueError, "features"),
    (lambda: mse(np.ones(3), np.ones(4)), ValueError, "same shape"),
    (lambda: sparse_categorical_crossentropy(np.array([3]), np.ones((1, 3))), ValueError,
     "labels"),
    (lambda: softmax(np.ones((2, 3)), 2), ValueError, "axis"),
])
def test_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("loss", list(LOSSES), ids=lambda f: f.__name__)
@pytest.mark.parametrize("jit", [True, False])
def test_a_losss_gradient_wants_same_shapes_too(loss, jit):
    """The gradient with respect to one input needs only the loss's adjoint, not its value:
    the adjoint checks the shapes as well (it read past the shorter array)."""
    y_true, y_pred = np.full((4, 3), 0.4), np.full((4, 2), 0.5)
    for wrt in (0, 1):
        with pytest.raises(ValueError, match="same shape"):
            adc.grad(loss, wrt=wrt, jit=jit)(y_true, y_pred)


def test_alpha_must_be_a_constant():
    def f(x, alpha):
        return np.sum(leaky_relu(x, alpha))
    with pytest.raises(adc.DifferentiationError, match="alpha"):
        adc.grad(f)(np.ones(3), 0.1)
