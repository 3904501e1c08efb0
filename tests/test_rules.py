"""Every built-in derivative rule against central finite differences, jit and pure Python."""
import math

import numba
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from adcompiler.support import unbroadcast
from gradcheck import arrays, broadcast_shapes, check_both_modes, shapes

EXAMPLES = settings(max_examples=5, deadline=None)


def weighted(op):
    """sum(op(x) * w): a scalar whose gradient is op's adjoint for a random cotangent w."""
    def f(x, w):
        return np.sum(op(x) * w)
    return f


UNARY = {  # NumPy function -> (low, high) of its test domain
    np.exp: (-2, 2), np.log: (0.2, 3), np.log1p: (-0.5, 2), np.expm1: (-2, 2),
    np.sqrt: (0.2, 3), np.sin: (-3, 3), np.cos: (-3, 3), np.tan: (-1.2, 1.2),
    np.tanh: (-2, 2), np.sinh: (-2, 2), np.cosh: (-2, 2), np.arcsin: (-0.9, 0.9),
    np.arccos: (-0.9, 0.9), np.arctan: (-3, 3), np.abs: (-2, 2), np.square: (-2, 2),
    np.negative: (-2, 2),
}


@pytest.mark.parametrize("op", list(UNARY), ids=lambda op: op.__name__)
@EXAMPLES
@given(data=st.data())
def test_unary(op, data):
    shape = data.draw(shapes())
    low, high = UNARY[op]
    x = data.draw(arrays(shape, low, high, away_from=0.0 if op is np.abs else None))
    w = data.draw(arrays(shape))
    check_both_modes(weighted(op), (x, w))


MATH = {math.exp: (-2, 2), math.log: (0.2, 3), math.sqrt: (0.2, 3), math.sin: (-3, 3),
        math.cos: (-3, 3), math.tan: (-1.2, 1.2), math.tanh: (-2, 2), math.sinh: (-2, 2),
        math.cosh: (-2, 2), math.asin: (-0.9, 0.9), math.acos: (-0.9, 0.9),
        math.atan: (-3, 3), math.log1p: (-0.5, 2), math.expm1: (-2, 2), math.fabs: (0.3, 2)}


@pytest.mark.parametrize("op", list(MATH), ids=lambda op: "math." + op.__name__)
@EXAMPLES
@given(data=st.data())
def test_math_scalar(op, data):
    low, high = MATH[op]
    check_both_modes(weighted(op), (data.draw(arrays((), low, high)), data.draw(arrays(()))))


def add(a, b):
    return np.sum((a + b) * (a + b))


def sub(a, b):
    return np.sum((a - b) * a)


def mul(a, b):
    return np.sum(a * b * a)


def div(a, b):
    return np.sum(a / b)


def power(a, b):
    return np.sum(a ** b)


def maximum(a, b):
    return np.sum(np.maximum(a, b) * np.minimum(a, b + 0.5))


def mod(a, b):
    return np.sum(a % b)


BINARY = {add: {}, sub: {}, mul: {}, div: {"b": (0.5, 2)}, power: {"a": (0.3, 2)},
          maximum: {"b": (-1.9, 2.1)}, mod: {"a": (0.1, 0.9), "b": (1.1, 2)}}


@pytest.mark.parametrize("f", list(BINARY), ids=lambda f: f.__name__)
@EXAMPLES
@given(data=st.data())
def test_binary_broadcast(f, data):
    shape_a, shape_b = data.draw(broadcast_shapes())
    domain = BINARY[f]
    a = data.draw(arrays(shape_a, *domain.get("a", (-2, 2))))
    b = data.draw(arrays(shape_b, *domain.get("b", (-2, 2))))
    check_both_modes(f, (a, b), wrt=(0, 1))


@settings(max_examples=40, deadline=None)
@given(rows=st.integers(0, 70), inner=st.integers(1, 70), lead=st.integers(1, 3),
       seed=st.integers(0, 2 ** 31))
def test_compiled_sums_over_leading_axes(rows, inner, lead, seed):
    # the adjoint of adding a bias: the compiled sum over rows (many rows side by side)
    g = np.random.default_rng(seed).standard_normal((lead, rows, inner))
    summed = unbroadcast_compiled(g, np.zeros(inner))
    np.testing.assert_allclose(summed, g.sum(axis=(0, 1)), rtol=1e-12, atol=1e-12)


unbroadcast_compiled = numba.njit(lambda g, like: unbroadcast(g, like))


def where(c, a, b):
    return np.sum(np.where(c > 0, a * a, b) * 3.0)


def clip(x, lo, hi):
    return np.sum(np.clip(x, lo, hi) ** 2)


@EXAMPLES
@given(data=st.data())
def test_where_and_clip(data):
    shape_a, shape_b = data.draw(broadcast_shapes())
    c, a, b = (data.draw(arrays(s)) for s in (shape_a, shape_a, shape_b))
    check_both_modes(where, (c, a, b), wrt=(1, 2))
    x = data.draw(arrays(shape_a, away_from=0.5))
    lo, hi = data.draw(arrays(shape_b, -0.4, -0.2)), 0.5
    check_both_modes(clip, (x, lo, hi), wrt=(0, 1, 2))


def reduction(op, axis, keepdims):
    def f(x, w):
        return np.sum(op(x, axis=axis, keepdims=keepdims) * w)
    return f


REDUCTIONS = [np.sum, np.mean, np.max, np.min, np.prod]


