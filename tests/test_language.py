"""Builtin min and max of several arguments, np.atleast_1d/2d/3d, np.linalg's det, inv, solve
and norm, nested functions, *args, comprehensions and np.array, against central finite
differences in both modes (jit and pure Python), and their limits told by errors."""
import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

import adcompiler as adc
from gradcheck import arrays, check_both_modes

EXAMPLES = settings(max_examples=4, deadline=None)


def extremes(x, y, z):
    return max(x, y, z) * min(x * 2.0, y, z, 0.5)


def apart(*values):
    """True if no two values are within 0.05 (finite differences straddle no kink)."""
    values = sorted(values)
    return all(b - a > 0.05 for a, b in zip(values, values[1:]))


@EXAMPLES
@given(values=st.tuples(arrays(()), arrays(()), arrays(())))
def test_builtin_max_and_min_of_several_arguments(values):
    x, y, z = values
    assume(apart(x, y, z) and apart(2.0 * x, y, z, 0.5))
    check_both_modes(extremes, values, (0, 1, 2))


def largest_and_smallest(x, y, z):
    return max(x, y, z) + 2.0 * min(y, z, x)


@pytest.mark.parametrize("jit", [True, False], ids=["jit", "python"])
def test_ties_go_to_the_first_argument_as_python_returns_it(jit):
    g = adc.grad(largest_and_smallest, wrt=(0, 1, 2), jit=jit)(0.7, 0.7, 0.7)
    np.testing.assert_allclose(g, [1.0, 2.0, 0.0])


def at_least(x, s):
    return np.sum(np.atleast_2d(x) * 2.0) + np.sum(np.atleast_3d(s) ** 2) \
        + np.sum(np.atleast_1d(s * x[0]) * np.atleast_3d(x))


@EXAMPLES
@given(x=st.integers(1, 4).flatmap(lambda n: arrays((n,))), s=arrays(()))
def test_atleast_nd_of_arrays_and_scalars(x, s):
    check_both_modes(at_least, (x, s), (0, 1))


def square_matrix(n):
    """A well-conditioned n x n matrix."""
    return arrays((n, n), -1.0, 1.0).map(lambda a: a + 3.0 * np.eye(n))


def determinant_inverse_norm(a, b):
    return np.linalg.det(a) + np.sum(np.linalg.inv(a) * a) + np.linalg.norm(b * a[0])


def solved(a, b):
    return np.sum(np.linalg.solve(a, b) ** 2)


@EXAMPLES
@given(data=st.data())
def test_det_inv_and_norm(data):
    n = data.draw(st.integers(1, 4))
    check_both_modes(determinant_inverse_norm,
                     (data.draw(square_matrix(n)), data.draw(arrays((n,)))), (0, 1))


@EXAMPLES
@given(data=st.data())
def test_solve_for_a_vector_and_for_a_matrix(data):
    n = data.draw(st.integers(1, 4))
    b = data.draw(st.sampled_from([(n,), (n, 2)]).flatmap(arrays))
    check_both_modes(solved, (data.draw(square_matrix(n)), b), (0, 1))


def norm_of(x):
    return np.linalg.norm(x)


@pytest.mark.parametrize("jit", [True, False], ids=["jit", "python"])
def test_the_norm_at_zero_has_a_zero_gradient(jit):
    np.testing.assert_array_equal(adc.grad(norm_of, jit=jit)(np.zeros(3)), np.zeros(3))


def determinants(a):
    return np.sum(np.linalg.det(a))


def one_norm(x):
    return np.linalg.norm(x, ord=1)


def determinant(a):
    return np.linalg.det(a)


@pytest.mark.parametrize("a", [np.array([[1.0, 2.0], [2.0, 4.0]]), np.zeros((3, 3)),
                               np.outer([1.0, -2.0, 0.5], [0.3, 1.0, 2.0])], ids=str)
