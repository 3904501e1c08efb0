"""Programs that once gave silently wrong derivatives or crashed, each checked against central
finite differences (reverse and forward mode, compiled and pure Python) or, where adcompiler
cannot follow Python's semantics, refused with the file, line and a caret."""
import math
import os
import subprocess
import sys

import numpy as np
import pytest

import adcompiler as adc
from gradcheck import check_both_modes, finite_difference

X3 = np.array([0.5, 1.2, -0.7])


# ------------------------------------------------------- adjoints around a loop's back edge

def powers_summed(x):
    t = 1.0
    acc = 0.0
    for i in range(2):
        t = t * x
        acc = acc + t
    return acc


def rnn_loss(w, x):
    h = 0.0
    s = 0.0
    for t in range(x.shape[0]):
        h = math.tanh(w * h + x[t])
        s += h
    return s


def powers_while(x):
    t = 1.0
    acc = 0.0
    i = 0
    while i < 3:
        t = t * x
        acc = acc + t
        i += 1
    return acc


def powers_continue(x):
    t = 1.0
    acc = 0.0
    for i in range(4):
        if i == 1:
            continue
        t = t * x
        acc = acc + t
    return acc


def powers_early_return(x):
    t = 1.0
    acc = 0.0
    for i in range(4):
        if i == 2:
            return acc * t
        t = t * x
        acc = acc + t
    return acc


def powers_one_branch(x):
    t = 1.0
    acc = 0.0
    for i in range(4):
        if i % 2 == 0:
            t = t * x
        acc = acc + t
    return acc


def times(a, b):
    return a * b


def powers_by_helper(x):
    t = 1.0
    acc = 0.0
    for i in range(3):
        t = times(t, x)
        acc = acc + t
    return acc


def written_array_read_whole(x):
    a = np.ones(2)
    s = 0.0
    for i in range(2):
        s = s + np.sum(a * a) * x
        a[i] = s
    return s


# ------------------------------------------------------- types, loop variables, slices

def int_accumulator(x):
    acc = 1
    for i in range(3):
        acc = acc * x
    return acc


def int_array_becomes_float(x):
    a = np.arange(3)
    for i in range(2):
        a = a * x
    return np.sum(a)


def float32_times_literal(x):
    a = x
    for i in range(3):
        a = a * 1.5
    return np.sum(a)


def index_after_loop(x, n):
    for i in range(1, n):
        x = x * 1.1
    return x * i


def index_kept_by_zero_trips(x, n):
    i = 7
    for i in range(3, n):
        x = x * 1.1
    return x * i


def slice_times_slice(x):
    a = x * 1.0
    a[1:] = a[1:] * x[:2]
    return np.sum(a)


def shifted_copy(x):
    a = x * 1.0
    a[1:] = a[:-1] * 2.0
    return np.sum(a * x)


def slice_augmented(x):
    a = x * 1.0
    a[1:] *= x[:2]
    return np.sum(a)


def pair_or_swap(x):
    if x > 1:
        return x * 2, x
    return x * x, -x


def tuple_return_early(x):
    a, b = pair_or_swap(x)
    return a * b


def twice_and_square(v):
    return v * 2, v * v


def tuple_bound_then_indexed(x):
    t = twice_and_square(x)
    return t[0] + t[1]


def and_as_value(x, y):
    z = x and y
    return z * x


def or_as_value(x, y):
    z = x - 1.0 or y
    return z * x


def scaled(x, y=None, scale=None):
    if y is None:
        y = x
    out = x * y
    if scale is not None:
        out = out * scale
    return out


def defaults_none(x):
    return scaled(x) + scaled(x, 2.0) + scaled(x, scale=3.0)


def matmul_call(x):
    return np.sum(np.matmul(x, x))


# ------------------------------------------------------- formerly zero derivatives

def sorted_weighted(x):
    return np.sum(np.sort(x) * np.arange(3.))


def full_of(x):
    return np.sum(np.full(3, x) * np.arange(3.))


def full_like_of(x):
    return np.sum(np.full_like(np.ones(3), x) * np.arange(3.))


def linspace_to(x):
    return np.sum(np.linspace(0.0, x, 3) * x)


def arange_from(x):
    return np.sum(np.arange(x, 4.0) * x)


def arange_step(x):
    return np.sum(np.arange(0.0, 3.5, x) ** 2)


# ------------------------------------------------------- found by the random-program tester

def written_into_arange_times(u):
    a = np.arange(2) * 0.1
    a[0] = u[1]
    return np.sum(a)


def index_of_a_loop_that_did_nothing(x):
    for i in range(3):
        pass
    return x[i]


def made_and_written_in_iteration(y, x):
    z = 0.0
    for i in range(1):
        v = x * 1.0
        v[0] = y
        z = z + np.sum(v * v)
    return z


def unused_write_in_branch(y):
    if y > 0.2:
        a = np.zeros(2)
        a[1] = y
    return y


def or_value_in_while_test(y, u):
    k = 0
    while (y or 0.5) > 0.1 and k < 2:
        k = k + 1
        u = u * y
    return np.sum(u)


def int_becomes_rows(y):
    s = 0
    m = np.ones((2, 3))
    for row in m:
        s = s + row * np.sin(y)
    return np.sum(s)


def name_copied_in_loop(y, z):
    for i in range(2):
        z = y
    return z


def written_from_itself(u):
    u[:] = u
    return np.sum(np.outer(u, u))


def negative_base(u):
    return (-0.25) ** 2 * np.sum(u)


def row_rebound_after_loop(x, z):
    for r in x:
        x = x * 1.0
    if z < 0.5:
        return r * z
    if r > 0.5:
        r = r * r
    return r * 2.0


def returned_view_read(W, y):
    column, doubled = first_column_and_double(W)
    return np.sum(column * y) + np.sum(doubled)


def pair(p, q):
    return np.sum(p), p * q


