"""The API: grad's forms, value_and_grad, vjp, adjoints of locals, user functions, tuples."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import adcompiler as adc
from gradcheck import arrays, check_both_modes, shapes

MODES = pytest.mark.parametrize("jit", [True, False], ids=["jit", "python"])


def poly(x, y, z):
    return x * y + np.sin(z) * x


@MODES
def test_grad_decorator_forms(jit):
    assert adc.grad(poly, jit=jit)(2.0, 3.0, 0.5) == pytest.approx(3.0 + np.sin(0.5))
    gx, gz = adc.grad(wrt=(0, 2), jit=jit)(poly)(2.0, 3.0, 0.5)
    assert (gx, gz) == pytest.approx((3.0 + np.sin(0.5), 2.0 * np.cos(0.5)))
    assert adc.grad(poly, wrt="y", jit=jit)(2.0, 3.0, 0.5) == pytest.approx(2.0)
    (gy,) = adc.grad(poly, wrt=("y",), jit=jit)(2.0, 3.0, 0.5)
    assert gy == pytest.approx(2.0)
    assert adc.grad(poly, wrt=-1, jit=jit)(x=2.0, y=3.0, z=0.5) == pytest.approx(2 * np.cos(0.5))


@adc.grad
def decorated(x):
    return np.sum(x ** 3)


def test_grad_as_bare_decorator():
    np.testing.assert_allclose(decorated(np.arange(3.0)), 3 * np.arange(3.0) ** 2)
    assert "x_bar" in decorated.source


@MODES
def test_value_and_grad(jit):
    value, grads = adc.value_and_grad(poly, wrt=(0, 1), jit=jit)(2.0, 3.0, 0.5)
    assert value == pytest.approx(poly(2.0, 3.0, 0.5))
    assert grads == pytest.approx((3.0 + np.sin(0.5), 2.0))
    value, g = adc.value_and_grad(poly, jit=jit)(2.0, 3.0, 0.5)
    assert g == pytest.approx(3.0 + np.sin(0.5))


def layer(w, x):
    h = np.tanh(x @ w)
    return h


@MODES
def test_vjp_of_a_non_scalar_output(jit):
    rng = np.random.default_rng(1)
    w, x, ct = rng.standard_normal((3, 2)), rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    value, pullback = adc.vjp(layer, jit=jit)(w, x)
    np.testing.assert_allclose(value, layer(w, x))
    gw, gx = pullback(ct)
    d = 1 - np.tanh(x @ w) ** 2
    np.testing.assert_allclose(gw, x.T @ (ct * d))
    np.testing.assert_allclose(gx, (ct * d) @ w.T)
    (only_w,) = adc.vjp(layer, wrt="w", jit=jit)(w, x)[1](ct)
    np.testing.assert_allclose(only_w, gw)


def two_outputs(a, b):
    s = a + b
    return s * 2.0, np.sin(a)


@MODES
def test_vjp_of_a_tuple_output(jit):
    (s, t), pullback = adc.vjp(two_outputs, jit=jit)(0.3, 0.7)
    assert (s, t) == pytest.approx((2.0, np.sin(0.3)))
    ga, gb = pullback(1.5, -2.0)
    assert ga == pytest.approx(1.5 * 2 + -2.0 * np.cos(0.3))
    assert gb == pytest.approx(3.0)


def network(w, b, x):
    z = x @ w + b
    a = np.maximum(z, 0.0)
    loss = np.mean(a ** 2)
    return loss


@MODES
def test_locals_as_gradient_tape(jit):
    rng = np.random.default_rng(2)
    w, b, x = rng.standard_normal((3, 2)), rng.standard_normal(2), rng.standard_normal((5, 3))
    z = x @ w + b
    a = np.maximum(z, 0)
    np.testing.assert_allclose(adc.grad(network, of="loss", wrt="a", jit=jit)(w, b, x),
                               2 * a / a.size)
    np.testing.assert_allclose(adc.grad(network, of="a", wrt="z", jit=jit)(w, b, x),
                               (z >= 0).astype(float))                # d sum(a) / dz
    np.testing.assert_allclose(adc.grad(network, of="z", wrt="b", jit=jit)(w, b, x),
                               np.full(2, 5.0))
    table = adc.adjoints(network, jit=jit)(w, b, x)
    assert set(table) == {"w", "b", "x", "z", "a", "loss"}
    np.testing.assert_allclose(table["a"], 2 * a / a.size)
    np.testing.assert_allclose(table["z"], 2 * a / a.size * (z >= 0))
    np.testing.assert_allclose(table["w"], x.T @ table["z"])
    assert table["loss"] == 1.0


def rebinds(x, n):
    x = x * 2.0
    y = x
    x += 1.0
    x = x ** 2 + y * n
    k = n * 3
    return x * k


@MODES
def test_rebound_names_and_integer_locals(jit):
    dfdx = adc.grad(rebinds, jit=jit)
    x = 0.7
    expected = (2 * (2 * x + 1) * 2 + 2 * 4) * 12
    assert dfdx(x, 4) == pytest.approx(expected)
    # a parameter named in wrt means its input value; a local its last value
    assert adc.grad(rebinds, wrt="y", jit=jit)(x, 4) == pytest.approx(4 * 12)
    table = adc.adjoints(rebinds, jit=jit)(x, 4)
    assert "n" not in table and "k" not in table       # integers have no adjoints
    with pytest.raises(TypeError, match="integer"):
        adc.grad(rebinds, wrt="n", jit=jit)(x, 4)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def split(v):
    return v[0] * 2.0, v[1] + v[0]


def scaled(x, factor=3.0, *, offset=0.0):
    return x * factor + offset


def uses_helpers(v, w):
    p = sigmoid(v @ w)
    a, b = split(v)
    q = scaled(a, offset=b)
    pair = (p, q)
    first, second = pair
    second, first = first, second
    return first * second + scaled(b, 0.5)


@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_user_functions_tuples_and_defaults(data):
    v = data.draw(arrays((3,)))
    w = data.draw(arrays((3,)))
    check_both_modes(uses_helpers, (v, w), wrt=(0, 1))


def negations(x):
    y = -x
    return np.sum(-y * x - -(x ** 3))


@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_unary_minus_operator(data):
    check_both_modes(negations, (data.draw(arrays(data.draw(shapes()))),))


SCALE = 2.5


def reads_global_number(x):
    return np.sum(x * SCALE)


def test_global_numbers_are_constants():
    np.testing.assert_allclose(adc.grad(reads_global_number)(np.ones(3)), np.full(3, 2.5))


def in_place_safe(x):
    y = x[0] * x[1]
    return y + np.sum(x)


def test_float32_in_float32_out_and_inputs_untouched():
    x = np.array([1.5, -2.0, 0.5], np.float32)
    before = x.copy()
    g = adc.grad(in_place_safe)(x)
    assert g.dtype == np.float32 and g.shape == x.shape
    np.testing.assert_allclose(g, [1 - 2.0, 1 + 1.5, 1.0])
    np.testing.assert_array_equal(x, before)
    s = adc.grad(poly)(np.float32(2.0), np.float32(3.0), np.float32(0.5))
    assert isinstance(s, np.float32)


def sum_of_square(x):
    y = x ** 2
    return y


def test_non_scalar_output_is_summed_like_gradient_tape():
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(adc.grad(sum_of_square)(x), 2 * x)


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="must be a number or a NumPy array"):
        adc.grad(sum_of_square)({1.0, 2.0})
    with pytest.raises(adc.DifferentiationError, match="tuple 'x' can only be"):
        adc.grad(sum_of_square)([1.0, 2.0])         # a list is a structure of two numbers
    with pytest.raises(ValueError, match="not a parameter or local"):
        adc.grad(sum_of_square, wrt="nope")
    with pytest.raises(ValueError, match="2 parameters|1 parameters"):
        adc.grad(sum_of_square, wrt=3)
    with pytest.raises(ValueError, match="not a parameter or local"):
        adc.grad(sum_of_square, of="nope")
    with pytest.raises(ValueError, match="has no derivative"):
        adc.grad(counts, wrt="n")
    with pytest.raises(TypeError, match="integer"):
        adc.grad(rebinds, wrt="k")(0.5, 2)


def counts(x):
    n = x.shape[0]
    return np.sum(x) * n