def test_the_determinant_of_a_singular_matrix_has_the_adjugate_as_gradient(a):
    check_both_modes(determinant, (a,))
    if a.shape == (2, 2):
        np.testing.assert_allclose(adc.grad(determinant)(a), [[4.0, -2.0], [-2.0, 1.0]])


def test_a_stack_of_matrices_is_refused_rather_than_differentiated_wrongly():
    a = np.stack([np.eye(2) * 2.0, np.eye(2) * 3.0])
    with pytest.raises(ValueError, match="one square matrix"):
        adc.grad(determinants, jit=False)(a)
    with pytest.raises(adc.DifferentiationError, match="det"):
        adc.grad(determinants)(a)


def test_other_norms_are_refused_where_written():
    with pytest.raises(adc.DifferentiationError, match="'ord'") as info:
        adc.grad(one_norm, jit=False)(np.ones(3))
    assert "test_language.py" in str(info.value)


def test_second_derivatives_through_linalg_are_refused():
    with pytest.raises(adc.DifferentiationError, match="det_adjoint"):
        adc.hessian(determinant, jit=False)(np.eye(2) * 2.0)


def closes_over(x, w):
    def g(t):
        return np.tanh(w * t)
    return g(x) + g(2.0 * x)


def closes_over_a_changing_variable(x, n):
    s = 0.0
    w = 0.5

    def scaled(t):
        return t * w + np.sin(t)
    for i in range(n):
        s = s + scaled(x * i)
        w = w + x               # the next call reads the new w, as Python's closure does
    return s


def calls_a_sibling(x, w):
    def inner(t):
        return t * w

    def outer(t, k=2.0):
        return inner(t) ** k + w
    return outer(x) + outer(x, k=3.0)


@pytest.mark.parametrize("func, args", [
    (closes_over, (np.array([0.3, -0.8]), 1.3)),
    (closes_over_a_changing_variable, (0.7, 3)),
    (closes_over_a_changing_variable, (0.7, 0)),
    (calls_a_sibling, (0.8, np.array([0.4, 1.1])))], ids=lambda v: getattr(v, "__name__", ""))
def test_nested_functions_closing_over_locals(func, args):
    wrt = tuple(k for k, a in enumerate(args) if not isinstance(a, int))
    check_both_modes(func, args, wrt)


def defined_in_a_branch(x):
    if x > 0.0:
        def g(t):
            return t
    return x


def passed_around(x):
    def g(t):
        return t
    h = g
    return h(x)


def recursive_inside(x):
    def g(t):
        return g(t * 0.5)
    return g(x)


@pytest.mark.parametrize("func, message", [
    (defined_in_a_branch, "at the top level of its body"),
    (passed_around, "can only be called"),
    (recursive_inside, "recursive call to 'g'")])
def test_nested_functions_beyond_calls_are_refused(func, message):
    with pytest.raises(adc.DifferentiationError, match=message) as info:
        adc.grad(func, jit=False)(0.5)
    assert "test_language.py" in str(info.value)


def weighted_total(w, *xs):
    s = w * xs[0]
    if len(xs) > 1:             # decided by the call: the other side is not compiled
        s = s + np.sum(xs[1] * xs[-1])
    return s


def passes_a_tuple(x, y):
    pair = (x, y * 2.0)
    return weighted_total(0.5, *pair) + weighted_total(1.5, x) + np.maximum(*pair)


def forwarding(*vs):
    return weighted_total(2.0, *vs)


def forwards(x, y):
    return forwarding(x, y, x * y)


@pytest.mark.parametrize("func, args", [
    (passes_a_tuple, (0.3, 0.7)), (passes_a_tuple, (np.array([0.3, -1.0]), np.array([0.7, 0.2]))),
    (forwards, (0.3, 0.8))], ids=lambda v: getattr(v, "__name__", ""))
def test_star_args_parameters_and_tuples_passed_with_a_star(func, args):
    check_both_modes(func, args, (0, 1))


def star_of_an_array(x):
    return weighted_total(1.0, *x)