def tuple_element_twice_in_a_product(x):
    t = pair(x, 2.0)
    return np.dot(t[1], t[1]) + np.outer(t[1], t[1])[0, 1]


def index_of_a_loop_over_a_row(W, z):
    for r in W:
        for i in range(len(r)):
            r = r * z
        z = z * math.exp(math.tanh(W[0, i]))
    return z


def runs_over_a_row_it_rebinds(z):
    v = z * np.ones((3, 2))
    for r in v:
        r = r * z
    for k, s in enumerate(r):
        r = r * 2.0
        z = s * z
    return z + np.sum(r)


def written_after_a_branch_copy(u):
    a = np.ones(2)
    for r in u:
        if r > 5.0:
            a = a * 2.0
        a[1:] -= r
        a = a * u[0]
    return np.sum(a)


def runs_over_an_array_it_updates_in_place(x):
    u = x * 1.0
    s = 0.0
    for r in u:             # Python's iterator reads each value after the updates before it
        s = s + r * r
        u += 0.5 * u
    return s


def enumerates_an_array_it_updates_in_a_branch(x, y):
    u = x * 1.0
    for k, r in enumerate(u):
        if r > 0.0:
            u *= y
        y = y + r
    return y


def shifted_then_written(x):
    v = x + 1.0             # the tangent of v is x's: written in step, it must be a copy
    v[0] = v[1] * 2.0
    w = x[1:] % 1.7
    w[:1] = w[:1] * w[1]
    return np.sum(x) + np.sum(v * v) + np.sum(w)


def shifted_then_its_source_written(x, y):
    a = x * y
    v = a[1:] + 0.0         # a new array with a's tangent: the write into a must not reach it
    w = a % 1.7
    a[2] -= np.tanh(y)
    for i in range(2):
        u = a[:2] - 1.0
        a[i] = np.sin(y * i)
    return np.sum(v * v) + np.sum(w * w) + np.sum(u * u) + np.sum(a)


def chosen_view_read_after_a_write(x, y):
    x = x * 1.0
    x[:-1] -= np.arctan(x[-2:] if x[-1] > 0.3 else (y * np.ones(3))[1:3])
    return np.sinh(x) + y


def carried_written_then_rebound_in_a_branch(w, z, n):
    a = np.ones(2)
    for k in range(n):
        a[1] = z            # the product below reads a after this write
        if k == 0:
            a = w * 1.0     # another array under the same name, written too
            a[0] = 2.0
        a = a * a
    return np.sum(a)


def carried_written_at_an_index_then_rebound(w, z, n):
    a = np.ones(2)
    for k in range(n):
        t = a[0] * z
        a[k % 2] = t * z
        s = np.sum(a * a)
        if k % 2 == 1:
            a = w * s
            a[1] = 2.0 * z
        a = np.tanh(a)
    return np.sum(a)


def carried_written_then_rebound_in_a_while_loop(w, z, n):
    a = np.ones(2)
    k = 0
    while k < n:
        a[1] = z
        if k == 0:
            a = w * 1.0
            a[0] = 2.0
        a = a * a
        k = k + 1
    return np.sum(a)


def branches_decided_by_constants(x):
    y = x * 2.0
    if (-1.3) <= 0.1:       # the other side never runs (numba drops it, and left its tape and
        y[0] = x[1]         # the return below it untyped)
    else:
        y[:-1] *= x[1:]
    if (0.25 or x[0]) >= 1.1:
        return np.sum(y)
    if (2.0 or x[0]) == 2.0:    # 'or' gives 2.0, which is equal to 2.0
        y = y * 3.0
    return np.sum(y * y)


# random programs 4,182, 8,169, 9,329 and 11,303 of seed 7002 (the forward sweep dropped the
# counter and the flag of a loop that rebinds nothing, then ran it: unbound names)
def exits_decided_by_constants(y, w, n):
    for k in range(2):
        j = 0
        while w < 2.0 and j < 3:    # the break always runs, so y is never rebound here
            j = j + 1
            if y > 0.3 or 1.3 > 0.2:
                break
            y = y * w
        for i in range(1, n + 1):   # nor here: the loop still runs, with its computed bound
            if 0.25 >= (-1.3):
                continue
            y = y * 2.0
        y = np.exp(np.tanh(y)) * w
    return y * y


# random program 332 of seed 7002, compiled (numba decided the test itself: Python folds
# the arithmetic, and numba then dropped the branch and left a name it reads undefined)
def arithmetic_decided_by_constants(W):
    if 0.25 > ((1.5 + np.sin(-0.5)) ** np.tanh(-1.3)):
        W = W + 0.1 * np.ones((2, 4))
    if ((-0.7) * (-0.7)) > 0.1 and (2.0 - 1.1) < 0.5:
        return np.sum(W) + (W[:, :2][-2] @ np.sin(np.sum(1.3 * np.ones((2, 4)), axis=1)))
    c = 2.0 - 1.1
    if c > 0.5:
        W = W * W
    return np.sum(W) * 2.0


def while_loops_decided_by_constants(W, n):
    s = np.sum(W)
    while (-0.7) > 0.25:            # never runs (numba dropped its body, and left its tape
        s = s * np.sin(s)           # untyped)
        if s > 1.0:
            break
    k = 0
    c = 2.0 * 0.1
    while c > 0.25 and k < n:       # nor this one
        k = k + 1
        s = s + np.cos(s)
    while 0.7 > 0.25:               # ends at its break only
        s = s * np.cos(s)
        k = k + 1
        if k >= n:
            break
    return s * 2.0


# random program 819 of seed 7002, compiled: a conditional expression or a chained comparison
# of constants in a test (the decided side's constant, compared, let numba drop the branch)
def rebinds_under_a_decided_test(p0):
    if 0.5 > 0.1 and (0.5 if 1.1 >= 0.7 else 0.7) < 0.5:
        p0 = np.concatenate((np.sum(p0, axis=0, keepdims=True) / 2.0, p0[:1]), axis=0)
    return np.sum(p0) + np.sum(p0, axis=0)


