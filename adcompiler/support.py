"""Helpers called by generated code.

Each helper is a plain NumPy function (used when derivatives run as pure Python) with a numba
``@overload`` twin (used inside ``njit`` code). numba compiles each twin once per type signature,
so generated functions call them instead of inlining array code (see docs/how-it-works.md).

Reductions and their adjoints view an array as ``(pre, n, post)`` around the reduced axis, which
lets one loop serve every rank.
"""
import numpy as np
from numba import njit, types
from numba.core.errors import TypingError
from numba.extending import overload
from numba.np.numpy_support import as_dtype
from numba.np.unsafe.ndarray import to_fixed_tuple

__all__ = [
    "zeros_like", "ones_like", "cast_like", "unbroadcast", "reshape_like", "clip",
    "reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod",
    "sum_adjoint", "mean_adjoint", "extremum_adjoint", "prod_adjoint",
    "matmul_adjoint_a", "matmul_adjoint_b", "tensordot", "tensordot_adjoint_a",
    "tensordot_adjoint_b", "outer_adjoint_a", "outer_adjoint_b", "squeeze",
    "reshape", "log_or_zero", "add_like", "trip_count", "copy_of", "tape_for",
    "broadcast_like", "keep_dtype", "jacobian_buffer", "unit_like", "store_column",
    "store_row", "unsort", "sort_like", "weak", "as_float",
]


def _jit_twin(py_func):
    """Register the decorated typing function as ``py_func``'s numba implementation."""
    def register(typer):
        overload(py_func, prefer_literal=True)(typer)
        return py_func
    return register


def _is_array(t):
    return isinstance(t, types.Array)


def _literal(t, what):
    """The value of a compile-time constant argument (``None`` for an omitted one)."""
    if t is None or isinstance(t, (types.NoneType, types.Omitted)):
        return getattr(t, "value", None)
    if isinstance(t, types.Literal):
        return t.literal_value
    raise TypingError(f"{what} must be a constant in the differentiated function")


def _scalar_of(t, value):
    return as_dtype(t).type(value)


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


@_jit_twin(zeros_like)
def _zeros_like(x):
    if _is_array(x):
        return lambda x: np.zeros(x.shape, x.dtype)
    zero = _scalar_of(x, 0)
    return lambda x: zero


@_jit_twin(ones_like)
def _ones_like(x):
    if _is_array(x):
        return lambda x: np.ones(x.shape, x.dtype)
    one = _scalar_of(x, 1)
    return lambda x: one


def cast_like(g, x):
    """The adjoint ``g`` with the shape and dtype of the value ``x`` it belongs to: for arrays a
    new array, which the caller may then update in place."""
    if isinstance(x, np.ndarray):
        return np.array(np.broadcast_to(g, x.shape), dtype=x.dtype)
    if isinstance(x, np.generic):
        return x.dtype.type(np.sum(g))
    return type(x)(np.sum(g))


@_jit_twin(cast_like)
def _cast_like(g, x):
    if _is_array(x):
        dtype = x.dtype
        if _is_array(g):
            return lambda g, x: g.astype(dtype).reshape(x.shape)
        return lambda g, x: np.full(x.shape, g, dtype)
    cast = x
    if _is_array(g):
        return lambda g, x: cast(np.sum(g))
    return lambda g, x: cast(g)


def add_like(acc, g):
    """``acc + g`` in ``acc``'s type: an adjoint accumulated in a loop keeps one type."""
    if isinstance(acc, np.ndarray):
        return (acc + g).astype(acc.dtype)
    return type(acc)(acc + g)


@_jit_twin(add_like)
def _add_like(acc, g):
    if _is_array(acc):
        dtype = acc.dtype
        return lambda acc, g: (acc + g).astype(dtype)
    cast = acc
    return lambda acc, g: cast(acc + g)


