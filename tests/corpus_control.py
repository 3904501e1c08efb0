"""Functions with loops, branches and early exits, each named after the construct it exercises.
tests/test_control_flow.py checks each one's gradient against finite differences."""
import numpy as np


def helper_scale(x, i):
    return np.sin(x * i) * 0.5 + x


def helper_with_branch(x, i):
    if i % 2 == 0:
        return x * x
    return np.cos(x) * i


def helper_with_loop(x, n):
    s = x
    for k in range(n):
        s = s * 0.9 + np.sin(x) * k
    return s


# ----------------------------------------------------------------------------- for over range

def for_range_sum_sin(x, n):
    s = 0.0
    for i in range(n):
        s = s + np.sin(x * i)
    return s


def for_range_sin_times_cos(x, n):
    s = 0.0
    for i in range(n):
        s = s + np.sin(x * i) * np.cos(x)
    return s


def for_range_start_stop(x, a, b):
    s = x
    for i in range(a, b):
        s = s + x * i
    return s * s


def for_range_step(x, n):
    s = 0.0
    for i in range(0, n, 2):
        s = s + np.exp(-x * i)
    return s


def for_range_negative_step(x, n):
    s = 1.0
    for i in range(n, 0, -1):
        s = s * 0.5 + x / i
    return s


def for_range_computed_bounds(v, x):
    s = 0.0
    for i in range(1, v.shape[0] - 1):
        s = s + (v[i - 1] - 2.0 * v[i] + v[i + 1]) ** 2 * x
    return s


def for_range_zero_trip(x, n):
    y = x * 2.0
    for i in range(n * 0):
        y = y * 100.0
    return y


def for_range_overwrites_variable(x, n):
    for i in range(n):
        x = np.sin(x) + 0.5 * x
    return x


def for_range_product(x, n):
    p = 1.0
    for i in range(n):
        p = p * (x + i)
    return p


def for_range_two_carried_values(a, b, n):
    for i in range(n):
        a, b = b, a * 0.5 + b * np.tanh(a)
    return a + b


def for_range_vector_accumulate(v, n):
    acc = v * 0.0
    for i in range(n):
        acc = acc * 0.5 + np.sin(v * i)
    return np.sum(acc)


def for_range_reads_array_elements(v, w):
    s = 0.0
    for i in range(v.shape[0]):
        s = s + v[i] * w[i] ** 2
    return s


def for_range_recurrence_tanh(w, xs):
    h = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(w * h + xs[t])
    return h


def for_range_index_arithmetic(v):
    n = v.shape[0]
    s = 0.0
    for i in range(n):
        j = (i * 3 + 1) % n
        s = s + v[j] * v[i]
    return s


def for_range_calls_user_function(x, n):
    s = 0.0
    for i in range(n):
        s = s + helper_scale(x, i)
    return s


def for_range_calls_function_with_branch(x, n):
    s = 0.0
    for i in range(n):
        s = s + helper_with_branch(x, i)
    return s


def for_range_loop_variable_after_loop(x, n):
    y = x
    for i in range(n):
        y = y + x * i
    return y * x


# ----------------------------------------------------------------------------- other for loops

def for_over_array_rows(X, w):
    total = 0.0
    for row in X:
        total = total + np.sum(row * w)
    return total


def for_over_vector_values(v):
    s = 1.0
    for value in v:
        s = s * 0.9 + np.sin(value) * s
    return s


def for_enumerate(X):
    total = 0.0
    for i, row in enumerate(X):
        total = total + i * np.sum(row ** 2)
    return total


def for_nested_loops(x, n, m):
    s = 0.0
    for i in range(n):
        t = x * i
        for j in range(m):
            t = np.sin(t) + x * j
        s = s + t * t
    return s


def for_nested_triangular(x, n):
    s = 0.0
    for i in range(n):
        for j in range(i):
            s = s + np.cos(x * (i - j))
    return s


def for_nested_over_matrix(X):
    s = 0.0
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            s = s + X[i, j] * X[j % X.shape[0], i % X.shape[1]]
    return s


def user_function_with_loop(x, n):
    return helper_with_loop(x, n) * x