def decided_expressions_in_tests(u):
    v = rebinds_under_a_decided_test(u[1] * np.ones((2, 4)))
    if 0.1 < 0.5 < 0.7:
        v = v * u[0]
    if 0.1 < 0.5 > 0.7:
        v = v * 3.0
    return np.sum(v) + np.sum(u)


# random program 1,475 of seed 7002, compiled: a loop's variable that no line of the body
# rebinds after all (its rebinding sits under a test decided by constants), bound to a number
# before the loop and tested in it (numba decided that test itself and dropped the branch)
def carried_constant_tested_in_a_loop(W, z):
    acc = 0
    k = 0
    while z > 0.2 and k < 2:
        k = k + 1
        if acc >= 1.1:
            W = np.minimum(W, acc * np.ones(3))
            print("value", W)
        elif (-0.25) > 0.1:
            acc = acc + np.sum(W)
        z = z / (1.5 + np.sin(W[0]))
    return np.sum(W * W) + z


# random program 2,478 of seed 7002, compiled: a scalar argument the function may write into
# was copied with np.copy, which makes a 0-d array (numba had no tape for it)
def written_scalar_arguments(y, W, z):
    a = np.empty(3)
    a[:] = W[0] * 1.0
    if z > 0.0:
        z = a[-1]           # an element: taken for a second name of a, which is written
        a[-1] = np.sin(z) * y
    for r in W:
        z = np.arctan(z + r[0] * y)
    y *= z                  # y is written in place
    return np.sum(a) + z * y


def last_row_read_then_rebound_by_a_later_loop(W, n):
    for r in W:
        pass
    W = np.sin(W * r)       # r is bound from here on: the next loop starts from its value
    for i in range(n):
        r = W[0] * 2.0
    return np.sum(r)


def read_then_written_after_a_rebinding_that_may_not_run(x, y, n):
    x = x * 1.0
    v = x * x               # its adjoint reads x as it was before the loop wrote into it
    for i in range(2):
        for j in range(n):
            x = y * np.ones(3)
        x[-1] = y * x[0]
    return np.sum(v) + np.sum(x)


def filled_from_an_array_written_later(x, u):
    for r in range(2):
        a = np.empty((2, 2))
        a[:] = np.outer(u, x)       # a reverse iteration fills it again: u as it was here
        u[1] = a[1, 1]
        x = x * np.sum(a)
    return np.sum(x) + np.sum(u)


CASES = [
    (powers_summed, (1.6,), 0), (rnn_loss, (0.5, np.array([0.3, -0.2, 0.4])), (0, 1)),
    (powers_while, (1.6,), 0), (powers_continue, (1.3,), 0),
    (powers_early_return, (1.3,), 0), (powers_one_branch, (1.3,), 0),
    (powers_by_helper, (1.3,), 0), (written_array_read_whole, (0.7,), 0),
    (int_accumulator, (1.5,), 0), (int_array_becomes_float, (1.3,), 0),
    (index_after_loop, (1.5, 5), 0), (index_kept_by_zero_trips, (1.5, 2), 0),
    (index_kept_by_zero_trips, (1.5, 5), 0),
    (slice_times_slice, (X3,), 0), (shifted_copy, (X3,), 0), (slice_augmented, (X3,), 0),
    (tuple_return_early, (1.3,), 0), (tuple_return_early, (0.7,), 0),
    (tuple_bound_then_indexed, (1.3,), 0), (and_as_value, (1.3, 2.0), (0, 1)),
    (or_as_value, (1.3, 2.0), (0, 1)), (or_as_value, (1.0 + 1e-3, 2.0), 1),
    (defaults_none, (1.5,), 0), (matmul_call, (np.array([[1.0, 2.0], [3.0, 4.0]]),), 0),
    (sorted_weighted, (np.array([3.0, 1.0, 2.0]),), 0), (full_of, (1.3,), 0),
    (full_like_of, (1.3,), 0), (linspace_to, (1.3,), 0), (arange_from, (0.5,), 0),
    (arange_step, (1.3,), 0),
    (written_into_arange_times, (np.array([0.7, -1.4]),), 0),
    (index_of_a_loop_that_did_nothing, (np.array([1.0, 2.0, 3.0]),), 0),
    (made_and_written_in_iteration, (0.8, np.array([0.5, 0.9])), (0, 1)),
    (unused_write_in_branch, (0.7,), 0),
    (or_value_in_while_test, (0.7, np.array([1.0, 2.0])), (0, 1)),
    (name_copied_in_loop, (0.8, 1.5), (0, 1)), (written_from_itself, (np.array([0.5, 1.5]),), 0),
    (negative_base, (np.array([0.5, 1.5]),), 0),
    (returned_view_read, (np.arange(6.0).reshape(2, 3), 0.5), (0, 1)),
    (row_rebound_after_loop, (np.array([0.99, -0.41, 0.6]), 1.08), (0, 1)),
    (row_rebound_after_loop, (np.array([0.99, -0.41, 0.6]), 0.3), (0, 1)),
    (tuple_element_twice_in_a_product, (X3,), 0),
    (runs_over_a_row_it_rebinds, (0.55,), 0),
    (runs_over_an_array_it_updates_in_place, (X3,), 0),
    (enumerates_an_array_it_updates_in_a_branch, (X3, 0.8), (0, 1)),
    (shifted_then_written, (X3,), 0),
    (shifted_then_its_source_written, (X3, 0.53), (0, 1)),
    (chosen_view_read_after_a_write, (np.array([1.28, 1.09, 1.11]), 1.44), (0, 1)),
    (chosen_view_read_after_a_write, (np.array([1.28, 1.09, 0.11]), 1.44), (0, 1)),
    (written_after_a_branch_copy, (np.array([0.13, -0.54]),), 0),
    (index_of_a_loop_over_a_row, (np.array([[0.61, 0.46, -0.54], [-0.44, 0.44, -0.84]]), 0.7),
     (0, 1)),
    (last_row_read_then_rebound_by_a_later_loop, (np.array([[0.9, -0.3], [0.1, 1.2]]), 2), 0),
    (last_row_read_then_rebound_by_a_later_loop, (np.array([[0.9, -0.3], [0.1, 1.2]]), 0), 0),
    (read_then_written_after_a_rebinding_that_may_not_run, (X3, 0.8, 0), (0, 1)),
    (read_then_written_after_a_rebinding_that_may_not_run, (X3, 0.8, 1), (0, 1)),
    (carried_written_then_rebound_in_a_branch, (np.array([0.63, -1.14]), -0.49, 2), (0, 1)),
    (carried_written_then_rebound_in_a_branch, (np.array([0.63, -1.14]), 0.7, 3), (0, 1)),
    (carried_written_at_an_index_then_rebound, (np.array([0.63, -1.14]), -0.49, 3), (0, 1)),
    (carried_written_then_rebound_in_a_while_loop, (np.array([0.63, -1.14]), 0.7, 2), (0, 1)),
    (branches_decided_by_constants, (X3,), 0),
    (exits_decided_by_constants, (0.5, 1.3, 2), (0, 1)),
    (exits_decided_by_constants, (0.5, 2.5, 0), (0, 1)),
    (arithmetic_decided_by_constants, (np.array([[-0.41, 0.55, 1.01, -1.27],
                                                 [1.38, -0.33, 0.77, 1.41]]),), 0),
    (while_loops_decided_by_constants, (np.array([0.3, -0.2]), 3), 0),
    (decided_expressions_in_tests, (np.array([-1.17, 0.51]),), 0),
    (carried_constant_tested_in_a_loop, (np.array([0.3, -0.2, 0.5]), 0.9), (0, 1)),
    (written_scalar_arguments, (1.1, np.array([[0.3, -0.2, 0.5], [0.7, 0.1, -0.4]]), 1.4),
     (0, 1, 2)),
    (written_scalar_arguments, (1.1, np.array([[0.3, -0.2, 0.5], [0.7, 0.1, -0.4]]), -0.3),
     (0, 1, 2)),
    (filled_from_an_array_written_later, (np.array([1.27, -0.82]), np.array([0.5, 0.7])),
     (0, 1)),
]


