"""Calls of user functions whose forward sweep is saved for the reverse sweep (split pullbacks,
adcompiler/pullbacks.py) and the cases that must keep recomputing it, against central finite
differences in both modes, forward mode and second derivatives."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import adcompiler as adc
from gradcheck import arrays, check_both_modes

EXAMPLES = settings(max_examples=4, deadline=None)


def layer(w, b, x):
    t = x @ w + b
    return np.tanh(t)


def two_outputs(w, x):
    s = np.sin(x * w)
    return s, np.exp(s) * w


def network(w1, b1, w2, b2, x):
    h = layer(w1, b1, x)
    g = layer(w2, b2, h)
    a, c = two_outputs(w2[0, 0], g)
    return a + c + h[:, :2] * 0.5


def loss(w1, b1, w2, b2, x):
    out = network(w1, b1, w2, b2, x)
    return np.sum(out ** 2) + np.sum(layer(w1, b1, x) * out[:, :1])


def weights(rows):
    return st.tuples(arrays((3, 4)), arrays((4,)), arrays((4, 2)), arrays((2,)),
                     arrays((rows, 3)))


@EXAMPLES
@given(values=st.integers(1, 3).flatmap(weights))
def test_nested_calls_with_saved_forward_values(values):
    check_both_modes(loss, list(values), wrt=(0, 1, 2, 3, 4))
    check_both_modes(loss, list(values), wrt=(2,))


def test_the_forward_sweep_runs_once_and_the_reverse_sweep_reads_what_it_saved():
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(s) for s in [(3, 4), (4,), (4, 2), (2,), (5, 3)]]
    source = adc.value_and_grad(loss, wrt=(0, 1, 2, 3)).source_for(*args)
    main = source[source.index("def loss_value_and_grad"):]
    assert "network_forward" in main and "network_backward" in main
    backward = source[source.index("def network_backward"):source.index("def loss_value")]
    code = [line for line in backward.splitlines() if not line.strip().startswith("#")]
    assert not any(" layer(" in line or "layer_forward" in line for line in code), backward
    assert "layer_forward" in source[source.index("def network_forward"):]


def writes_its_result(w, x):
    h = layer(w, w[0], x)
    h[0] = h[0] * 3.0               # the caller writes into what the callee returned
    return np.sum(h * h)


def returns_a_view(w, x):
    v = view_of(x * w)
    return np.sum(np.exp(v))


def view_of(a):
    return a[1:]


def with_a_loop(w, x):
    return np.sum(accumulate(w, x) ** 2)


def accumulate(w, x):
    s = x
    for _ in range(3):
        s = np.sin(s * w)
    return s


@pytest.mark.parametrize("f, shape", [(writes_its_result, (3, 3)), (returns_a_view, (3,)),
                                      (with_a_loop, (3,))],
                         ids=["caller-writes", "view", "loop"])
def test_calls_that_keep_recomputing_or_share_memory(f, shape):
    rng = np.random.default_rng(1)
    w, x = rng.standard_normal(shape), rng.standard_normal((4, 3) if len(shape) == 2 else 3)
    if f is writes_its_result:
        source = adc.grad(f).source_for(w, x)
        assert "_forward" not in source           # nothing saved can be written over
    check_both_modes(f, [w, x], wrt=(0, 1))


def test_second_derivatives_through_split_calls():
    rng = np.random.default_rng(2)
    w1, b1, w2, b2, x = [rng.standard_normal(s) for s in [(3, 4), (4,), (4, 2), (2,), (2, 3)]]
    args = [w1, b1, w2, b2, x]

    def of_w2(w2):
        return loss(w1, b1, w2, b2, x)
    hessian = adc.hessian(of_w2)(args[2])
    gradient = adc.grad(of_w2)
    step, flat = 1e-5, args[2].ravel()
    columns = []
    for k in range(flat.size):
        e = np.zeros_like(flat)
        e[k] = step
        columns.append((gradient((flat + e).reshape(args[2].shape))
                        - gradient((flat - e).reshape(args[2].shape))).ravel() / (2 * step))
    np.testing.assert_allclose(hessian.reshape(flat.size, flat.size), np.array(columns).T,
                               rtol=1e-5, atol=1e-6)


def identity(a):
    return a


def pair(a, b):
    return a + b


def through_identity(x):
    return identity(x)


def through_pair(a, b):
    return np.sum(pair(a, b) * 2.0)


def twice(x):
    return np.sum(pair(x, x) ** 2)


def test_gradients_passed_on_from_calls_are_new_arrays_of_their_own():
    """A call's gradient is returned without another copy: it must still be a new array, of
    its variable's dtype, holding no seed's, input's or other gradient's memory."""
    rng = np.random.default_rng(3)
    x, v = rng.standard_normal(4), rng.standard_normal(4)
    (back,) = adc.vjp(through_identity)(x)[1](v)
    assert not np.shares_memory(back, v) and not np.shares_memory(back, x)
    np.testing.assert_array_equal(back, v)
    a, b = rng.standard_normal(3).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    g = adc.grad(through_pair, wrt=(0, 1))
    ga, gb = g(a, b)
    assert ga.dtype == gb.dtype == np.float32 and not np.shares_memory(ga, gb)
    ga[:] = 7.0
    np.testing.assert_array_equal(gb, 2.0)
    np.testing.assert_array_equal(g(a, b)[0], 2.0)
    source = g.source_for(a, b)
    main = source[source.index("def through_pair_grad"):]
    assert "cast_like" not in main, main           # passed on, not copied again
    check_both_modes(twice, [rng.standard_normal(3)], wrt=(0,))