# ----------------------------------------------------------------------------- while

def while_newton_sqrt(a):
    x = a
    while abs(x * x - a) > 1e-12:
        x = 0.5 * (x + a / x)
    return x


def while_halving(x):
    y = x
    while y > 0.1:
        y = y * 0.5 + 0.01 * np.sin(x)
    return y * x


def while_counter(x, n):
    k = 0
    s = x
    while k < n:
        s = s * np.cos(x) + 0.1
        k = k + 1
    return s


def while_zero_trip(x):
    y = x * 3.0
    while y > 1000.0:
        y = y * 0.5
    return y


def while_with_inner_for(x, n):
    s = x
    while s < 10.0:
        for i in range(n):
            s = s + 0.1 * np.exp(x * 0.1)
        s = s + 1.0
    return s * x


def while_past_tape_room(x, n):
    """Records more iterations than a while loop's tape arrays hold (4,096)."""
    k = 0
    s = x
    while k < n:
        s = s * 0.999 + 0.001 * np.sin(x * s)
        k = k + 1
    return s


# ----------------------------------------------------------------------------- branches

def if_else_scalar(x):
    if x > 0.0:
        y = x * x
    else:
        y = -x * 3.0
    return y


def if_without_else(x):
    y = np.sin(x)
    if y > 0.2:
        y = y * y
    return y + x


def if_elif_else(x):
    if x < -0.5:
        y = np.exp(x)
    elif x < 0.5:
        y = x ** 3
    else:
        y = np.log(x + 1.0)
    return y * x


def if_conditional_expression(x):
    y = x * x if x > 0.3 else np.sin(x)
    return y * 2.0


def if_nested_conditional_expression(x):
    return x if x > 1.0 else (x * x if x > 0.0 else -x * 0.5)


def if_and_or_not_tests(x, y):
    if x > 0.0 and y > 0.0:
        z = x * y
    elif not (x > 0.0) or y < -1.0:
        z = x + y * y
    else:
        z = np.sin(x - y)
    return z


def if_branch_on_array_sum(v):
    if np.sum(v) > 0.0:
        r = np.sum(v ** 2)
    else:
        r = np.sum(np.sin(v))
    return r


def if_branches_assign_different_variables(x):
    a = x
    b = x * 2.0
    if x > 0.0:
        a = np.sin(x)
    else:
        b = np.cos(x)
    return a * b


def if_defines_variable_used_later(x):
    if x > 0.0:
        t = x * 3.0
    else:
        t = x - 1.0
    return t * t + x


def if_inside_loop(x, n):
    s = 0.0
    for i in range(n):
        if i % 2 == 0:
            s = s + x * i
        else:
            s = s - np.sin(x)
    return s


def if_elif_inside_loop(x, n):
    s = x
    for i in range(n):
        if i % 3 == 0:
            s = s * 0.9
        elif i % 3 == 1:
            s = s + np.cos(x)
        else:
            s = s * s * 0.1
    return s


def if_on_carried_value_inside_loop(x, n):
    s = x
    for i in range(n):
        if s > 1.0:
            s = s * 0.5
        else:
            s = s + x
    return s


def if_loop_inside_branch(x, n):
    if x > 0.0:
        s = 0.0
        for i in range(n):
            s = s + np.sin(x + i)
    else:
        s = x * x
    return s


# ----------------------------------------------------------------------------- break, continue, return

def break_at_first_negative(v):
    s = 0.0
    for i in range(v.shape[0]):
        if v[i] < 0.0:
            break
        s = s + v[i] ** 2
    return s


def break_out_of_while(x):
    y = x
    k = 0
    while True:
        y = y * 1.5 + 0.1
        k = k + 1
        if y > 5.0 or k > 20:
            break
    return y * x


def break_inner_loop_only(x, n, m):
    s = 0.0
    for i in range(n):
        for j in range(m):
            if j > i:
                break
            s = s + x * j + np.sin(x * i)
    return s


def continue_skips_small_values(v):
    s = 0.0
    for value in v:
        if abs(value) < 0.5:
            continue
        s = s + np.sin(value) * value
    return s


