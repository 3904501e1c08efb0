"""The rules of NumPy's reductions, products, shape functions and array creations, and the
primitives without derivative; array methods and attributes as the functions they stand for.

Helpers such as ``sum_adjoint`` come from ``adcompiler.support``. ``max`` shares ties equally,
as TensorFlow does.
"""
import ast
import math
import operator

import numpy as np

from . import support
from .define import adjoint, bilinear, linear, nondifferentiable, tangent
from .nodes import expression
from .rules import Share


# --------------------------------------------------------------------------- reductions

@linear(np.sum, primal="reduce_sum", reduces=True, keeps_integers=True,
         constants=("axis", "keepdims"))
def _(y, x, axis=None, keepdims=False):
    x_bar += sum_adjoint(y_bar, x, axis, keepdims)


@linear(np.mean, primal="reduce_mean", reduces=True, constants=("axis", "keepdims"))
def _(y, x, axis=None, keepdims=False):
    x_bar += mean_adjoint(y_bar, x, axis, keepdims)


@adjoint(np.max, np.amax, primal="reduce_max", reduces=True, keeps_integers=True,
         constants=("axis", "keepdims"))
def _(y, x, axis=None, keepdims=False):
    x_bar += extremum_adjoint(y_bar, x, y, axis, keepdims)


@adjoint(np.min, np.amin, primal="reduce_min", reduces=True, keeps_integers=True,
         constants=("axis", "keepdims"))
def _(y, x, axis=None, keepdims=False):
    x_bar += extremum_adjoint(y_bar, x, y, axis, keepdims)


@tangent(np.max)
def _(y, x, axis=None, keepdims=False):
    y_dot = reduce_sum(x_dot * extremum_adjoint(ones_like(y), x, y, axis, keepdims), axis, keepdims)


@tangent(np.min)
def _(y, x, axis=None, keepdims=False):
    y_dot = reduce_sum(x_dot * extremum_adjoint(ones_like(y), x, y, axis, keepdims), axis, keepdims)


@adjoint(np.prod, primal="reduce_prod", reduces=True, keeps_integers=True,
         constants=("axis", "keepdims"))
def _(y, x, axis=None, keepdims=False):
    x_bar += prod_adjoint(y_bar, x, y, axis, keepdims)


@tangent(np.prod)
def _(y, x, axis=None, keepdims=False):
    y_dot = reduce_sum(x_dot * prod_adjoint(ones_like(y), x, y, axis, keepdims), axis, keepdims)


# --------------------------------------------------------------------------- products

def _tensordot_rank(args, type_of):
    a, b, axes = type_of(args["a"])[0], type_of(args["b"])[0], args.get("axes")
    if a is None or b is None or not isinstance(axes, ast.Constant):
        return None
    return a + b - 2 * axes.value


@bilinear(np.tensordot, primal="tensordot", keeps_integers=True, rank=_tensordot_rank,
         constants=("axes",))
def _(y, a, b, axes=2):
    a_bar += tensordot_adjoint_a(y_bar, a, b, axes)
    b_bar += tensordot_adjoint_b(y_bar, a, b, axes)


@bilinear(np.outer, keeps_integers=True, rank=2)
def _(y, a, b):
    a_bar += outer_adjoint_a(y_bar, a, b)
    b_bar += outer_adjoint_b(y_bar, a, b)


# --------------------------------------------------------------------------- shapes

def _reshape_rank(args, type_of):
    shape = args.get("shape")
    if isinstance(shape, ast.Tuple):
        return len(shape.elts)
    return 1 if isinstance(shape, ast.Constant) else None


@linear(np.reshape, primal="reshape", keeps_integers=True, view=True, rank=_reshape_rank)
def _(y, x, shape):
    x_bar += reshape_like(y_bar, x)


@linear(np.ravel, keeps_integers=True, view=True, rank=1)
def _(y, x):
    x_bar += reshape_like(y_bar, x)


def _at_least(rank):
    """The rank of np.atleast_<rank>d's result."""
    def result_rank(args, type_of):
        x = type_of(args["x"])[0]
        return None if x is None else max(x, rank)
    return result_rank


@linear(np.atleast_1d, primal="atleast_1d", keeps_integers=True, view=True, rank=_at_least(1))
def _(y, x):
    x_bar += reshape_like(y_bar, x)


@linear(np.atleast_2d, primal="atleast_2d", keeps_integers=True, view=True, rank=_at_least(2))
def _(y, x):
    x_bar += reshape_like(y_bar, x)


@linear(np.atleast_3d, primal="atleast_3d", keeps_integers=True, view=True, rank=_at_least(3))
def _(y, x):
    x_bar += reshape_like(y_bar, x)