@pytest.mark.parametrize("op", REDUCTIONS, ids=lambda op: op.__name__)
@pytest.mark.parametrize("axis", [None, 0, -1])
@pytest.mark.parametrize("keepdims", [False, True])
@settings(max_examples=3, deadline=None)
@given(data=st.data())
def test_reduction(op, axis, keepdims, data):
    shape = data.draw(shapes(min_dims=1))
    x = data.draw(arrays(shape, 0.5, 2))
    w = np.asarray(op(np.ones(shape), axis=axis, keepdims=keepdims)) * 0.7
    check_both_modes(reduction(op, axis, keepdims), (x, w if w.ndim else float(w)))


def reduce_plain(x):
    return np.sum(x) * np.mean(x) + np.max(x) - np.min(x) + np.prod(x)


def reduce_methods(x):
    return x.sum(axis=0).max() + x.mean(axis=1, keepdims=True).sum() + x.prod() + x.min()


@EXAMPLES
@given(data=st.data())
def test_reduction_defaults_and_methods(data):
    x = data.draw(arrays(data.draw(shapes(2, 2)), 0.5, 2))
    check_both_modes(reduce_plain, (x,))
    check_both_modes(reduce_methods, (x,))


def matmul(a, b):
    return np.sum(np.sin(a @ b))


def dot(a, b):
    return np.sum(np.sin(np.dot(a, b)))


@pytest.mark.parametrize("f", [matmul, dot], ids=lambda f: f.__name__)
@EXAMPLES
@given(data=st.data())
def test_matmul(f, data):
    m, k, n = (data.draw(st.integers(1, 4)) for _ in range(3))
    a_shape = data.draw(st.sampled_from([(k,), (m, k)]))
    b_shape = data.draw(st.sampled_from([(k,), (k, n)]))
    check_both_modes(f, (data.draw(arrays(a_shape)), data.draw(arrays(b_shape))), wrt=(0, 1))


def tensordot(axes):
    def f(a, b):
        return np.sum(np.sin(np.tensordot(a, b, axes)))
    return f


@pytest.mark.parametrize("axes", [0, 1, 2])
@EXAMPLES
@given(data=st.data())
def test_tensordot(axes, data):
    inner = data.draw(shapes(axes, axes))
    a_shape = data.draw(shapes(0, 2)) + inner
    b_shape = inner + data.draw(shapes(0, 2))
    check_both_modes(tensordot(axes), (data.draw(arrays(a_shape)), data.draw(arrays(b_shape))),
                     wrt=(0, 1))


def outer(a, b):
    return np.sum(np.outer(a, b) ** 2)


@EXAMPLES
@given(data=st.data())
def test_outer(data):
    a = data.draw(arrays(data.draw(shapes(1, 2))))
    b = data.draw(arrays(data.draw(shapes(1, 1))))
    check_both_modes(outer, (a, b), wrt=(0, 1))


def reshape_ravel(x, w):
    y = np.reshape(x, (-1,)) * w
    z = x.reshape(x.shape[0], -1)
    return np.sum(np.ravel(z) ** 2) + np.sum(y * y)


def transposes(x):
    return np.sum(np.sin(x.T) * np.transpose(x)) + np.sum(np.transpose(x, (1, 2, 0)) ** 3)


def stack_concat(a, b):
    s = np.stack([a, b * 2.0])
    t = np.stack([a, b], axis=-1)
    c = np.concatenate([a, b, a], axis=1)
    return np.sum(s ** 2) + np.sum(np.sin(t)) + np.sum(c ** 3)


def expand_squeeze(x):
    e = np.expand_dims(x, 1)
    q = np.squeeze(e, axis=1)
    return np.sum(np.sin(e)) + np.sum(q ** 2)


@EXAMPLES
@given(data=st.data())
def test_shape_functions(data):
    shape3 = data.draw(shapes(3, 3))
    x3 = data.draw(arrays(shape3))
    check_both_modes(reshape_ravel, (x3, data.draw(arrays((x3.size,)))))
    check_both_modes(transposes, (x3,))
    a, b = (data.draw(arrays(shape3[:2])) for _ in range(2))
    check_both_modes(stack_concat, (a, b), wrt=(0, 1))
    check_both_modes(expand_squeeze, (a,))


def indexing(x):
    return (x[0, 1] * x[-1, 0] + np.sum(x[:, 0] ** 2) + np.sum(np.sin(x[1:3]))
            + np.sum(x[::2, 1:] * 2.0) + np.sum(x[1] * x[0]))


@EXAMPLES
@given(data=st.data())
def test_indexing(data):
    x = data.draw(arrays((data.draw(st.integers(3, 5)), data.draw(st.integers(2, 4)))))
    check_both_modes(indexing, (x,))


def nondifferentiable(x):
    return np.sum(np.floor(x) * x + np.sign(x) * x ** 2 + (x > 0.5) * x)


@EXAMPLES
@given(data=st.data())
def test_zero_derivative_operations(data):
    x = data.draw(arrays(data.draw(shapes()), 0.1, 0.9))
    check_both_modes(nondifferentiable, (x,))


@pytest.mark.parametrize("name", ["sum_adjoint", "mean_adjoint"])
def test_reduction_adjoints_keep_a_float32_operand_float32(name):
    """A float64 seed (the 1.0 that starts every sweep) must not turn a float32 array's
    adjoint into float64, in Python and in compiled code."""
    from numba import njit

    from adcompiler import support
    helper = getattr(support, name)
    x = np.ones((2, 3), np.float32)
    compiled = njit(lambda g, x: helper(g, x))
    along_rows = njit(lambda g, x: helper(g, x, 0))
    for adjoint in (helper(1.0, x), compiled(1.0, x), helper(np.ones(3), x, 0),
                    along_rows(np.ones(3), x)):
        assert adjoint.dtype == np.float32
