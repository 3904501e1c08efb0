"""Zeros, ones, casts, copies, accumulation and number types of generated code; the shapes
an adjoint is summed or reshaped back to (broadcasting), and sorting's adjoint."""
import numpy as np
from numba import types
from numba.core.errors import TypingError
from numba.np.numpy_support import as_dtype
from numba.np.unsafe.ndarray import to_fixed_tuple

from .twins import is_array, jit_twin, literal, scalar_of


# --------------------------------------------------------------------------- zeros, ones, casts

def zeros_like(x):
    """A zero of ``x``'s shape and type (an array for arrays, a scalar for scalars)."""
    if isinstance(x, np.ndarray):
        return np.zeros(x.shape, x.dtype)
    return type(x)(0)


def ones_like(x):
    """A one of ``x``'s shape and type."""
    if isinstance(x, np.ndarray):
        return np.ones(x.shape, x.dtype)
    return type(x)(1)


@jit_twin(zeros_like, inline=True)
def _zeros_like(x):
    if is_array(x):
        return lambda x: np.zeros(x.shape, x.dtype)
    zero = scalar_of(x, 0)
    return lambda x: zero


@jit_twin(ones_like, inline=True)
def _ones_like(x):
    if is_array(x):
        return lambda x: np.ones(x.shape, x.dtype)
    one = scalar_of(x, 1)
    return lambda x: one


def cast_like(g, x):
    """The adjoint ``g`` with the shape and dtype of the value ``x`` it belongs to: for arrays a
    new array, which the caller may then update in place."""
    if isinstance(x, np.ndarray):
        return np.array(np.broadcast_to(g, x.shape), dtype=x.dtype)
    if isinstance(x, np.generic):
        return x.dtype.type(np.sum(g))
    return type(x)(np.sum(g))


@jit_twin(cast_like, inline=True)
def _cast_like(g, x):
    if is_array(x):
        dtype = x.dtype
        if is_array(g):
            return lambda g, x: g.astype(dtype).reshape(x.shape)
        return lambda g, x: np.full(x.shape, g, dtype)
    cast = x
    if is_array(g):
        return lambda g, x: cast(np.sum(g))
    return lambda g, x: cast(g)


def add_like(acc, g):
    """``acc + g`` in ``acc``'s type: an adjoint accumulated in a loop keeps one type."""
    if isinstance(acc, np.ndarray):
        return (acc + g).astype(acc.dtype, copy=False)
    return type(acc)(acc + g)


@jit_twin(add_like, inline=True)
def _add_like(acc, g):
    if is_array(acc):
        dtype = acc.dtype
        if np.result_type(as_dtype(dtype), as_dtype(g.dtype if is_array(g) else g)) == \
                as_dtype(dtype):
            return lambda acc, g: acc + g
        return lambda acc, g: (acc + g).astype(dtype)
    cast = acc
    return lambda acc, g: cast(acc + g)


def stacked(items, axis=0):
    """np.stack, which numba has for arrays only, for numbers too; an array's copy (np.array)."""
    return np.array(items) if isinstance(items, np.ndarray) else np.stack(items, axis)


@jit_twin(stacked)
def _stacked(items, axis=0):
    if is_array(items):
        return lambda items, axis=0: np.copy(items)
    if all(is_array(t) for t in items.types):
        return lambda items, axis=0: np.stack(items, axis)
    return lambda items, axis=0: np.array(items)


def copy_of(x):
    """A copy of an array (a slice would be a view), or the scalar itself."""
    return np.copy(x) if isinstance(x, np.ndarray) else x


@jit_twin(copy_of, inline=True)
def _copy_of(x):
    if is_array(x):
        return lambda x: np.copy(x)
    return lambda x: x

# --------------------------------------------------------------------------- number types

def weak(value, like):
    """A number written in the code, in an operation with the array ``like``, in the type
    NumPy 2 gives it there (``like``'s dtype unless a float meets an integer array); numba
    would otherwise take it as float64 (a float32 array times 1.5 would become float64)."""
    if isinstance(like, np.ndarray) and (isinstance(value, int)
                                         or np.issubdtype(like.dtype, np.inexact)):
        return like.dtype.type(value)
    return value


@jit_twin(weak, inline=True)
def _weak(value, like):
    if is_array(like) and (isinstance(value, types.Integer)
                            or isinstance(like.dtype, types.Float)):
        dtype = like.dtype
        return lambda value, like: dtype(value)
    return lambda value, like: value


def as_float(x):
    """``x`` as float64 if it holds integers: a variable that starts as an integer and
    becomes a float in a loop has the float type throughout."""
    if isinstance(x, np.ndarray):
        return x.astype(np.float64) if not np.issubdtype(x.dtype, np.inexact) else x
    return float(x)


@jit_twin(as_float, inline=True)
def _as_float(x):
    if is_array(x) and isinstance(x.dtype, (types.Integer, types.Boolean)):
        return lambda x: x.astype(np.float64)
    if is_array(x):
        return lambda x: x
    return lambda x: float(x)

# --------------------------------------------------------------------------- broadcasting

def broadcast_like(t, like):
    """The tangent ``t`` broadcast to the shape of the value ``like`` (a new array)."""
    if not isinstance(like, np.ndarray):
        return t
    return np.array(np.broadcast_to(t, like.shape), dtype=np.result_type(t, like.dtype))