@pytest.mark.parametrize("func, args, wrt", CASES,
                         ids=[f"{f.__name__}-{k}" for k, (f, _, _) in enumerate(CASES)])
def test_derivative_matches_finite_differences(func, args, wrt):
    check_both_modes(func, args, wrt)


@pytest.mark.parametrize("jit", [True, False])
def test_float32_loop_keeps_float32(jit):
    x = np.array([1.0, 2.0], np.float32)
    value, grad = adc.value_and_grad(float32_times_literal, jit=jit)(x)
    np.testing.assert_allclose(grad, [3.375, 3.375], rtol=1e-6)
    assert grad.dtype == np.float32


def rescaled(x):
    s = x
    for i in range(3):
        s = s * x
    return s


def carried_maximum_changes_type(z):
    for i in range(3):
        v = np.sin(z * np.ones(2) * 1.5) + np.array([0.0, 0.1])
        z = np.max(v)           # float64, from a float32 z: the tape keeps it as it is
    return z


@pytest.mark.parametrize("jit", [True, False])
def test_a_loop_value_that_changes_type_comes_back_from_its_tape_unchanged(jit):
    exact = adc.grad(carried_maximum_changes_type, jit=jit)(0.7)
    got = adc.grad(carried_maximum_changes_type, jit=jit)(np.float32(0.7))
    assert np.isfinite(got) and got == pytest.approx(exact, rel=1e-5)


@pytest.mark.parametrize("jit", [True, False])
def test_value_and_grad_returns_the_functions_value(jit):
    value, grad = adc.value_and_grad(rescaled, jit=jit)(1.5)
    assert value == pytest.approx(1.5 ** 4)
    assert grad == pytest.approx(4 * 1.5 ** 3)
    value, grad = adc.value_and_grad(written_array_read_whole, jit=jit)(0.7)
    assert value == pytest.approx(written_array_read_whole(0.7))


# random program 288 of seed 11 (the read-back gradient copied an unbound early result)
def rows_picked(p0):
    p0 = (p0 + (((1.5 + np.sin(0.7)) ** np.tanh(p0[1])) + p0))
    for i2 in range(0, 4, 2):
        a3 = np.empty(2)
        a3[:] = (p0 % 1.7)
        a3[1:] = a3[1:] * (a3[i2 % 2] + 1.3)
        v4 = math.log(1.0 + ((0.7 * i2) % 1.7) ** 2)
    return np.sum(p0) + ((p0[1] * np.ones((2, 4))) if p0[1] < 0.25 else (p0[0] * np.ones((2, 4))))[-1]

