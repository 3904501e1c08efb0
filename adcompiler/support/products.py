"""Matrix, tensor and outer products in numba, and their adjoints."""
import numpy as np
from numba import njit
from numba.core.errors import TypingError
from numba.np.unsafe.ndarray import to_fixed_tuple

from .reductions import as_grid
from .twins import is_array, jit_twin, literal


# --------------------------------------------------------------------------- products

def matmul_adjoint_a(g, a, b):
    """Adjoint of ``a @ b`` with respect to ``a`` (1-D or 2-D operands)."""
    if a.ndim == 1 and b.ndim == 1:
        return g * b
    if a.ndim == 1:
        return b @ g
    if b.ndim == 1:
        return np.outer(g, b)
    return g @ b.T


def matmul_adjoint_b(g, a, b):
    """Adjoint of ``a @ b`` with respect to ``b`` (1-D or 2-D operands)."""
    if a.ndim == 1 and b.ndim == 1:
        return g * a
    if a.ndim == 1:
        return np.outer(a, g)
    if b.ndim == 1:
        return a.T @ g
    return a.T @ g


@jit_twin(matmul_adjoint_a)
def _matmul_adjoint_a(g, a, b):
    if a.ndim == 1 and b.ndim == 1:
        return lambda g, a, b: g * b
    if a.ndim == 1:
        return lambda g, a, b: np.dot(np.ascontiguousarray(b), g)
    if b.ndim == 1:
        return lambda g, a, b: np.outer(g, b)
    return lambda g, a, b: np.dot(g, np.ascontiguousarray(b.T))


@jit_twin(matmul_adjoint_b)
def _matmul_adjoint_b(g, a, b):
    if a.ndim == 1 and b.ndim == 1:
        return lambda g, a, b: g * a
    if a.ndim == 1:
        return lambda g, a, b: np.outer(a, g)
    return lambda g, a, b: np.dot(np.ascontiguousarray(a.T), g)


def tensordot(a, b, axes=2):
    """``np.tensordot`` with an integer ``axes``; a 0-D result is a scalar."""
    out = np.tensordot(a, b, axes)
    return out[()] if out.ndim == 0 else out


def _tensordot_sizes(a_shape, b_shape, k):
    m = int(np.prod(a_shape[:len(a_shape) - k]))
    inner = int(np.prod(a_shape[len(a_shape) - k:]))
    n = int(np.prod(b_shape[k:]))
    return m, inner, n


def tensordot_adjoint_a(g, a, b, axes=2):
    """Adjoint of ``tensordot(a, b, axes)`` with respect to ``a``."""
    m, inner, n = _tensordot_sizes(np.shape(a), np.shape(b), axes)
    return (np.reshape(g, (m, n)) @ np.reshape(b, (inner, n)).T).reshape(np.shape(a))


def tensordot_adjoint_b(g, a, b, axes=2):
    """Adjoint of ``tensordot(a, b, axes)`` with respect to ``b``."""
    m, inner, n = _tensordot_sizes(np.shape(a), np.shape(b), axes)
    return (np.reshape(a, (m, inner)).T @ np.reshape(g, (m, n))).reshape(np.shape(b))


@njit(cache=True)
def _mkn(a_shape, b_shape, k):
    """(rows of a, contracted size, columns of b) of tensordot(a, b, k) as a matrix product."""
    m, inner, n = 1, 1, 1
    for i in range(len(a_shape)):
        if i < len(a_shape) - k:
            m *= a_shape[i]
        else:
            inner *= a_shape[i]
    for i in range(k, len(b_shape)):
        n *= b_shape[i]
    return m, inner, n


def _tensordot_typer_checks(a, b, axes):
    k = literal(axes, "tensordot's axes")
    k = 2 if k is None else k
    if not isinstance(k, int) or k < 0 or k > a.ndim or k > b.ndim:
        raise TypingError("tensordot: axes must be a constant integer no larger than either rank")
    return k


@jit_twin(tensordot)
def _tensordot(a, b, axes=2):
    if not (is_array(a) and is_array(b)):        # a scalar operand: axes must be 0
        return lambda a, b, axes=2: a * b
    k = _tensordot_typer_checks(a, b, axes)
    nd_out = a.ndim + b.ndim - 2 * k

    def impl(a, b, axes=2):
        m, inner, n = _mkn(a.shape, b.shape, k)
        a2 = np.ascontiguousarray(a).reshape((m, inner))
        b2 = np.ascontiguousarray(b).reshape((inner, n))
        r = np.dot(a2, b2)
        if nd_out == 0:
            return r[0, 0]
        shape = np.empty(nd_out, np.int64)
        for i in range(a.ndim - k):
            shape[i] = a.shape[i]
        for i in range(b.ndim - k):
            shape[a.ndim - k + i] = b.shape[k + i]
        return r.reshape(to_fixed_tuple(shape, nd_out))
    return impl


@jit_twin(tensordot_adjoint_a)
def _tensordot_adjoint_a(g, a, b, axes=2):
    if not is_array(a):
        return lambda g, a, b, axes=2: np.sum(g * b)
    if not is_array(b):
        return lambda g, a, b, axes=2: g * b
    k = _tensordot_typer_checks(a, b, axes)

    def impl(g, a, b, axes=2):
        m, inner, n = _mkn(a.shape, b.shape, k)
        g2 = as_grid(g, m, n, b)
        b2 = np.ascontiguousarray(b).reshape((inner, n))
        return np.dot(g2, np.ascontiguousarray(b2.T)).reshape(a.shape)
    return impl


@jit_twin(tensordot_adjoint_b)
def _tensordot_adjoint_b(g, a, b, axes=2):
    if not is_array(b):
        return lambda g, a, b, axes=2: np.sum(g * a)
    if not is_array(a):
        return lambda g, a, b, axes=2: g * a
    k = _tensordot_typer_checks(a, b, axes)

    def impl(g, a, b, axes=2):
        m, inner, n = _mkn(a.shape, b.shape, k)
        g2 = as_grid(g, m, n, a)
        a2 = np.ascontiguousarray(a).reshape((m, inner))
        return np.dot(np.ascontiguousarray(a2.T), g2).reshape(b.shape)
    return impl


def outer_adjoint_a(g, a, b):
    """Adjoint of ``np.outer(a, b)`` with respect to ``a`` (``a`` is flattened by outer)."""
    return np.reshape(g @ np.ravel(b), np.shape(a))


def outer_adjoint_b(g, a, b):
    """Adjoint of ``np.outer(a, b)`` with respect to ``b``."""
    return np.reshape(np.ravel(a) @ g, np.shape(b))


@jit_twin(outer_adjoint_a)
def _outer_adjoint_a(g, a, b):
    return lambda g, a, b: np.dot(g, np.ascontiguousarray(b).ravel()).reshape(a.shape)


@jit_twin(outer_adjoint_b)
def _outer_adjoint_b(g, a, b):
    return lambda g, a, b: np.dot(np.ascontiguousarray(a).ravel(), g).reshape(b.shape)
