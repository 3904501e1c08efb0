"""Reductions over one axis (or all) and their adjoints. They view an array as ``(pre, n,
post)`` around the reduced axis, which lets one loop serve every rank."""
import numpy as np
from numba import njit, types
from numba.extending import overload
from numba.np.numpy_support import as_dtype
from numba.np.unsafe.ndarray import to_fixed_tuple

from .twins import is_array, jit_twin, literal


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
        kd = bool(literal(keepdims, "keepdims"))
        if not is_array(x):
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


def as_grid(g, rows, cols, x):
    """A reduction's adjoint (scalar or array) as a (rows, cols) array of x's float dtype."""
    dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.result_type(g)
    return np.reshape(g, (rows, cols)).astype(dtype)


@jit_twin(as_grid)
def _as_grid_jit(g, rows, cols, x):
    dtype = as_dtype(x.dtype if isinstance(x.dtype, types.Float) else getattr(g, "dtype", g))
    if is_array(g) and as_dtype(g.dtype) == dtype:
        return lambda g, rows, cols, x: np.ascontiguousarray(g).reshape((rows, cols))
    if is_array(g):
        return lambda g, rows, cols, x: \
            np.ascontiguousarray(g).reshape((rows, cols)).astype(dtype)
    return lambda g, rows, cols, x: np.full((rows, cols), g, dtype)


@jit_twin(sum_adjoint)
def _sum_adjoint(g, x, axis=None, keepdims=False):
    if not is_array(x):
        return lambda g, x, axis=None, keepdims=False: g

    def impl(g, x, axis=None, keepdims=False):
        ax = -1 if axis is None else (axis + x.ndim if axis < 0 else axis)
        pre, n, post = _split(x.shape, ax)
        g2 = as_grid(g, pre, post, x)
        return _spread3(g2, pre, n, post).reshape(x.shape)
    return impl


@jit_twin(mean_adjoint)
def _mean_adjoint(g, x, axis=None, keepdims=False):
    if not is_array(x):
        return lambda g, x, axis=None, keepdims=False: g

    def impl(g, x, axis=None, keepdims=False):
        ax = -1 if axis is None else (axis + x.ndim if axis < 0 else axis)
        pre, n, post = _split(x.shape, ax)
        g2 = as_grid(g, pre, post, x)
        out = _spread3(g2, pre, n, post)
        out /= n                    # in place: keeps the dtype
        return out.reshape(x.shape)
    return impl


@jit_twin(extremum_adjoint)
def _extremum_adjoint(g, x, y, axis=None, keepdims=False):
    if not is_array(x):
        return lambda g, x, y, axis=None, keepdims=False: g

    def impl(g, x, y, axis=None, keepdims=False):
        ax = -1 if axis is None else (axis + x.ndim if axis < 0 else axis)
        pre, n, post = _split(x.shape, ax)
        g2 = as_grid(g, pre, post, x)
        y2 = as_grid(y, pre, post, x)
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


@jit_twin(prod_adjoint)
def _prod_adjoint(g, x, y, axis=None, keepdims=False):
    if not is_array(x):
        return lambda g, x, y, axis=None, keepdims=False: g

    def impl(g, x, y, axis=None, keepdims=False):
        ax = -1 if axis is None else (axis + x.ndim if axis < 0 else axis)
        pre, n, post = _split(x.shape, ax)
        g2 = as_grid(g, pre, post, x)
        others = _prod_others(np.ascontiguousarray(x).reshape((pre, n, post)))
        return (others * _spread3(g2, pre, n, post)).reshape(x.shape)
    return impl