def returns_from_loops_in_branches(x, y, z):
    v5 = rows_picked((0.1 * np.ones((2, 2)))[:, -2])
    if z >= 1.1:
        v6 = rows_picked((np.squeeze(np.expand_dims(x, 0), axis=0)[-2:] if z > z else np.concatenate((x[:2], v5[2:]))[::2]))
        v6 = rows_picked(np.maximum(v5[::2], np.concatenate((v6[:1], v6[1:]))[-2:]))
        for k8, r7 in enumerate(v6):
            if ((1.5 + np.sin(y)) ** np.tanh(r7)) < 1.1:
                continue
            if np.sum(np.stack((x, v6))) > 0.1 and np.concatenate((v5[:2], v6[2:]))[-2:][k8 % 2] < 0.5:
                return np.sum(v5) + np.sum(v6) + r7 + z
            r7 = (((1.5 + np.sin(1.1)) ** np.tanh(x[k8])) if y > z else np.cos(z))
    elif y > (-0.7):
        acc9 = 2
    else:
        for i10 in range(0, 4, 2):
            x = (y * np.concatenate((np.expand_dims(v5, 0), v5.reshape(1, 4)), axis=0)[-1])
            z = y
            if i10 == 1:
                return np.sum(x) + y + z + z
            v5 = (v5 * np.concatenate((v5[1:3], np.squeeze(np.expand_dims(x, 0), axis=0)[:2])))
        if np.mean(np.stack((x, np.squeeze(np.expand_dims(v5, 0), axis=0)), axis=1)) > 0.1 and y < 0.5:
            a11 = np.zeros(4)
        else:
            z += z
            y = np.expm1(np.sin((z ** 3)))
    return np.sum(x) + y + z + (z and (z * np.ones((2, 2)))[-2, -2])


@pytest.mark.parametrize("jit, y, z", [(False, 0.444, -1.389), (False, -1.0, -1.0),
                                       (False, 0.4, 2.0), (True, -1.0, 2.0)])
def test_second_derivatives_of_returns_from_loops_in_branches(jit, y, z):
    x = np.array([-1.331, 1.319, 1.218, 1.334])
    f = returns_from_loops_in_branches
    grad = adc.grad(f, jit=False)
    v = np.array([0.3, -0.5, 0.8, 0.1])
    expected = (grad(x + 1e-6 * v, y, z) - grad(x - 1e-6 * v, y, z)) / 2e-6
    np.testing.assert_allclose(adc.hessian(f, jit=jit)(x, y, z) @ v, expected, atol=1e-6)


# ------------------------------------------------------- locals named in of= and wrt=

def rebound_in_loop(x):
    s = x
    for i in range(3):
        s = s * x + 1
    return s * 3


def written_elementwise(x):
    a = np.zeros(2)
    a[0] = x
    return np.sum(a * a) * x


def bound_in_loop_used_there(x):
    s = 0.0
    for i in range(3):
        u = x * i
        s = s + u * u
    return s


@pytest.mark.parametrize("jit", [True, False])
def test_locals_mean_their_last_value(jit):
    assert adc.grad(rebound_in_loop, wrt="s", jit=jit)(1.2) == pytest.approx(3.0)
    of_s = adc.grad(rebound_in_loop, of="s", jit=jit)(1.2)
    assert of_s == pytest.approx(adc.grad(rebound_in_loop, jit=jit)(1.2) / 3)
    np.testing.assert_allclose(adc.grad(written_elementwise, wrt="a", jit=jit)(1.3),
                               [2 * 1.3 * 1.3, 0.0])
    assert adc.adjoints(rebound_in_loop, jit=jit)(1.2)["s"] == pytest.approx(3.0)


def bound_in_an_inner_loop(z, n):
    for i in range(3):
        for j in range(n + i):      # no trips at first: a is unbound there
            a = np.ones(2) * z
            z = z + np.sum(a) * 0.1
        z = z * 1.5
    return z


def last_a_of_bound_in_an_inner_loop(z, n):     # the same, returning the a it leaves
    for i in range(3):
        for j in range(n + i):
            a = np.ones(2) * z
            z = z + np.sum(a) * 0.1
        z = z * 1.5
    return a


def test_a_local_first_bound_in_an_inner_loop_that_may_not_run():
    for n in (0, 2):
        expected = finite_difference(last_a_of_bound_in_an_inner_loop, (0.4, n), 0, 1.0)
        assert adc.grad(bound_in_an_inner_loop, of="a", jit=False)(0.4, n) == \
            pytest.approx(expected, rel=1e-6)
    assert set(adc.adjoints(bound_in_an_inner_loop, jit=False)(0.4, 0)) == {"z"}
    with pytest.raises(ValueError, match="first bound inside a loop or a branch"):
        adc.grad(bound_in_a_loop, wrt="u")
    assert adc.grad(bound_in_a_loop, of="u", jit=False)(0.4, 3) == pytest.approx(2.0)


def bound_in_a_loop(z, n):
    for i in range(n):
        u = z * i
    return u * u


def test_forward_mode_leaves_the_tangents_given_unchanged():
    tangent = np.array([1.0, 2.0, 3.0])
    adc.jvp(shifted_then_written, jit=False)((X3,), (tangent,))
    np.testing.assert_array_equal(tangent, [1.0, 2.0, 3.0])


def accumulated_then_returned_early(x):
    s = 0.0
    for i in range(3):
        s = s + x * i
    if s > 0.5:
        return s * 2.0
    s = s + 1.0
    return x


def test_a_local_of_a_function_returning_early_is_refused_for_wrt():
    with pytest.raises(ValueError, match="wrt='s': accumulated_then_returned_early returns early"):
        adc.grad(accumulated_then_returned_early, wrt="s")
    assert set(adc.adjoints(accumulated_then_returned_early, jit=False)(1.3)) == {"x"}
    assert adc.grad(accumulated_then_returned_early, of="s", jit=False)(1.3) == pytest.approx(3.0)


def test_a_tuple_local_in_of_or_wrt_is_named_as_a_tuple():
    for keyword in ("of", "wrt"):
        with pytest.raises(ValueError, match=f"{keyword}='t' names a tuple"):
            adc.grad(tuple_bound_then_indexed, **{keyword: "t"})


def rebound_in_one_branch_read_in_later_iterations(x, n):
    s, a = 0.0, x
    for i in range(n):
        s = s + a * x           # in iterations 1 and 2, this reads the last value of a
        if i < 1:
            a = x * i
    return s + a