@jit_twin(broadcast_like)
def _broadcast_like(t, like):
    if not is_array(like):
        return lambda t, like: t
    if not is_array(t):
        return lambda t, like: np.full(like.shape, t)
    return lambda t, like: np.broadcast_to(t, like.shape).copy()


def keep_dtype(t, like):
    """``t`` in the dtype of the array ``like``: a tangent carried through a loop or merged
    after a branch keeps one type."""
    if isinstance(like, np.ndarray) and isinstance(t, np.ndarray) and t.dtype != like.dtype:
        return t.astype(like.dtype)
    return t


@jit_twin(keep_dtype, inline=True)
def _keep_dtype(t, like):
    if is_array(like) and is_array(t) and t.dtype != like.dtype:
        dtype = like.dtype
        return lambda t, like: t.astype(dtype)
    return lambda t, like: t


def reshape_like(g, x):
    """``g`` reshaped to ``x``'s shape (a scalar for a scalar ``x``)."""
    if isinstance(x, np.ndarray):
        return np.reshape(g, x.shape)
    return np.sum(g)


@jit_twin(reshape_like)
def _reshape_like(g, x):
    if not is_array(x):
        if is_array(g):
            return lambda g, x: np.sum(g)
        return lambda g, x: g
    if not is_array(g):
        return lambda g, x: np.full(x.shape, g)
    return lambda g, x: np.ascontiguousarray(g).reshape(x.shape)


def log_or_zero(x):
    """``log(x)`` where ``x > 0``, else 0: the exponent's share in ``x ** b`` (as TensorFlow)."""
    return np.where(np.asarray(x) > 0, np.log(np.where(np.asarray(x) > 0, x, 1)), 0)[()]


@jit_twin(log_or_zero)
def _log_or_zero(x):
    if is_array(x):
        return lambda x: np.where(x > 0, np.log(np.where(x > 0, x, 1.0)), 0.0)
    return lambda x: np.log(x) if x > 0 else 0.0 * x


def reshape(x, shape):
    """``np.reshape`` that also accepts non-contiguous arrays inside numba."""
    return np.reshape(x, shape)


@jit_twin(reshape)
def _reshape(x, shape):
    return lambda x, shape: np.ascontiguousarray(x).reshape(shape)


def clip(x, lo, hi):
    """``np.clip`` that also takes scalars inside numba."""
    return np.minimum(np.maximum(x, lo), hi)


@jit_twin(clip)
def _clip(x, lo, hi):
    return lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi)

# --------------------------------------------------------------------------- shapes

def squeeze(x, axis=None):
    """``np.squeeze``, also inside numba (``axis`` a constant int or ``None``)."""
    return np.squeeze(x, axis)


@jit_twin(squeeze)
def _squeeze(x, axis=None):
    ax = literal(axis, "squeeze's axis")
    if ax is None:
        raise TypingError("squeeze inside compiled code needs a constant axis: np.squeeze(x, axis=k)")
    nd = x.ndim - 1

    def impl(x, axis=None):
        shape = np.empty(nd, np.int64)
        m = 0
        for k in range(x.ndim):
            if k != ax % x.ndim:
                shape[m] = x.shape[k]
                m += 1
        return np.ascontiguousarray(x).reshape(to_fixed_tuple(shape, nd))
    return impl

# --------------------------------------------------------------------------- sorting

def _sorting_order(x):
    if np.ndim(x) != 1:
        raise ValueError("the derivative of np.sort is implemented for 1-D arrays only")
    return np.argsort(x, kind="mergesort")


def unsort(g, x):
    """The adjoint of ``y = np.sort(x)`` (1-D): ``y_bar`` sent back to where each value came
    from (ties: in the order of a stable sort)."""
    out = np.zeros(x.shape, np.result_type(g, x.dtype))
    out[_sorting_order(x)] = g
    return out


def sort_like(t, x):
    """The tangent of ``y = np.sort(x)`` (1-D): ``t`` in the order that sorts ``x``."""
    return np.asarray(t)[_sorting_order(x)]


def _sort_typer(x):
    if not is_array(x) or x.ndim != 1:
        raise TypingError("the derivative of np.sort is implemented for 1-D arrays only")


@jit_twin(unsort)
def _unsort(g, x):
    _sort_typer(x)

    def impl(g, x):
        out = np.zeros(x.shape, g.dtype)
        out[np.argsort(x, kind="mergesort")] = g
        return out
    return impl


@jit_twin(sort_like)
def _sort_like(t, x):
    _sort_typer(x)
    return lambda t, x: t[np.argsort(x, kind="mergesort")]


def atleast_1d(x):
    """``np.atleast_1d``, also of a scalar inside numba."""
    return np.atleast_1d(x)


def atleast_2d(x):
    """``np.atleast_2d``, also of a scalar inside numba."""
    return np.atleast_2d(x)


def atleast_3d(x):
    """``np.atleast_3d``, also of a scalar inside numba."""
    return np.atleast_3d(x)


@jit_twin(atleast_1d)
def _atleast_1d(x):
    return (lambda x: np.atleast_1d(x)) if is_array(x) else (lambda x: np.full(1, x))


@jit_twin(atleast_2d)
def _atleast_2d(x):
    return (lambda x: np.atleast_2d(x)) if is_array(x) else (lambda x: np.full((1, 1), x))


@jit_twin(atleast_3d)
def _atleast_3d(x):
    return (lambda x: np.atleast_3d(x)) if is_array(x) else (lambda x: np.full((1, 1, 1), x))