def copy_of(x):
    """A copy of an array (a slice would be a view), or the scalar itself."""
    return np.copy(x) if isinstance(x, np.ndarray) else x


@_jit_twin(copy_of)
def _copy_of(x):
    if _is_array(x):
        return lambda x: np.copy(x)
    return lambda x: x


def tape_for(n, like):
    """Room for ``n`` scalars of ``like``'s type: a loop's tape when its trip count is known."""
    return np.empty(n, np.asarray(like).dtype)


@_jit_twin(tape_for)
def _tape_for(n, like):
    dtype = as_dtype(like)
    return lambda n, like: np.empty(n, dtype)


def trip_count(start, stop, step):
    """How many times ``range(start, stop, step)`` iterates."""
    return len(range(start, stop, step))


@_jit_twin(trip_count)
def _trip_count(start, stop, step):
    def impl(start, stop, step):
        if step > 0:
            return max(0, (stop - start + step - 1) // step)
        return max(0, (start - stop - step - 1) // -step)
    return impl


# --------------------------------------------------------------------------- number types

def weak(value, like):
    """A number written in the code, in an operation with the array ``like``, in the type
    NumPy 2 gives it there (``like``'s dtype unless a float meets an integer array); numba
    would otherwise take it as float64 (a float32 array times 1.5 would become float64)."""
    if isinstance(like, np.ndarray) and (isinstance(value, int)
                                         or np.issubdtype(like.dtype, np.inexact)):
        return like.dtype.type(value)
    return value


@_jit_twin(weak)
def _weak(value, like):
    if _is_array(like) and (isinstance(value, types.Integer)
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


@_jit_twin(as_float)
def _as_float(x):
    if _is_array(x) and isinstance(x.dtype, (types.Integer, types.Boolean)):
        return lambda x: x.astype(np.float64)
    if _is_array(x):
        return lambda x: x
    return lambda x: float(x)


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
    if not _is_array(x) or x.ndim != 1:
        raise TypingError("the derivative of np.sort is implemented for 1-D arrays only")


@_jit_twin(unsort)
def _unsort(g, x):
    _sort_typer(x)

    def impl(g, x):
        out = np.zeros(x.shape, g.dtype)
        out[np.argsort(x, kind="mergesort")] = g
        return out
    return impl


@_jit_twin(sort_like)
def _sort_like(t, x):
    _sort_typer(x)
    return lambda t, x: t[np.argsort(x, kind="mergesort")]


# --------------------------------------------------------------------------- broadcasting

def broadcast_like(t, like):
    """The tangent ``t`` broadcast to the shape of the value ``like`` (a new array)."""
    if not isinstance(like, np.ndarray):
        return t
    return np.array(np.broadcast_to(t, like.shape), dtype=np.result_type(t, like.dtype))


@_jit_twin(broadcast_like)
def _broadcast_like(t, like):
    if not _is_array(like):
        return lambda t, like: t
    if not _is_array(t):
        return lambda t, like: np.full(like.shape, t)
    return lambda t, like: np.broadcast_to(t, like.shape).copy()


def keep_dtype(t, like):
    """``t`` in the dtype of the array ``like``: a tangent carried through a loop or merged
    after a branch keeps one type."""
    if isinstance(like, np.ndarray) and isinstance(t, np.ndarray) and t.dtype != like.dtype:
        return t.astype(like.dtype)
    return t


@_jit_twin(keep_dtype)
def _keep_dtype(t, like):
    if _is_array(like) and _is_array(t) and t.dtype != like.dtype:
        dtype = like.dtype
        return lambda t, like: t.astype(dtype)
    return lambda t, like: t


def unbroadcast(g, like):
    """Sum ``g`` over the axes along which ``like`` was broadcast to ``g``'s shape."""
    if not isinstance(like, np.ndarray):
        return np.sum(g) if isinstance(g, np.ndarray) else g
    g = np.asarray(g)
    if g.shape == like.shape:
        return g
    lead = g.ndim - like.ndim
    if lead > 0:
        g = g.sum(axis=tuple(range(lead)))
    axes = tuple(k for k, n in enumerate(like.shape) if n == 1 and g.shape[k] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return np.broadcast_to(g, like.shape).copy() if g.shape != like.shape else g


@njit(cache=True)
def _unbroadcast_into(g, out_shape):
    """Sum contiguous ``g`` into a new array of ``out_shape`` (right-aligned broadcasting)."""
    ng, nl = g.ndim, len(out_shape)
    lead = ng - nl
    size = 1
    for n in out_shape:
        size *= n
    out = np.zeros(size, g.dtype)
    stride = np.zeros(ng, np.int64)      # out's flat stride for each axis of g (0 if summed)
    step = 1
    for k in range(nl - 1, -1, -1):
        if out_shape[k] != 1:
            stride[lead + k] = step
        step *= out_shape[k]
    counter = np.zeros(ng, np.int64)
    flat_g = g.ravel()
    pos = 0
    for i in range(flat_g.size):
        out[pos] += flat_g[i]
        k = ng - 1
        while k >= 0:                  # odometer step over g's C-order index
            counter[k] += 1
            pos += stride[k]
            if counter[k] < g.shape[k]:
                break
            pos -= stride[k] * counter[k]
            counter[k] = 0
            k -= 1
    return out


@_jit_twin(unbroadcast)
def _unbroadcast(g, like):
    if not _is_array(like):
        if _is_array(g):
            return lambda g, like: np.sum(g)
        return lambda g, like: g
    nd = like.ndim
    if not _is_array(g):
        return lambda g, like: np.full(like.shape, g)

    def impl(g, like):
        if g.shape == like.shape:
            return np.ascontiguousarray(g).reshape(like.shape)
        flat = _unbroadcast_into(np.ascontiguousarray(g), like.shape)
        return flat.reshape(to_fixed_tuple(np.array(like.shape), nd))
    return impl


def reshape_like(g, x):
    """``g`` reshaped to ``x``'s shape (a scalar for a scalar ``x``)."""
    if isinstance(x, np.ndarray):
        return np.reshape(g, x.shape)
    return np.sum(g)


@_jit_twin(reshape_like)
def _reshape_like(g, x):
    if not _is_array(x):
        if _is_array(g):
            return lambda g, x: np.sum(g)
        return lambda g, x: g
    if not _is_array(g):
        return lambda g, x: np.full(x.shape, g)
    return lambda g, x: np.ascontiguousarray(g).reshape(x.shape)


def log_or_zero(x):
    """``log(x)`` where ``x > 0``, else 0: the exponent's share in ``x ** b`` (as TensorFlow)."""
    return np.where(np.asarray(x) > 0, np.log(np.where(np.asarray(x) > 0, x, 1)), 0)[()]


@_jit_twin(log_or_zero)
def _log_or_zero(x):
    if _is_array(x):
        return lambda x: np.where(x > 0, np.log(np.where(x > 0, x, 1.0)), 0.0)
    return lambda x: np.log(x) if x > 0 else 0.0 * x


def reshape(x, shape):
    """``np.reshape`` that also accepts non-contiguous arrays inside numba."""
    return np.reshape(x, shape)


@_jit_twin(reshape)
def _reshape(x, shape):
    return lambda x, shape: np.ascontiguousarray(x).reshape(shape)


def clip(x, lo, hi):
    """``np.clip`` that also takes scalars inside numba."""
    return np.minimum(np.maximum(x, lo), hi)


@_jit_twin(clip)
def _clip(x, lo, hi):
    return lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi)


# --------------------------------------------------------------------------- reductions

@njit(cache=True)
def _split(shape, axis):
    """(pre, n, post) sizes around ``axis`` of ``shape``; ``axis < 0`` means all axes."""
    size = 1
    for n in shape:
        size *= n
    if axis < 0:
        return 1, size, 1
    pre = 1
    for k in range(axis):
        pre *= shape[k]
    n = shape[axis]
    return pre, n, size // max(pre * n, 1) if pre * n else 0


@njit(cache=True)
def _out_shape(shape, axis, keepdims):
    """Shape of a reduction of ``shape`` over ``axis`` (``-1``: all axes), as an int array."""
    nd = len(shape)
    if keepdims:
        out = np.ones(nd, np.int64)
        for k in range(nd):
            if axis >= 0 and k != axis:
                out[k] = shape[k]
        return out
    out = np.empty(max(nd - 1, 0) if axis >= 0 else 0, np.int64)
    m = 0
    for k in range(nd):
        if axis >= 0 and k != axis:
            out[m] = shape[k]
            m += 1
    return out


@njit(cache=True)
def _reduce3(a, op):
    """Reduce the middle axis of a (pre, n, post) array: 0 sum, 1 max, 2 min, 3 prod."""
    pre, n, post = a.shape
    out = np.empty((pre, post), a.dtype)
    for i in range(pre):
        for k in range(post):
            acc = a[i, 0, k] if n else (1.0 if op == 3 else 0.0)
            for j in range(1, n):
                v = a[i, j, k]
                if op == 0:
                    acc += v
                elif op == 1:
                    acc = v if v > acc or np.isnan(v) else acc
                elif op == 2:
                    acc = v if v < acc or np.isnan(v) else acc
                else:
                    acc *= v
            out[i, k] = acc
    return out


def _make_reduction(name, np_func, op):
    def py_impl(x, axis=None, keepdims=False):
        return np_func(x, axis=axis, keepdims=keepdims)
    py_impl.__name__ = name
    py_impl.__doc__ = f"``np.{np_func.__name__}`` with ``axis`` and ``keepdims``, also inside numba."

    def typer(x, axis=None, keepdims=False):
        kd = bool(_literal(keepdims, "keepdims"))
        if not _is_array(x):
            return lambda x, axis=None, keepdims=False: x
        nd_out = x.ndim if kd else (x.ndim - 1 if _literal_or_runtime_axis(axis) else 0)
        mean = op == 4
        code = 0 if mean else op

        def impl(x, axis=None, keepdims=False):
            ax = -1 if axis is None else (axis + x.ndim if axis < 0 else axis)
            pre, n, post = _split(x.shape, ax)
            r = _reduce3(np.ascontiguousarray(x).reshape((pre, n, post)), code)
            if mean:
                r = r / n
            if nd_out == 0:
                return r[0, 0]
            return r.reshape(to_fixed_tuple(_out_shape(x.shape, ax, kd), nd_out))
        return impl
    overload(py_impl, prefer_literal=True)(typer)
    return py_impl


def _literal_or_runtime_axis(axis):
    """True when a reduction reduces one axis (``axis`` given), False for all axes."""
    return not (axis is None or isinstance(axis, (types.NoneType, types.Omitted)))


reduce_sum = _make_reduction("reduce_sum", np.sum, 0)
reduce_max = _make_reduction("reduce_max", np.max, 1)
reduce_min = _make_reduction("reduce_min", np.min, 2)
reduce_prod = _make_reduction("reduce_prod", np.prod, 3)
reduce_mean = _make_reduction("reduce_mean", np.mean, 4)


def _expand(g, x, axis, keepdims):
    """``g`` (a reduction's adjoint) broadcast back to ``x``'s shape, as a fresh array of x's
    float dtype (a float32 array's adjoint stays float32 whatever the seed's precision)."""
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.result_type(g)
    return np.array(np.broadcast_to(g, np.shape(x)), dtype=dtype)


def sum_adjoint(g, x, axis=None, keepdims=False):
    """Adjoint of ``np.sum(x, axis, keepdims)``: ``g`` spread over the summed axis."""
    if not isinstance(x, np.ndarray):
        return g
    return _expand(g, x, axis, keepdims)


def mean_adjoint(g, x, axis=None, keepdims=False):
    """Adjoint of ``np.mean``: ``g`` spread over the axis and divided by its length."""
    if not isinstance(x, np.ndarray):
        return g
    n = x.size if axis is None else x.shape[axis]
    return _expand(g, x, axis, keepdims) / n


def extremum_adjoint(g, x, y, axis=None, keepdims=False):
    """Adjoint of ``np.max``/``np.min`` (``y`` the result): ``g`` shared equally by the ties."""
    if not isinstance(x, np.ndarray):
        return g
    hit = x == _expand(y, x, axis, keepdims)
    count = np.sum(hit, axis=axis, keepdims=True)
    shares = _expand(g, x, axis, keepdims)
    shares *= hit / count
    return shares


def prod_adjoint(g, x, y, axis=None, keepdims=False):
    """Adjoint of ``np.prod``: ``g`` times the product of the other factors (zeros allowed)."""
    if not isinstance(x, np.ndarray):
        return g
    ax = -1 if axis is None else axis % x.ndim
    pre, n, post = _split(x.shape, ax)
    return _prod_others(np.ascontiguousarray(x).reshape(pre, n, post)).reshape(x.shape) * \
        _expand(g, x, axis, keepdims)


@njit(cache=True)
def _prod_others(a):
    """For each element of the middle axis, the product of the other elements (prefix/suffix)."""
    pre, n, post = a.shape
    out = np.empty_like(a)
    for i in range(pre):
        for k in range(post):
            acc = 1.0
            for j in range(n):
                out[i, j, k] = acc
                acc *= a[i, j, k]
            acc = 1.0
            for j in range(n - 1, -1, -1):
                out[i, j, k] *= acc
                acc *= a[i, j, k]
    return out


@njit(cache=True)
def _spread3(g2, pre, n, post):
    """(pre, post) -> (pre, n, post) by repetition along the middle axis."""
    out = np.empty((pre, n, post), g2.dtype)
    for i in range(pre):
        for j in range(n):
            for k in range(post):
                out[i, j, k] = g2[i, k]
    return out


def _as_grid(g, rows, cols, x):
    """A reduction's adjoint (scalar or array) as a (rows, cols) array of x's float dtype."""
    dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.result_type(g)
    return np.reshape(g, (rows, cols)).astype(dtype)


@_jit_twin(_as_grid)
def _as_grid_jit(g, rows, cols, x):
    dtype = as_dtype(x.dtype if isinstance(x.dtype, types.Float) else getattr(g, "dtype", g))
    if _is_array(g) and as_dtype(g.dtype) == dtype:
        return lambda g, rows, cols, x: np.ascontiguousarray(g).reshape((rows, cols))
    if _is_array(g):
        return lambda g, rows, cols, x: \
            np.ascontiguousarray(g).reshape((rows, cols)).astype(dtype)
    return lambda g, rows, cols, x: np.full((rows, cols), g, dtype)


@_jit_twin(sum_adjoint)
def _sum_adjoint(g, x, axis=None, keepdims=False):
    if not _is_array(x):
        return lambda g, x, axis=None, keepdims=False: g

    def impl(g, x, axis=None, keepdims=False):
        ax = -1 if axis is None else (axis + x.ndim if axis < 0 else axis)
        pre, n, post = _split(x.shape, ax)
        g2 = _as_grid(g, pre, post, x)
        return _spread3(g2, pre, n, post).reshape(x.shape)
    return impl


@_jit_twin(mean_adjoint)
def _mean_adjoint(g, x, axis=None, keepdims=False):
    if not _is_array(x):
        return lambda g, x, axis=None, keepdims=False: g

    def impl(g, x, axis=None, keepdims=False):
        ax = -1 if axis is None else (axis + x.ndim if axis < 0 else axis)
        pre, n, post = _split(x.shape, ax)
        g2 = _as_grid(g, pre, post, x)
        out = _spread3(g2, pre, n, post)
        out /= n                    # in place: keeps the dtype
        return out.reshape(x.shape)
    return impl


@_jit_twin(extremum_adjoint)
def _extremum_adjoint(g, x, y, axis=None, keepdims=False):
    if not _is_array(x):
        return lambda g, x, y, axis=None, keepdims=False: g

    def impl(g, x, y, axis=None, keepdims=False):
        ax = -1 if axis is None else (axis + x.ndim if axis < 0 else axis)
        pre, n, post = _split(x.shape, ax)
        g2 = _as_grid(g, pre, post, x)
        y2 = _as_grid(y, pre, post, x)
        a = np.ascontiguousarray(x).reshape((pre, n, post))
        out = np.zeros((pre, n, post), g2.dtype)
        for i in range(pre):
            for k in range(post):
                count = 0
                for j in range(n):
                    if a[i, j, k] == y2[i, k]:
                        count += 1
                for j in range(n):
                    if a[i, j, k] == y2[i, k]:
                        out[i, j, k] = g2[i, k] / count
        return out.reshape(x.shape)
    return impl


@_jit_twin(prod_adjoint)
def _prod_adjoint(g, x, y, axis=None, keepdims=False):
    if not _is_array(x):
        return lambda g, x, y, axis=None, keepdims=False: g

    def impl(g, x, y, axis=None, keepdims=False):
        ax = -1 if axis is None else (axis + x.ndim if axis < 0 else axis)
        pre, n, post = _split(x.shape, ax)
        g2 = _as_grid(g, pre, post, x)
        others = _prod_others(np.ascontiguousarray(x).reshape((pre, n, post)))
        return (others * _spread3(g2, pre, n, post)).reshape(x.shape)
    return impl


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


@_jit_twin(matmul_adjoint_a)
def _matmul_adjoint_a(g, a, b):
    if a.ndim == 1 and b.ndim == 1:
        return lambda g, a, b: g * b
    if a.ndim == 1:
        return lambda g, a, b: np.dot(np.ascontiguousarray(b), g)
    if b.ndim == 1:
        return lambda g, a, b: np.outer(g, b)
    return lambda g, a, b: np.dot(g, np.ascontiguousarray(b.T))


@_jit_twin(matmul_adjoint_b)
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
    k = _literal(axes, "tensordot's axes")
    k = 2 if k is None else k
    if not isinstance(k, int) or k < 0 or k > a.ndim or k > b.ndim:
        raise TypingError("tensordot: axes must be a constant integer no larger than either rank")
    return k


@_jit_twin(tensordot)
def _tensordot(a, b, axes=2):
    if not (_is_array(a) and _is_array(b)):        # a scalar operand: axes must be 0
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


@_jit_twin(tensordot_adjoint_a)
def _tensordot_adjoint_a(g, a, b, axes=2):
    if not _is_array(a):
        return lambda g, a, b, axes=2: np.sum(g * b)
    if not _is_array(b):
        return lambda g, a, b, axes=2: g * b
    k = _tensordot_typer_checks(a, b, axes)

    def impl(g, a, b, axes=2):
        m, inner, n = _mkn(a.shape, b.shape, k)
        g2 = _as_grid(g, m, n, b)
        b2 = np.ascontiguousarray(b).reshape((inner, n))
        return np.dot(g2, np.ascontiguousarray(b2.T)).reshape(a.shape)
    return impl


@_jit_twin(tensordot_adjoint_b)
def _tensordot_adjoint_b(g, a, b, axes=2):
    if not _is_array(b):
        return lambda g, a, b, axes=2: np.sum(g * a)
    if not _is_array(a):
        return lambda g, a, b, axes=2: g * a
    k = _tensordot_typer_checks(a, b, axes)

    def impl(g, a, b, axes=2):
        m, inner, n = _mkn(a.shape, b.shape, k)
        g2 = _as_grid(g, m, n, a)
        a2 = np.ascontiguousarray(a).reshape((m, inner))
        return np.dot(np.ascontiguousarray(a2.T), g2).reshape(b.shape)
    return impl


def outer_adjoint_a(g, a, b):
    """Adjoint of ``np.outer(a, b)`` with respect to ``a`` (``a`` is flattened by outer)."""
    return np.reshape(g @ np.ravel(b), np.shape(a))


def outer_adjoint_b(g, a, b):
    """Adjoint of ``np.outer(a, b)`` with respect to ``b``."""
    return np.reshape(np.ravel(a) @ g, np.shape(b))


@_jit_twin(outer_adjoint_a)
def _outer_adjoint_a(g, a, b):
    return lambda g, a, b: np.dot(g, np.ascontiguousarray(b).ravel()).reshape(a.shape)


@_jit_twin(outer_adjoint_b)
def _outer_adjoint_b(g, a, b):
    return lambda g, a, b: np.dot(np.ascontiguousarray(a).ravel(), g).reshape(b.shape)


# --------------------------------------------------------------------------- shapes

def squeeze(x, axis=None):
    """``np.squeeze``, also inside numba (``axis`` a constant int or ``None``)."""
    return np.squeeze(x, axis)


@_jit_twin(squeeze)
def _squeeze(x, axis=None):
    ax = _literal(axis, "squeeze's axis")
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


# --------------------------------------------------------------------------- Jacobians

def jacobian_buffer(y, x):
    """Zeros of shape (y.size, x.size): a Jacobian, one row per output, one column per input."""
    return np.zeros((np.size(y), np.size(x)), np.result_type(np.asarray(x).dtype, np.float32))


@_jit_twin(jacobian_buffer)
def _jacobian_buffer(y, x):
    dtype = x.dtype if _is_array(x) and isinstance(x.dtype, types.Float) else types.float64
    if _is_array(y) and _is_array(x):
        return lambda y, x: np.zeros((y.size, x.size), dtype)
    if _is_array(y):
        return lambda y, x: np.zeros((y.size, 1), dtype)
    if _is_array(x):
        return lambda y, x: np.zeros((1, x.size), dtype)
    return lambda y, x: np.zeros((1, 1), dtype)


def unit_like(x, k):
    """The ``k``-th unit vector in the shape of ``x`` (1.0 for a scalar)."""
    if not isinstance(x, np.ndarray):
        return 1.0
    e = np.zeros(x.shape, x.dtype if x.dtype.kind == "f" else np.float64)
    e.flat[k] = 1
    return e


@_jit_twin(unit_like)
def _unit_like(x, k):
    if not _is_array(x):
        return lambda x, k: 1.0
    dtype = x.dtype if isinstance(x.dtype, types.Float) else types.float64

    def impl(x, k):
        e = np.zeros(x.size, dtype)
        e[k] = 1
        return e.reshape(x.shape)
    return impl


def store_column(jac, k, t):
    """``jac[:, k] = t`` (flattened)."""
    jac[:, k] = np.ravel(t)


@_jit_twin(store_column)
def _store_column(jac, k, t):
    if not _is_array(t):
        def scalar(jac, k, t):
            jac[0, k] = t
        return scalar

    def impl(jac, k, t):
        jac[:, k] = np.ascontiguousarray(t).ravel()
    return impl


def store_row(jac, k, g):
    """``jac[k, :] = g`` (flattened)."""
    jac[k, :] = np.ravel(g)


@_jit_twin(store_row)
def _store_row(jac, k, g):
    if not _is_array(g):
        def scalar(jac, k, g):
            jac[k, 0] = g
        return scalar

    def impl(jac, k, g):
        jac[k, :] = np.ascontiguousarray(g).ravel()
    return impl