def index_beyond_the_values(x):
    return weighted_total(1.0) * x


def star_args_of_its_own(*xs):
    return xs[0]


@pytest.mark.parametrize("func, message", [
    (star_of_an_array, "only a tuple's values"),
    (index_beyond_the_values, "tuple index 0 out of range"),
    (star_args_of_its_own, r"\*args parameters are not supported in the differentiated")])
def test_what_stars_cannot_do_is_refused(func, message):
    with pytest.raises(adc.DifferentiationError, match=message):
        adc.grad(func, jit=False)(np.array([0.5, 1.0]))


def summed_over_a_range(x, n):
    return sum(np.sin(x * i) for i in range(n))


def summed_over_rows(W, i):
    i = i * 2.0                 # a name of the function's that the comprehension also binds
    return np.sum([np.tanh(i) * 2.0 for i in W]) + i


def nested_and_filtered(x):
    return sum(sum(x[i] * x[j] for j in range(i)) for i in range(x.shape[0]) if x[i] > 0)


def two_in_one_line(W):
    return np.sum([np.tanh(row) for row in W]) + sum([a * W[1][k] for k, a in enumerate(W[0])])


def started_and_scaled(x, n):
    s = sum((x[k] ** 2 for k in range(n)), 1.5)
    return s * sum([v for v in x])


def stacked_items(x):
    v = np.array([x[i] * x[i + 1] for i in range(3)])
    m = np.stack([x[:2] * k for k in range(1, 3)])
    return np.sum(v * v) + np.sum(m @ v[:2]) + np.sum(np.array([x[0], 2.0]) * v[1:])


def stacked_sums(x):
    m = np.array([sum(x[i] for i in range(2)) * i for i in range(3)])   # the inner i its own
    return np.sum(m * np.array([sum(x[j] * k for j in range(2)) for k in range(3)]))


@pytest.mark.parametrize("func, args", [
    (summed_over_a_range, (0.7, 4)), (summed_over_a_range, (0.7, 0)),
    (stacked_sums, (np.array([0.3, 1.2]),)),
    (summed_over_rows, (np.array([[0.3, 1.2], [-0.5, 0.8]]), 0.4)),
    (nested_and_filtered, (np.array([0.3, 1.2, -0.5, 0.8]),)),
    (two_in_one_line, (np.array([[0.3, 1.2], [-0.5, 0.8]]),)),
    (started_and_scaled, (np.array([0.3, 1.2, -0.5]), 2)),
    (stacked_items, (np.array([0.3, 1.2, -0.5, 0.8]),))], ids=lambda v: getattr(v, "__name__", ""))
def test_comprehensions_summed_or_stacked(func, args):
    wrt = tuple(k for k, a in enumerate(args) if not isinstance(a, int))
    check_both_modes(func, args, wrt)
    assert "for " in adc.grad(func, wrt=wrt).source_for(*args) or func is stacked_items


def kept_as_a_list(x):
    items = [x[i] for i in range(2)]
    return items[0]


def in_a_while_test(x):
    while sum(x[i] for i in range(2)) < 3.0:
        x = x * 2.0
    return np.sum(x)


def in_a_conditional(x):
    return np.sum(x) if x[0] > 0 else sum(v for v in x)


def stacked_over_a_length_known_late(x):
    return np.sum(np.array([v * 2.0 for v in x]))


@pytest.mark.parametrize("func, message", [
    (kept_as_a_list, "list comprehensions other than those summed by sum"),
    (in_a_while_test, "a comprehension in the test of a while loop"),
    (in_a_conditional, "a comprehension inside a conditional expression"),
    (stacked_over_a_length_known_late, r"np.array of a comprehension over anything but range")])
def test_other_comprehensions_are_refused_where_written(func, message):
    with pytest.raises(adc.DifferentiationError, match=message) as info:
        adc.grad(func, jit=False)(np.array([0.5, 1.0]))
    assert "test_language.py" in str(info.value)