def continue_and_break(v):
    s = 0.0
    for i in range(v.shape[0]):
        if v[i] < -1.5:
            break
        if v[i] < 0.0:
            continue
        s = s + v[i] * s + v[i]
    return s


def return_early_from_branch(x):
    if x > 1.0:
        return x * x
    y = np.exp(x)
    return y + x


def return_multiple(x):
    if x > 1.0:
        return x * x
    y = np.exp(x)
    if y > 2.0:
        return y * 3.0
    return y + x


def return_from_loop(x, a):
    for i in range(10):
        x = x * a
        if x > 5.0:
            return x + i
    return x


def return_from_nested_loop(x, n):
    s = x
    for i in range(n):
        for j in range(n):
            s = s * 1.1 + x * 0.01
            if s > 3.0:
                return s * j
    return s


def return_from_while(x):
    y = x
    while y < 100.0:
        y = y * 2.0 + np.sin(x)
        if y > 7.0:
            return y * x
    return y


# ----------------------------------------------------------------------------- arrays written in place

def write_elements_of_zeros(x, w):
    a = np.zeros(3)
    a[0] = x * 2.0
    a[1] = np.sin(x)
    a[2] = a[0] * a[1]
    return np.sum(a * w)


def write_same_element_many_times(x, n):
    a = np.zeros(2)
    for i in range(n):
        a[0] = a[0] * 0.5 + x * i
        a[1] = a[1] + a[0] * x
    return np.sum(a * a)


def write_slices(v, x):
    a = np.ones_like(v)
    a[1:] = v[1:] * x
    a[:1] = x * x
    return np.sum(a * v)


def write_augmented_2d(X):
    a = np.zeros((X.shape[0], X.shape[1]))
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            a[i, j] += X[i, j] * X[i, 0]
            a[i, j] += np.sin(X[i, j])
    return np.sum(a * a)


def write_into_argument(v):
    v[0] = v[0] * 3.0
    v[1:] = v[1:] * 2.0
    return np.sum(v * v)


def write_cumulative_recurrence(v):
    out = np.zeros(v.shape[0])
    out[0] = v[0]
    for i in range(1, v.shape[0]):
        out[i] = out[i - 1] * 0.5 + v[i] ** 2
    return np.sum(out * out)


def write_heat_equation(u, steps):
    for step in range(steps):
        previous = u.copy()
        for i in range(1, u.shape[0] - 1):
            u[i] = previous[i] + 0.1 * (previous[i - 1] - 2.0 * previous[i] + previous[i + 1])
    return np.sum(u * u)


def write_copy_then_modify(v):
    a = np.copy(v)
    a[0] = 0.0
    a[-1] = a[-1] * a[0] + v[0]
    return np.sum(a * v)


def write_arange_weights(v):
    w = np.arange(v.shape[0]) * 0.5
    a = np.empty(v.shape[0])
    for i in range(v.shape[0]):
        a[i] = np.sin(v[i]) * w[i]
    return np.sum(a * a)


def write_zeros_like_rebound(v, n):
    a = np.zeros_like(v)
    for k in range(n):
        a = a * 0.5 + v * k
    return np.sum(a * v)


def write_in_branch(v, x):
    a = np.copy(v)
    if x > 0.0:
        a[0] = x * a[1]
    else:
        a[1] = -x * a[0]
    return np.sum(a * a)


def write_in_while(x):
    a = np.zeros(3)
    k = 0
    while k < 3:
        a[k] = x ** (k + 1)
        k = k + 1
    return np.sum(a * a)


def write_reads_value_it_overwrites(v, x):
    a = v * 1.0
    s = 0.0
    for i in range(a.shape[0]):
        t = a[i] * x
        a[i] = t * t
        s = s + np.sin(a[i])
    return s


def write_after_while_loop(x):
    y = x
    while y < 2.0:
        y = y * 1.5
    a = np.zeros(3)
    for i in range(3):
        a[i] = y * i
    return np.sum(a * a)


def write_method_copy(v):
    a = v.copy()
    a[0] = a[0] * a[-1]
    return np.sum(a ** 3)