def read_after_its_last_binding_before_a_break(y):
    a = np.zeros(2)
    k = 0
    while y > -0.25 and k < 2:
        k = k + 1
        if k % 2 == 0:
            break
        a = np.sin(a + y)
        y = y + a[k % 2]        # reads the last value of a, which the break then keeps
    return y + np.sum(a)


def written_then_summed_in_the_loop(x):
    a = np.zeros(3)
    s = 0.0
    for i in range(3):
        a[i] = x * i
        s = s + np.sum(a)       # after the last write, this reads the last value of a
    return np.sum(a * a) + s


def written_in_a_loop(x):
    a = np.zeros(3)
    for i in range(3):
        a[i] = x * i
    return np.sum(a * a)


def doubled_in_a_branch(x, n):
    a = x
    for i in range(n):
        if i < 1:
            a = a * 2.0
    return a * 3.0


def read_then_kept_by_a_branch(x, c):
    a = x * 2.0
    s = a * 3.0             # reads the value a keeps as its last where c <= 0
    if c > 0:
        a = a + 1.0
    return s + a


def read_then_kept_by_a_loop(x, n):
    a = np.empty(2)
    a[:] = x * 2.0
    s = np.sum(a * 3.0)     # reads the value a keeps as its last where the loop runs no trips
    for i in range(n):
        a = a + 1.0
    return s + np.sum(a)


MISSED_USES = [
    (bound_in_loop_used_there, "u", (0.7,), "which reads it again there"),
    (rebound_in_one_branch_read_in_later_iterations, "a", (0.7, 3), "which reads it again"),
    (read_after_its_last_binding_before_a_break, "a", (0.7,), "which reads it again there"),
    (written_then_summed_in_the_loop, "a", (0.7,), "which reads it again there"),
    (read_then_kept_by_a_branch, "a", (0.7, -1), "may leave a as it is here"),
    (read_then_kept_by_a_loop, "a", (0.7, 0), "may leave a as it is here"),
]


@pytest.mark.parametrize("func, name, args, message", MISSED_USES,
                         ids=[case[0].__name__ for case in MISSED_USES])
def test_a_local_whose_last_value_is_read_where_wrt_would_miss_it_is_refused(
        func, name, args, message):
    with pytest.raises(adc.DifferentiationError, match=f"wrt='{name}'.*{message}") as info:
        adc.grad(func, wrt=name)
    assert "test_regressions.py" in str(info.value) and "^" in str(info.value)
    assert name not in adc.adjoints(func, jit=False)(*args)


def test_a_local_rebound_or_written_in_a_loop_that_does_not_read_it_after_is_not_refused():
    assert adc.grad(doubled_in_a_branch, wrt="a", jit=False)(0.7, 3) == pytest.approx(3.0)
    np.testing.assert_allclose(adc.grad(written_in_a_loop, wrt="a", jit=False)(0.7),
                               [0.0, 1.4, 2.8])


# ------------------------------------------------------- aliases and views of written arrays

def alias_written(x):
    a = np.zeros(2)
    b = a
    b[0] = x * 2
    return np.sum(a) * x


def view_written(x):
    a = np.zeros(3)
    v = a[1:]
    v[0] = x * 2
    return np.sum(a) * x


def rows_written(x):
    B = np.zeros((2, 2))
    for row in B:
        row[0] = x * 2
    return np.sum(B) * x


def alias_updated_in_place(x):
    a = np.ones(2) * x
    b = a
    a *= x
    return np.sum(b)


def argument_aliased(x):
    y = x
    y[0] = 0.0
    return np.sum(y * x)


def fill_first(a, x):
    a[0] = x
    return x


def helper_writes_argument(x):
    a = np.zeros(2)
    t = fill_first(a, x * 2)
    return np.sum(a) * x + t


def first_column_and_double(p):
    return p.reshape(3, 2)[:, 0], p * 2


def returned_view_written(W):
    column, doubled = first_column_and_double(W)
    column[1] *= 0.5
    return np.sum(W * W) + np.sum(doubled)


def tuple_in_loop(x):
    t = (x, x)
    for i in range(2):
        t = (t[0] * x, t[1] + x)
    return t[0] + t[1]


def rows_of_a_rebound_array(u):
    for r in u:
        u[0] += r
        u = u * 2.0
    return np.sum(u)


def rows_of_an_array_updated_and_rebound(u):
    s = 0.0
    for r in u:
        u += r
        u = u * 2.0
        s = s + r
    return s


def chosen_then_written(x):
    v = np.cos(x) if x[0] > 1.0 else x
    v[1:] = 0.5
    return np.sum(v) + np.sum(x * x)


def tuple_bound_in_loop_used_after(x):
    for i in range(2):
        t = twice_and_square(x * i)
    return t[0] + t[1]


def scaled_in_place(p):
    p *= p[-1]
    return np.sum(p)


def scaled_in_place_in_a_loop(p):
    for i in range(2):
        p += p[i] * np.ones(2)
    return np.sum(p)


def helper_updates_argument_in_a_loop(u):
    return scaled_in_place_in_a_loop(u) + np.sum(u)


def helper_updates_argument(u):
    a = u * 1.0
    v = scaled_in_place(a if u[0] < 1.3 else a)
    return v + np.sum(a)


def argument_or_new_pair(p, a):
    for r in p:
        if a < 0.3:
            return p, p * 2.0          # the argument itself, on this path
    return p * 3.0, p * 4.0


def returned_argument_of_a_pair_written(x):
    v, w = argument_or_new_pair(np.squeeze(np.expand_dims(x, 0), axis=0), x[0])
    v[:-1] += w[0]                     # writes into x when v is x
    return np.sum(x) + np.sum(v)


def first_or_second(p, q, a):
    return p if a < 0.3 else q


def one_of_two_arguments_written(x):
    y = x * 1.0
    v = first_or_second(x, y, x[0])    # y itself when x[0] >= 0.3
    y[0] = y[0] * 3.0
    return np.sum(x) + np.sum(y * v)


