"""Second derivatives and Jacobians: Hessians (forward mode over the gradient's generated code,
tapes included) against finite differences of gradients, grad of grad, Hessian-vector products,
and Jacobians by forward and by reverse mode against each other and finite differences."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import adcompiler as adc
import corpus_control as corpus
from gradcheck import arrays

STEP = 1e-5


def log_sum_exp_minus_first(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m))) - x[0]


def quadratic_form(x, a):
    return x @ a @ x * 0.5 + np.sum(np.tanh(a @ x))


def rosenbrock(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s = s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def piecewise_in_loop(x):
    s = 0.0
    for i in range(x.shape[0]):
        if x[i] > 0.0:
            s = s + x[i] ** 3
        else:
            s = s + np.sin(x[i]) * x[i]
    return s


def vector(size=4, low=-1.5, high=1.5):
    return arrays((size,), low, high)


def scalar(low=-1.5, high=1.5):
    return arrays((), low, high)


HESSIANS = {  # function -> strategies of its arguments; the Hessian is taken in argument 0
    rosenbrock: [vector()],
    log_sum_exp_minus_first: [vector()],
    quadratic_form: [vector(3), arrays((3, 3))],
    piecewise_in_loop: [arrays((5,), -1.5, 1.5, away_from=0.0)],
    corpus.for_range_recurrence_tanh: [scalar(-1, 1), vector(5, -1, 1)],
    corpus.for_range_product: [scalar(0.1, 1), st.integers(0, 5)],
    corpus.for_range_vector_accumulate: [vector(), st.integers(0, 5)],
    corpus.for_range_reads_array_elements: [vector(3), vector(3)],
    corpus.for_range_calls_user_function: [scalar(), st.integers(0, 5)],
    corpus.for_over_vector_values: [vector()],
    corpus.for_nested_loops: [scalar(), st.integers(0, 4), st.integers(0, 4)],
    corpus.while_newton_sqrt: [scalar(0.5, 4)],
    corpus.while_halving: [scalar(0.2, 3)],
    corpus.if_else_scalar: [scalar()],
    corpus.if_elif_else: [scalar(-0.9, 1.5)],
    corpus.if_inside_loop: [scalar(), st.integers(0, 5)],
    corpus.break_at_first_negative: [vector(5, -1, 2)],
    corpus.continue_skips_small_values: [vector()],
    corpus.return_from_loop: [scalar(0.5, 1.5), scalar(1.05, 1.5)],
    corpus.write_cumulative_recurrence: [vector()],
    corpus.write_heat_equation: [vector(6), st.integers(0, 4)],
    corpus.write_slices: [vector(), scalar()],
}


def gradient_differences(f, args, position=0):
    """d(grad f)/dx by central differences of the compiled gradient: (x.shape + x.shape)."""
    g = adc.grad(f, wrt=position)
    x = np.asarray(args[position], dtype=float)
    columns = []
    for k in range(x.size):
        e = np.zeros(x.size)
        e[k] = STEP
        e = e.reshape(x.shape)
        plus, minus = list(args), list(args)
        plus[position] = x + e if x.ndim else float(x + e)
        minus[position] = x - e if x.ndim else float(x - e)
        columns.append((np.asarray(g(*plus)) - np.asarray(g(*minus))) / (2 * STEP))
    return np.stack(columns, axis=-1).reshape(x.shape + x.shape)


def draw_args(data, strategies):
    return tuple(data.draw(s, label=f"argument {k}") for k, s in enumerate(strategies))


def assert_close(actual, expected):
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4 * scale)


def test_enough_hessians():
    assert len(HESSIANS) >= 15


@pytest.mark.parametrize("func", list(HESSIANS), ids=lambda f: f.__name__)
@settings(max_examples=3, deadline=None)
@given(data=st.data())
def test_hessian_matches_differences_of_gradients(func, data):
    args = draw_args(data, HESSIANS[func])
    expected = gradient_differences(func, args)
    for jit in (True, False):
        hessian = adc.hessian(func, jit=jit)(*args)
        assert np.shape(hessian) == expected.shape
        assert_close(hessian, expected)


@pytest.mark.parametrize("func", [corpus.for_range_recurrence_tanh, rosenbrock,
                                  corpus.while_newton_sqrt, piecewise_in_loop],
                         ids=lambda f: f.__name__)
@settings(max_examples=3, deadline=None)
@given(data=st.data())
def test_hessian_vector_product_matches_differences_of_gradients(func, data):
    args = draw_args(data, HESSIANS[func])
    v = np.random.default_rng(0).standard_normal(np.shape(args[0]))
    v = v if np.ndim(v) else float(v)
    g = adc.grad(func)
    plus, minus = (args[0] + STEP * v,) + args[1:], (args[0] - STEP * v,) + args[1:]
    expected = (np.asarray(g(*plus)) - np.asarray(g(*minus))) / (2 * STEP)
    for jit in (True, False):
        assert_close(adc.hvp(func, jit=jit)(args, v), expected)


GRAD_OF_GRAD = [corpus.for_range_recurrence_tanh, corpus.for_range_product,
                corpus.while_newton_sqrt, corpus.if_inside_loop, corpus.for_nested_loops,
                corpus.return_from_loop, corpus.for_range_calls_user_function]


@pytest.mark.parametrize("func", GRAD_OF_GRAD, ids=lambda f: f.__name__)
@settings(max_examples=3, deadline=None)
@given(data=st.data())
def test_grad_of_grad_of_loop_functions(func, data):
    args = draw_args(data, HESSIANS[func])
    expected = gradient_differences(func, args)
    for jit in (True, False):
        assert_close(adc.grad(adc.grad(func, jit=jit), jit=jit)(*args), expected)


def test_grad_of_grad_with_respect_to_another_parameter():
    def f(x, y):
        s = 0.0
        for i in range(3):
            s = s + np.sin(x * y * i) + x ** 2 * y
        return s
    x, y = 0.7, -0.4
    second = adc.grad(adc.grad(f, wrt=0), wrt=1)(x, y)
    dx = adc.grad(f, wrt=0)
    expected = (dx(x, y + STEP) - dx(x, y - STEP)) / (2 * STEP)
    assert abs(second - expected) < 1e-6


def test_grad_of_grad_of_a_vector_sums_the_gradient_first():
    x = np.array([0.3, -0.2, 0.5, 1.0])
    hessian = adc.hessian(rosenbrock)(x)
    np.testing.assert_allclose(adc.grad(adc.grad(rosenbrock))(x), hessian.sum(axis=1))


def vector_field(x, w):
    y = np.tanh(w @ x)
    out = np.zeros(y.shape[0] + 1)
    out[1:] = y * x[0]
    out[0] = np.sum(x * x)
    return out


def many_inputs(x):
    out = np.zeros(2)
    out[0] = np.sum(np.sin(x))
    out[1] = np.prod(x[:3])
    return out


@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("jit", [True, False], ids=["jit", "python"])
def test_jacobian_modes_agree_with_finite_differences(mode, jit):
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal(3), rng.standard_normal((4, 3))
    jac = adc.jacobian(vector_field, mode=mode, jit=jit)(x, w)
    expected = np.stack([(vector_field(x + STEP * e, w) - vector_field(x - STEP * e, w))
                         / (2 * STEP) for e in np.eye(3)], axis=-1)
    assert jac.shape == (5, 3)
    assert_close(jac, expected)
    x = rng.standard_normal(6)
    jac = adc.jacobian(many_inputs, mode=mode, jit=jit)(x)
    expected = np.stack([(many_inputs(x + STEP * e) - many_inputs(x - STEP * e)) / (2 * STEP)
                         for e in np.eye(6)], axis=-1)
    assert_close(jac, expected)


def test_jacobian_shapes_follow_output_and_input():
    def f(m):
        return np.sin(m) * 2.0
    m = np.ones((2, 3))
    for mode in ("forward", "reverse"):
        jac = adc.jacobian(f, mode=mode)(m)
        assert jac.shape == (2, 3, 2, 3)
        np.testing.assert_allclose(jac.reshape(6, 6), np.diag(2 * np.cos(np.ones(6))))
    scalar_jac = adc.jacobian(rosenbrock, mode="forward")(np.ones(3) * 0.5)
    np.testing.assert_allclose(scalar_jac, adc.grad(rosenbrock)(np.ones(3) * 0.5))


def test_jacobian_and_hessian_refuse_what_they_cannot_do():
    with pytest.raises(ValueError, match="one parameter"):
        adc.jacobian(quadratic_form, wrt=(0, 1))
    with pytest.raises(ValueError, match="mode"):
        adc.jacobian(rosenbrock, mode="sideways")
    with pytest.raises(adc.DifferentiationError, match="no adjoint rule"):
        adc.jacobian(adc.grad(rosenbrock), mode="reverse")(np.ones(3))
    with pytest.raises(adc.DifferentiationError, match="list used as a stack"):
        adc.jacobian(adc.grad(corpus.while_newton_sqrt), mode="reverse")(2.0)