def _one_more_axis(args, type_of):
    x = type_of(args["x"])[0]
    return None if x is None else x + 1


@linear(np.expand_dims, keeps_integers=True, constants=("axis",), rank=_one_more_axis,
         view=True)
def _(y, x, axis):
    x_bar += reshape_like(y_bar, x)


@linear(np.squeeze, primal="squeeze", keeps_integers=True, constants=("axis",),
         view=True)
def _(y, x, axis=None):
    x_bar += reshape_like(y_bar, x)


def _constant_ints(node, what):
    """The ints of a constant int or tuple of ints, or raise ValueError naming ``what``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if isinstance(node, (ast.Tuple, ast.List)) and all(
            isinstance(e, ast.Constant) and isinstance(e.value, int) for e in node.elts):
        return tuple(e.value for e in node.elts)
    raise ValueError(f"{what} must be a constant")


def _transpose_shares(inst):
    axes = inst.args.get("axes")
    if axes is None or (isinstance(axes, ast.Constant) and axes.value is None):
        share = "np.transpose(y_bar)"
    else:
        perm = _constant_ints(axes, "transpose's axes")
        inverse = tuple(sorted(range(len(perm)), key=lambda k: perm[k] % len(perm)))
        share = f"np.transpose(y_bar, {inverse!r})"
    return [], [Share("x", inst.args["x"], expression(share))]


linear(np.transpose, builder=_transpose_shares, differentiable=("x",), keeps_integers=True,
         constants=("axes",), view=True, rank="x", signature="y, x, axes=None")


def _index_along(axis, key):
    """Source of an index that selects ``key`` along ``axis`` (negative axes count from the end)."""
    if axis >= 0:
        return ", ".join([":"] * axis + [key])
    return ", ".join(["..."] + [key] + [":"] * (-axis - 1))


def _joined_rank(args, type_of):
    """The rank of the arrays np.concatenate joins, when they have one (np.stack adds one)."""
    ranks = [type_of(e)[0] for e in args["arrays"].elts]
    return None if None in ranks or len(set(ranks)) != 1 else ranks[0]


def _stacked_rank(args, type_of):
    inner = _joined_rank(args, type_of)
    return None if inner is None else inner + 1


def _stack_shares(inst):
    axis = _constant_ints(inst.args.get("axis", ast.Constant(0)), "stack's axis")
    return [], [Share("arrays", elt, expression(f"y_bar[{_index_along(axis, str(k))}]"))
                for k, elt in enumerate(inst.args["arrays"].elts) if isinstance(elt, ast.Name)]


linear(np.stack, builder=_stack_shares, differentiable=("arrays",), keeps_integers=True,
       constants=("axis",), rank=_stacked_rank, primal="stacked", sequences=("arrays",),
       signature="y, arrays, axis=0")


def _array_shares(inst):
    """np.array of a list: the items stacked; of an array: its copy."""
    items = inst.args["object"]
    if isinstance(items, ast.Tuple):
        return [], [Share("object", elt, expression(f"y_bar[{k}]"))
                    for k, elt in enumerate(items.elts) if isinstance(elt, ast.Name)]
    return [], [Share("object", items, expression("y_bar"))]


def _array_rank(args, type_of):
    items = args["object"]
    if isinstance(items, ast.Tuple):
        return _stacked_rank({"arrays": items}, type_of)
    return type_of(items)[0]


linear(np.array, builder=_array_shares, differentiable=("object",), keeps_integers=True,
       rank=_array_rank, primal="stacked", sequences=("object",), signature="y, object")


def _stacked_shares(inst):
    if isinstance(inst.args["arrays"], ast.Tuple):
        return _stack_shares(inst)
    return [], [Share("arrays", inst.args["arrays"], expression("y_bar"))]


linear(support.stacked, name="stacked", builder=_stacked_shares, differentiable=("arrays",),
       keeps_integers=True, constants=("axis",), sequences=("arrays",),
       rank=lambda args, type_of: _array_rank({"object": args["arrays"]}, type_of),
       signature="y, arrays, axis=0")         # generated code read back (second derivatives)


def _concatenate_shares(inst):
    axis = _constant_ints(inst.args.get("axis", ast.Constant(0)), "concatenate's axis")
    prelude, shares, start = [], [], "0"
    for elt in inst.args["arrays"].elts:
        end = inst.fresh(f"{inst.target.id}_end")
        size = f"{ast.unparse(elt)}.shape[{axis}]"
        prelude.append(ast.parse(f"{end} = {size}" if start == "0" else f"{end} = {start} + {size}"
                                 ).body[0])
        index = _index_along(axis, f"{start}:{end}")
        shares.append(Share("arrays", elt, expression(f"y_bar[{index}]")))
        start = end
    return prelude, shares


linear(np.concatenate, builder=_concatenate_shares, differentiable=("arrays",),
       keeps_integers=True, constants=("axis",), rank=_joined_rank, sequences=("arrays",),
       signature="y, arrays, axis=0")


def _getitem_shares(inst):
    """y = x[index]: y_bar is added into x_bar at the same index."""
    return [], [Share("x", inst.args["x"], expression("y_bar"), index=inst.args["index"])]


def index_rank(rank, index, type_of):
    """Rank of ``x[index]`` for ``x`` of ``rank``: each integer index removes an axis."""
    if rank is None:
        return None
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    removed = 0
    for part in parts:
        if isinstance(part, ast.Slice):
            continue
        if isinstance(part, (ast.Name, ast.Constant)) and type_of(part) == (0, True):
            removed += 1
        else:
            return None
    return max(rank - removed, 0)


def _getitem_rank(args, type_of):
    return index_rank(type_of(args["x"])[0], args["index"], type_of)


linear(operator.getitem, name="[]", builder=_getitem_shares, differentiable=("x",),
       keeps_integers=True, view=True, rank=_getitem_rank, signature="y, x, index")


# --------------------------------------------------------------------------- creations

@linear(np.full, keeps_integers=True)
def _(y, shape, fill_value, dtype=None):
    fill_value_bar += unbroadcast(y_bar, fill_value)


@linear(np.full_like, keeps_integers=True)
def _(y, a, fill_value, dtype=None):
    fill_value_bar += unbroadcast(y_bar, fill_value)


@linear(np.linspace, rank=1)
def _(y, start, stop, num=50):
    start_bar += np.sum(y_bar * (1.0 - np.linspace(0.0, 1.0, num)))
    stop_bar += np.sum(y_bar * np.linspace(0.0, 1.0, num))


def _arange_arguments(args):
    """np.arange(stop) is np.arange(0, stop)."""
    return [ast.Constant(0)] + args if len(args) == 1 else args


@adjoint(np.arange, keeps_integers=True, rank=1, arguments=_arange_arguments)
def _(y, start, stop, step=1):
    # y = start + k * step; the length alone depends on stop
    start_bar += np.sum(y_bar)
    step_bar += np.sum(y_bar * np.arange(y.shape[0]))


@tangent(np.arange)
def _(y, start, stop, step=1):
    y_dot = start_dot * np.ones(y.shape[0]) + step_dot * np.arange(y.shape[0])


@adjoint(np.sort, rank="x")
def _(y, x):
    x_bar += unsort(y_bar, x)


@tangent(np.sort)
def _(y, x):
    y_dot = sort_like(x_dot, x)


# --------------------------------------------------------------------------- zero derivative

def shape_rank(args, type_of):
    """The rank of an array made with the shape ``args["shape"]`` (a tuple, or one length)."""
    shape = args.get("shape")
    if isinstance(shape, ast.Tuple):
        return len(shape.elts)
    return 1 if shape is not None and type_of(shape)[0] == 0 else None


nondifferentiable(np.sign, np.floor, np.ceil, np.round, np.rint, np.trunc, np.shape,
                  np.isnan, np.isfinite, np.isinf, np.logical_and, np.logical_or,
                  np.logical_not, np.equal, np.not_equal, np.less, np.less_equal, np.greater,
                  np.greater_equal, np.eye, np.argsort)
nondifferentiable(np.zeros, np.ones, np.empty, params=("shape",), rank=shape_rank)
nondifferentiable(np.zeros_like, np.ones_like, np.empty_like, rank="x")
nondifferentiable(np.argmax, np.argmin, np.ndim, np.size, rank=0, integer=True)
nondifferentiable(math.isnan, math.isfinite, math.isinf, math.trunc)
nondifferentiable(math.floor, math.ceil, rank=0, integer=True)
for _builtin, _integer in ((len, True), (int, True), (bool, False), (range, False),
                           (round, True)):
    nondifferentiable(_builtin, name=_builtin.__name__, rank=0 if _integer else None,
                      integer=_integer)

# Array methods and attributes, as the NumPy functions they stand for.
METHODS = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min, "prod": np.prod,
           "reshape": np.reshape, "transpose": np.transpose, "ravel": np.ravel,
           "flatten": np.ravel, "dot": np.dot, "squeeze": np.squeeze, "clip": np.clip,
           "argmax": np.argmax, "argmin": np.argmin, "copy": np.copy}
VARARG_METHODS = {"reshape": "shape", "transpose": "axes"}   # x.reshape(2, 3) packs a tuple
ATTRIBUTES = {"T": np.transpose}
CONSTANT_ATTRIBUTES = {"shape", "ndim", "size", "dtype"}