def doubled_n_times(p, n):
    s = p
    for i in range(n):
        s = s * 2.0
    return s                           # p itself when n is 0


def argument_carried_by_a_loop_written(x):
    v = doubled_n_times(x, x.shape[0] - 3)
    v[0] = v[0] * 3.0
    return np.sum(x * v)


REFUSED = [(alias_written, 1.3, "second name"), (view_written, 1.3, "second name"),
           (rows_written, 1.3, "second name"), (alias_updated_in_place, 1.3, "in place"),
           (argument_aliased, X3, "second name"), (helper_writes_argument, 1.3, "writes into"),
           (tuple_in_loop, 1.3, "tuple 't'"),
           (returned_view_written, np.arange(6.0).reshape(2, 3), "second name"),
           (rows_of_a_rebound_array, np.array([0.5, 1.5]), "rebinds 'u'"),
           (rows_of_an_array_updated_and_rebound, np.array([0.5, 1.5]), "updates in place"),
           (helper_updates_argument, np.array([1.2, 0.3]), "changes its argument 'p'"),
           (helper_updates_argument_in_a_loop, np.array([1.2, 0.3]), "changes its argument"),
           (chosen_then_written, X3, "second name"),
           (tuple_bound_in_loop_used_after, 1.3, "tuple 't' is bound in this loop"),
           (returned_argument_of_a_pair_written, X3, "second name"),
           (one_of_two_arguments_written, X3, "second name"),
           (argument_carried_by_a_loop_written, X3, "second name")]


@pytest.mark.parametrize("func, x, message", REFUSED, ids=[f.__name__ for f, _, _ in REFUSED])
def test_aliases_of_written_arrays_are_refused(func, x, message):
    original = np.copy(x)
    with pytest.raises(adc.DifferentiationError, match=message) as info:
        adc.grad(func, jit=False)(x)
    assert "test_regressions.py" in str(info.value) and "^" in str(info.value)
    np.testing.assert_array_equal(x, original)


def test_forward_mode_refuses_them_too():
    for func, x, message in REFUSED:
        with pytest.raises(adc.DifferentiationError, match=message):
            adc.jvp(func, jit=False)((x,), (np.ones_like(x),))


def rebound_after_an_exit(x, u):
    for r in u:
        pass
    for t in x:
        if t > 5.0:
            break
        r = r * t
    return r


def test_a_variable_maybe_unbound_at_a_loop_read_then_rebound_in_a_branch_is_refused():
    x, u = np.array([1.0, -0.2, 0.8]), np.array([-0.4, 1.0])
    assert rebound_after_an_exit(x, u) == pytest.approx(-0.16)
    for make in (adc.grad, adc.jvp):
        with pytest.raises(adc.DifferentiationError, match="'r' may be unbound") as info:
            make(rebound_after_an_exit, jit=False)
        assert "test_regressions.py" in str(info.value) and "r = r * t" in str(info.value)


def read_in_a_branch_then_rebound(W, n):
    for r in W:
        pass
    if n > 1:
        W = np.sin(W * r)
    for i in range(n):
        r = W[0]
    return np.sum(r)


def test_a_variable_maybe_unbound_read_in_a_branch_then_rebound_by_a_loop_is_refused():
    W = np.array([[0.9, -0.3], [0.1, 1.2]])
    assert read_in_a_branch_then_rebound(W, 2) == pytest.approx(np.sum(np.sin(W * W[1])[0]))
    for make in (adc.grad, adc.jvp):
        with pytest.raises(adc.DifferentiationError, match="'r' may be unbound when this loop "
                           "starts and line [0-9]+ read it") as info:
            make(read_in_a_branch_then_rebound, jit=False)
        assert "test_regressions.py" in str(info.value) and "for i in range(n)" in str(info.value)


# ------------------------------------------------------- print, errors, cache

def loud(x):
    s = 0.0
    for i in range(2):
        print("step", i)
        s = s + x * i
    print("done")
    return s * x


def test_print_runs_in_reverse_mode(capsys):
    assert adc.grad(loud, jit=False)(1.5) == pytest.approx(3.0)
    assert capsys.readouterr().out == "step 0\nstep 1\ndone\n"


def scalar_then_array(x):
    s = 0.0
    for i in range(2):
        s = s + x
    return np.sum(s)


def mismatched(x, y):
    return np.sum(x * y)


def test_int_becoming_an_array_works_as_python_and_is_named_when_compiled():
    assert adc.grad(int_becomes_rows, jit=False)(0.5) == pytest.approx(6 * np.cos(0.5))
    with pytest.raises(adc.DifferentiationError, match="jit=False"):
        adc.grad(int_becomes_rows)(0.5)


def test_compile_errors_name_the_users_line():
    with pytest.raises(adc.DifferentiationError) as info:
        adc.grad(scalar_then_array)(np.array([1.0, 2.0]))
    text = str(info.value)
    assert "test_regressions.py" in text and "for i in range(2):" in text and "^" in text
    assert "jit=False" in text and "Traceback" not in text
    np.testing.assert_allclose(adc.grad(scalar_then_array, jit=False)(np.array([1.0, 2.0])),
                               [2.0, 2.0])


@pytest.mark.parametrize("jit", [True, False])
def test_run_time_errors_name_the_users_line(jit):
    with pytest.raises(ValueError) as info:
        adc.grad(mismatched, jit=jit)(np.ones(2), np.ones(3))
    text = str(info.value)
    assert "test_regressions.py" in text and "return np.sum(x * y)" in text


def square(x):
    return x * x


def test_a_wrong_cotangent_shape_is_named():
    _, pullback = adc.vjp(square)(np.ones(3))
    with pytest.raises(ValueError, match="cotangent 0 has shape"):
        pullback(np.ones(2))


def root(x):
    return np.sqrt(x)


