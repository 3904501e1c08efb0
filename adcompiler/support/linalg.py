"""Adjoints and tangents of ``np.linalg.det``, ``inv``, ``solve`` and ``norm``, for one matrix
(not a stack of them: those are refused with an error)."""
import numpy as np
from numba.core.errors import TypingError
from numba.extending import register_jitable

from .twins import is_array, jit_twin


def _one_matrix(a, what):
    if np.ndim(a) != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"the derivative of np.linalg.{what} is for one square matrix, not an "
                         f"array of shape {np.shape(a)}")


def _square(a, what):
    if not (is_array(a) and a.ndim == 2):
        raise TypingError(f"the derivative of np.linalg.{what} is for one square matrix")


@register_jitable
def adjugate(a):
    """adj(a), which is det(a) inv(a) for an invertible a, from a's SVD u s vt: det(u) det(vt)
    vt^T diag(product of the other singular values) u^T, exact for a singular a too."""
    u, s, vt = np.linalg.svd(np.ascontiguousarray(a))
    others = np.ones(s.shape[0])
    for i in range(s.shape[0]):
        for j in range(s.shape[0]):
            if j != i:
                others[i] *= s[j]
    return np.linalg.det(u) * np.linalg.det(vt) * (np.ascontiguousarray(vt.T) * others) @ u.T


def det_adjoint(g, a):
    """d det(a) / d a = adj(a)^T."""
    _one_matrix(a, "det")
    return g * adjugate(a).T


@jit_twin(det_adjoint)
def _det_adjoint(g, a):
    _square(a, "det")
    return lambda g, a: g * np.ascontiguousarray(adjugate(a).T)


def det_tangent(t, a):
    """The tangent of det(a) along t: trace(adj(a) t)."""
    _one_matrix(a, "det")
    return np.sum(adjugate(a).T * t)


@jit_twin(det_tangent)
def _det_tangent(t, a):
    _square(a, "det")
    return lambda t, a: np.sum(adjugate(a).T * t)


def inv_adjoint(g, y):
    """y = inv(a): a_bar = -y^T g y^T."""
    _one_matrix(y, "inv")
    return -(y.T @ g @ y.T)


@jit_twin(inv_adjoint)
def _inv_adjoint(g, y):
    _square(y, "inv")

    def impl(g, y):
        yt = np.ascontiguousarray(y.T)
        return -(yt @ np.ascontiguousarray(g) @ yt)
    return impl


def inv_tangent(t, y):
    """The tangent of inv(a) along t: -y t y."""
    _one_matrix(y, "inv")
    return -(y @ t @ y)


@jit_twin(inv_tangent)
def _inv_tangent(t, y):
    _square(y, "inv")
    return lambda t, y: -(y @ np.ascontiguousarray(t) @ y)


def solve_adjoint_b(g, a):
    """y = solve(a, b): b_bar = solve(a^T, y_bar)."""
    _one_matrix(a, "solve")
    return np.linalg.solve(a.T, g)


@jit_twin(solve_adjoint_b)
def _solve_adjoint_b(g, a):
    _square(a, "solve")
    return lambda g, a: np.linalg.solve(np.ascontiguousarray(a.T), g)


def solve_adjoint_a(g, a, y):
    """y = solve(a, b): a_bar = -b_bar y^T (an outer product for a vector y)."""
    b_bar = solve_adjoint_b(g, a)
    return -np.outer(b_bar, y) if np.ndim(y) == 1 else -(b_bar @ y.T)


@jit_twin(solve_adjoint_a)
def _solve_adjoint_a(g, a, y):
    _square(a, "solve")
    if y.ndim == 1:
        return lambda g, a, y: -np.outer(np.linalg.solve(np.ascontiguousarray(a.T), g), y)
    return lambda g, a, y: -(np.linalg.solve(np.ascontiguousarray(a.T), g)
                             @ np.ascontiguousarray(y.T))


def solve_tangent_a(t, a, y):
    """The tangent of solve(a, b) along a's tangent t: -solve(a, t y)."""
    _one_matrix(a, "solve")
    return -np.linalg.solve(a, t @ y)


@jit_twin(solve_tangent_a)
def _solve_tangent_a(t, a, y):
    _square(a, "solve")
    return lambda t, a, y: -np.linalg.solve(a, np.ascontiguousarray(t) @ y)


def norm_adjoint(g, x, y):
    """y = ||x|| (2-norm of all elements): x_bar = y_bar x / y, and 0 at x = 0."""
    return g * x / y if y > 0 else np.zeros_like(x) * g


@jit_twin(norm_adjoint)
def _norm_adjoint(g, x, y):
    if not is_array(x):
        return lambda g, x, y: g * x / y if y > 0 else 0.0 * g
    return lambda g, x, y: g * x / y if y > 0 else np.zeros_like(x) * g


def norm_tangent(t, x, y):
    """The tangent of ||x|| along t: <x, t> / ||x||, and 0 at x = 0."""
    return np.sum(x * t) / y if y > 0 else 0.0 * np.sum(t)


@jit_twin(norm_tangent)
def _norm_tangent(t, x, y):
    return lambda t, x, y: np.sum(x * t) / y if y > 0 else 0.0 * np.sum(t)
