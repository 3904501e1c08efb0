"""The five loop programs of benchmarks/loops.py, and their hand-written numba adjoints."""
import numpy as np
from numba import njit


def sin_cos_sum(x, n):
    s = 0.0
    for i in range(n):
        s = s + np.sin(x * i) * np.cos(x)
    return s


def rosenbrock(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s = s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def recurrence(w, xs):
    h = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(w * h + xs[t])
    return h


def newton_sqrt_sum(a):
    total = 0.0
    for i in range(a.shape[0]):
        x = a[i]
        while abs(x * x - a[i]) > 1e-12:
            x = 0.5 * (x + a[i] / x)
        total = total + x
    return total


def heat(u, steps):
    for step in range(steps):
        previous = u.copy()
        for i in range(1, u.shape[0] - 1):
            u[i] = previous[i] + 0.1 * (previous[i - 1] - 2.0 * previous[i] + previous[i + 1])
    return np.sum(u * u)


# ----------------------------------------------------------------------------- by hand

@njit(cache=True)
def sin_cos_sum_adjoint(x, n):
    c, s, g = np.cos(x), np.sin(x), 0.0
    for i in range(n):
        g += np.cos(x * i) * i * c - np.sin(x * i) * s
    return g


@njit(cache=True)
def rosenbrock_adjoint(x):
    g = np.zeros_like(x)
    for i in range(x.shape[0] - 1):
        d = x[i + 1] - x[i] ** 2
        g[i + 1] += 200.0 * d
        g[i] += -400.0 * d * x[i] - 2.0 * (1.0 - x[i])
    return g


@njit(cache=True)
def recurrence_adjoint(w, xs):
    n = xs.shape[0]
    hs = np.empty(n + 1)
    hs[0] = 0.0
    for t in range(n):
        hs[t + 1] = np.tanh(w * hs[t] + xs[t])
    h_bar, w_bar, xs_bar = 1.0, 0.0, np.zeros(n)
    for t in range(n - 1, -1, -1):
        d = h_bar * (1.0 - hs[t + 1] ** 2)
        w_bar += d * hs[t]
        xs_bar[t] = d
        h_bar = d * w
    return w_bar, xs_bar


@njit(cache=True)
def newton_sqrt_sum_adjoint(a):
    a_bar = np.zeros_like(a)
    iterates = np.empty(200)
    for i in range(a.shape[0]):
        x, k = a[i], 0
        while abs(x * x - a[i]) > 1e-12:
            iterates[k] = x
            k += 1
            x = 0.5 * (x + a[i] / x)
        x_bar = 1.0
        for j in range(k - 1, -1, -1):
            xj = iterates[j]
            a_bar[i] += x_bar * 0.5 / xj
            x_bar = x_bar * 0.5 * (1.0 - a[i] / (xj * xj))
        a_bar[i] += x_bar
    return a_bar


@njit(cache=True)
def heat_adjoint(u, steps):
    n = u.shape[0]
    u = u.copy()
    for s in range(steps):
        previous = u.copy()
        for i in range(1, n - 1):
            u[i] = previous[i] + 0.1 * (previous[i - 1] - 2.0 * previous[i] + previous[i + 1])
    u_bar = 2.0 * u                 # the stencil is linear: only the final state is needed
    for s in range(steps):
        previous_bar = np.zeros(n)
        previous_bar[0] = u_bar[0]
        previous_bar[n - 1] = u_bar[n - 1]
        for i in range(1, n - 1):
            previous_bar[i] += u_bar[i] * 0.8
            previous_bar[i - 1] += u_bar[i] * 0.1
            previous_bar[i + 1] += u_bar[i] * 0.1
        u_bar = previous_bar
    return u_bar