@pytest.mark.parametrize("jit", [True, False])
def test_sqrt_of_zero_has_an_infinite_slope_in_both_modes(jit):
    with np.errstate(divide="ignore"):
        assert adc.grad(root, jit=jit)(0.0) == np.inf


def test_an_unwritable_cache_falls_back_to_a_temporary_directory(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")                  # a directory cannot be made below a file
    script = tmp_path / "script.py"
    script.write_text("import adcompiler as adc\n"
                      "def f(x):\n    return x * x\n"
                      "print(adc.grad(f, jit=False)(3.0))\n")
    env = {**os.environ, "ADC_CACHE_DIR": str(blocker / "cache")}
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "6.0"
    assert "cannot write generated code" in run.stderr


def returns_written_array_early(w, x):
    out = np.zeros((x.shape[0], 2))
    out[:, 0] = x[:, 0] * w
    out[:, 1] = x[:, 1] * w
    if np.max(x) > 100.0:
        return out * 0.0
    return out


def returns_from_a_loop(w, x):
    out = np.zeros(2)
    for i in range(2):
        out[i] = w * x[i]
        if out[i] > 5.0:
            return out
    return out


@pytest.mark.parametrize("jit", [True, False], ids=["jit", "python"])
def test_an_array_written_in_place_returned_early(jit):
    """``return out`` of an array written in place, with another return before it, was refused
    as a second name for the array (the returned value is a copy of it)."""
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    for scale in (1.0, 100.0):
        assert adc.check_grad(returns_written_array_early, 0.5, x * scale, jit=jit)
    for values in ([1.0, 20.0], [20.0, 1.0]):
        assert adc.check_grad(returns_from_a_loop, 0.5, np.array(values), jit=jit)


def view_in_a_tuple_then_written(W):
    t = (W.reshape(4, 2)[:, 0], 1.0)
    W[-2] = 0.5 * W[0, 0]
    return np.sum(t[0])


def view_in_a_dict_then_written(W):
    s = {"b": W.reshape(4, 2)[:, 0]}
    W[-2] = 0.5 * W[0, 0]
    return np.sum(s["b"])


def test_a_view_held_in_a_tuple_is_a_second_name():
    """A view of an array kept in a tuple or dict, then the array written in place: the
    tuple's value changes with the write (NumPy's views). The gradient missed that (it gave
    d/dW[0, 2] = 1; finite differences give 0); such a second name is refused, as a named view
    is."""
    W = np.arange(8.0).reshape(2, 4) / 10
    for func in (view_in_a_tuple_then_written, view_in_a_dict_then_written):
        with pytest.raises(adc.DifferentiationError, match="second name to an array"):
            adc.grad(func)(W)


LOOP_OF_4D_EXPRESSIONS = '''
import numpy as np
import adcompiler as adc


def f(x, p):
    acc = np.zeros_like(x)
    for o in range(3):
        powered = np.exp(p[o] * np.log(x))
        acc = acc + (powered * x) / (powered + 1.0)
    return np.sum(acc)


x = 1 + np.random.default_rng(0).random((2, 3, 4, 2))
p = np.array([0.1, -0.3, 0.5])
gx, gp = adc.grad(f, wrt=(0, 1))(x, p)
step = 1e-6
up, down = p.copy(), p.copy()
up[1] += step
down[1] -= step
print(abs(gp[1] - (f(x, up) - f(x, down)) / (2 * step)))
'''


def test_a_loop_over_4d_array_expressions_compiles_at_full_optimization(tmp_path):
    """LLVM's non-trivial loop unswitching at -O3 multiplied this gradient's loops by the
    broadcasting checks of each 4-D expression: over 100 s to compile, 5 s with it limited
    (adcompiler.compile). Run at numba's default optimization, in a new process."""
    script = tmp_path / "loop4d.py"
    script.write_text(LOOP_OF_4D_EXPRESSIONS)
    env = dict(os.environ, NUMBA_OPT="3", NUMBA_CACHE_DIR=str(tmp_path / "numba"),
               ADC_CACHE_DIR=str(tmp_path / "adc"), ADC_QUIET="1")
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         env=env, timeout=90)
    assert run.returncode == 0, run.stderr[-2000:]
    assert float(run.stdout.split()[-1]) < 1e-6



def long_named_layers(weight_of_the_first_layer_of_the_network,
                      weight_of_the_second_layer_of_the_network,
                      weight_of_the_third_layer_of_the_network,
                      weight_of_the_fourth_layer_of_the_network,
                      weight_of_the_fifth_layer_of_the_network,
                      weight_of_the_sixth_layer_of_the_network, inputs):
    total = weight_of_the_first_layer_of_the_network + weight_of_the_second_layer_of_the_network
    total = total + weight_of_the_third_layer_of_the_network
    total = total + weight_of_the_fourth_layer_of_the_network
    total = total + weight_of_the_fifth_layer_of_the_network
    return inputs * (total + weight_of_the_sixth_layer_of_the_network)


def long_named_loss(a, b, c, d, e, f, inputs):
    return np.sum(np.sin(long_named_layers(a, b, c, d, e, f, inputs)))


def test_derivatives_of_calls_with_many_long_named_parameters_compile():
    """The pullback of a call with respect to many of its parameters is named by their count
    when their names would make it too long: numba's cache names its files after functions
    (a file name of over 255 characters failed to compile)."""
    inputs = np.linspace(0.1, 1.0, 5)
    args = [0.1 * k for k in range(6)] + [inputs]
    gradient = adc.grad(long_named_loss, wrt=tuple(range(6)))
    source = gradient.source_for(*args)
    names = [line.split("(")[0][4:] for line in source.splitlines() if line.startswith("def ")]
    assert max(map(len, names)) <= 100, names
    expected = np.sum(np.cos(inputs * sum(args[:6])) * inputs)
    np.testing.assert_allclose(gradient(*args), [expected] * 6, rtol=1e-12)
