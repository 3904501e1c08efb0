"""The built-in rule table: Python operators, NumPy and math functions.

Each template reads as the math of its adjoint; the first parameter is the result. Helpers such
as ``unbroadcast`` or ``sum_adjoint`` come from ``adcompiler.support``. Conventions at kinks follow
TensorFlow: ``|x|'(0) = 0``, ``maximum`` gives ties to its first operand, ``max`` shares ties equally.
"""
import ast
import math
import operator

import numpy as np

from .nodes import expression
from .rules import Share, adjoint, alias, nondifferentiable, tangent


# --------------------------------------------------------------------------- arithmetic

@adjoint(operator.add, name="+", operator=ast.Add, broadcast=True, keeps_integers=True)
def _(y, a, b):
    a_bar += y_bar
    b_bar += y_bar


@adjoint(operator.sub, name="-", operator=ast.Sub, broadcast=True, keeps_integers=True)
def _(y, a, b):
    a_bar += y_bar
    b_bar += -y_bar


@adjoint(operator.mul, name="*", operator=ast.Mult, broadcast=True, keeps_integers=True)
def _(y, a, b):
    a_bar += y_bar * b
    b_bar += y_bar * a


@adjoint(operator.truediv, name="/", operator=ast.Div, broadcast=True)
def _(y, a, b):
    a_bar += y_bar / b
    b_bar += -y_bar * y / b


@adjoint(operator.mod, name="%", operator=ast.Mod, broadcast=True, keeps_integers=True)
def _(y, a, b):
    a_bar += y_bar
    b_bar += -y_bar * np.floor(a / b)


def _const_value(node):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
        and not isinstance(node.value, bool) else None


def _pow_shares(inst):
    """a ** b, with a constant exponent folded: x ** 2 gives ``x_bar = y_bar * 2 * x``."""
    a, b = inst.args["a"], inst.args["b"]
    c = _const_value(b)
    if c is None:
        da = "y_bar * b * a ** (b - 1)"
    elif c == 1:
        da = "y_bar"
    elif c == 2:
        da = "y_bar * 2 * a"
    else:
        da = f"y_bar * {c!r} * a ** {c - 1!r}"
    shares = [Share("a", a, expression(da))] if isinstance(a, ast.Name) else []
    if isinstance(b, ast.Name):
        shares.append(Share("b", b, expression("y_bar * y * log_or_zero(a)")))
    return [], shares


@adjoint(operator.pow, name="**", operator=ast.Pow, broadcast=True, builder=_pow_shares,
         key="power", keeps_integers=True)
def _(y, a, b):
    pass


@adjoint(operator.neg, name="-", operator=ast.USub, elementwise=True, keeps_integers=True)
def _(y, x):
    x_bar += -y_bar


@adjoint(operator.matmul, name="@", operator=ast.MatMult, keeps_integers=True, multilinear=True)
def _(y, a, b):
    a_bar += matmul_adjoint_a(y_bar, a, b)
    b_bar += matmul_adjoint_b(y_bar, a, b)


for _obj, _of in [(np.add, operator.add), (np.subtract, operator.sub),
                  (np.multiply, operator.mul), (np.divide, operator.truediv),
                  (np.power, operator.pow), (np.negative, operator.neg),
                  (np.dot, operator.matmul)]:
    alias(_obj, _of)
alias(np.matmul, operator.matmul, as_operator=True)
alias(math.pow, operator.pow)
alias(pow, operator.pow, name="pow")


@adjoint(np.copy, keeps_integers=True, linear=True)
def _(y, x):
    x_bar += y_bar


@adjoint(float, name="float", elementwise=True)
def _(y, x):
    x_bar += y_bar


# --------------------------------------------------------------------------- element-wise

@adjoint(np.exp, math.exp, elementwise=True)
def _(y, x):
    x_bar += y_bar * y


@adjoint(np.log, math.log, elementwise=True)
def _(y, x):
    x_bar += y_bar / x


@adjoint(np.log1p, math.log1p, elementwise=True)
def _(y, x):
    x_bar += y_bar / (1 + x)


@adjoint(np.expm1, math.expm1, elementwise=True)
def _(y, x):
    x_bar += y_bar * (y + 1)


@adjoint(np.sqrt, math.sqrt, elementwise=True)
def _(y, x):
    x_bar += y_bar / (2 * y)


@adjoint(np.square, elementwise=True, keeps_integers=True)
def _(y, x):
    x_bar += y_bar * 2 * x


@adjoint(np.sin, math.sin, elementwise=True)
def _(y, x):
    x_bar += y_bar * np.cos(x)


@adjoint(np.cos, math.cos, elementwise=True)
def _(y, x):
    x_bar += -y_bar * np.sin(x)


@adjoint(np.tan, math.tan, elementwise=True)
def _(y, x):
    x_bar += y_bar * (1 + y * y)


@adjoint(np.tanh, math.tanh, elementwise=True)
def _(y, x):
    x_bar += y_bar * (1 - y * y)


@adjoint(np.sinh, math.sinh, elementwise=True)
def _(y, x):
    x_bar += y_bar * np.cosh(x)


@adjoint(np.cosh, math.cosh, elementwise=True)
def _(y, x):
    x_bar += y_bar * np.sinh(x)


@adjoint(np.arcsin, math.asin, elementwise=True)
def _(y, x):
    x_bar += y_bar / np.sqrt(1 - x * x)


@adjoint(np.arccos, math.acos, elementwise=True)
def _(y, x):
    x_bar += -y_bar / np.sqrt(1 - x * x)


@adjoint(np.arctan, math.atan, elementwise=True)
def _(y, x):
    x_bar += y_bar / (1 + x * x)


@adjoint(np.abs, abs, math.fabs, name="np.abs", elementwise=True, keeps_integers=True)
def _(y, x):
    x_bar += y_bar * np.sign(x)


alias(math.fabs, np.abs, name="math.fabs")


@adjoint(np.maximum, broadcast=True, keeps_integers=True)
def _(y, a, b):
    a_bar += y_bar * (a >= b)
    b_bar += y_bar * (a < b)


@adjoint(np.minimum, broadcast=True, keeps_integers=True)
def _(y, a, b):
    a_bar += y_bar * (a <= b)
    b_bar += y_bar * (a > b)


@adjoint(np.where, broadcast=True, keeps_integers=True)
def _(y, condition, a, b):
    a_bar += y_bar * condition
    b_bar += y_bar * np.logical_not(condition)


@adjoint(np.clip, name="np.clip", primal="clip", broadcast=True, keeps_integers=True)
def _(y, x, lo, hi):
    x_bar += y_bar * ((x >= lo) & (x <= hi))
    lo_bar += y_bar * (x < lo)
    hi_bar += y_bar * (x > hi)


# --------------------------------------------------------------------------- reductions

@adjoint(np.sum, primal="reduce_sum", reduces=True, keeps_integers=True, linear=True,
         constants=("axis", "keepdims"))
def _(y, x, axis=None, keepdims=False):
    x_bar += sum_adjoint(y_bar, x, axis, keepdims)


@adjoint(np.mean, primal="reduce_mean", reduces=True, linear=True, constants=("axis", "keepdims"))
def _(y, x, axis=None, keepdims=False):
    x_bar += mean_adjoint(y_bar, x, axis, keepdims)


@adjoint(np.max, np.amax, primal="reduce_max", reduces=True, keeps_integers=True, constants=("axis", "keepdims"))
def _(y, x, axis=None, keepdims=False):
    x_bar += extremum_adjoint(y_bar, x, y, axis, keepdims)


@adjoint(np.min, np.amin, primal="reduce_min", reduces=True, keeps_integers=True, constants=("axis", "keepdims"))
def _(y, x, axis=None, keepdims=False):
    x_bar += extremum_adjoint(y_bar, x, y, axis, keepdims)


@tangent(np.max)
def _(y, x, axis=None, keepdims=False):
    y_dot = reduce_sum(x_dot * extremum_adjoint(ones_like(y), x, y, axis, keepdims), axis, keepdims)


@tangent(np.min)
def _(y, x, axis=None, keepdims=False):
    y_dot = reduce_sum(x_dot * extremum_adjoint(ones_like(y), x, y, axis, keepdims), axis, keepdims)


@adjoint(np.prod, primal="reduce_prod", reduces=True, keeps_integers=True, constants=("axis", "keepdims"))
def _(y, x, axis=None, keepdims=False):
    x_bar += prod_adjoint(y_bar, x, y, axis, keepdims)


@tangent(np.prod)
def _(y, x, axis=None, keepdims=False):
    y_dot = reduce_sum(x_dot * prod_adjoint(ones_like(y), x, y, axis, keepdims), axis, keepdims)


# --------------------------------------------------------------------------- products

@adjoint(np.tensordot, primal="tensordot", keeps_integers=True, multilinear=True,
         constants=("axes",))
def _(y, a, b, axes=2):
    a_bar += tensordot_adjoint_a(y_bar, a, b, axes)
    b_bar += tensordot_adjoint_b(y_bar, a, b, axes)


@adjoint(np.outer, keeps_integers=True, multilinear=True)
def _(y, a, b):
    a_bar += outer_adjoint_a(y_bar, a, b)
    b_bar += outer_adjoint_b(y_bar, a, b)


# --------------------------------------------------------------------------- shapes

@adjoint(np.reshape, primal="reshape", keeps_integers=True, linear=True, view=True)
def _(y, x, shape):
    x_bar += reshape_like(y_bar, x)


@adjoint(np.ravel, keeps_integers=True, linear=True, view=True)
def _(y, x):
    x_bar += reshape_like(y_bar, x)


@adjoint(np.expand_dims, keeps_integers=True, linear=True, constants=("axis",),
         view=True)
def _(y, x, axis):
    x_bar += reshape_like(y_bar, x)


@adjoint(np.squeeze, primal="squeeze", keeps_integers=True, linear=True, constants=("axis",),
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


@adjoint(np.transpose, builder=_transpose_shares, differentiable=("x",), keeps_integers=True,
         linear=True, constants=("axes",), view=True)
def _(y, x, axes=None):
    pass


def _index_along(axis, key):
    """Source of an index that selects ``key`` along ``axis`` (negative axes count from the end)."""
    if axis >= 0:
        return ", ".join([":"] * axis + [key])
    return ", ".join(["..."] + [key] + [":"] * (-axis - 1))


def _stack_shares(inst):
    axis = _constant_ints(inst.args.get("axis", ast.Constant(0)), "stack's axis")
    return [], [Share("arrays", elt, expression(f"y_bar[{_index_along(axis, str(k))}]"))
                for k, elt in enumerate(inst.args["arrays"].elts)]


@adjoint(np.stack, builder=_stack_shares, differentiable=("arrays",), keeps_integers=True,
         linear=True, constants=("axis",))
def _(y, arrays, axis=0):
    pass


def _concatenate_shares(inst):
    axis = _constant_ints(inst.args.get("axis", ast.Constant(0)), "concatenate's axis")
    prelude, shares, start = [], [], "0"
    for elt in inst.args["arrays"].elts:
        end = inst.fresh(f"{inst.target.id}_end")
        size = f"{ast.unparse(elt)}.shape[{axis}]"
        prelude.append(ast.parse(f"{end} = {size}" if start == "0" else f"{end} = {start} + {size}"
                                 ).body[0])
        shares.append(Share("arrays", elt, expression(f"y_bar[{_index_along(axis, f'{start}:{end}')}]")))
        start = end
    return prelude, shares


@adjoint(np.concatenate, builder=_concatenate_shares, differentiable=("arrays",),
         keeps_integers=True, linear=True, constants=("axis",))
def _(y, arrays, axis=0):
    pass


def _getitem_shares(inst):
    """y = x[index]: y_bar is added into x_bar at the same index."""
    return [], [Share("x", inst.args["x"], expression("y_bar"), index=inst.args["index"])]


@adjoint(operator.getitem, name="[]", builder=_getitem_shares, differentiable=("x",),
         keeps_integers=True, linear=True, view=True)
def _(y, x, index):
    pass


# --------------------------------------------------------------------------- creations

@adjoint(np.full, keeps_integers=True, linear=True)
def _(y, shape, fill_value, dtype=None):
    fill_value_bar += unbroadcast(y_bar, fill_value)


@adjoint(np.full_like, keeps_integers=True, linear=True)
def _(y, a, fill_value, dtype=None):
    fill_value_bar += unbroadcast(y_bar, fill_value)


@adjoint(np.linspace, linear=True, rank=1)
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

nondifferentiable(np.sign, np.floor, np.ceil, np.round, np.rint, np.trunc, np.argmax,
                  np.argmin, np.shape, np.ndim, np.size, np.zeros, np.ones, np.empty,
                  np.zeros_like, np.ones_like, np.empty_like, np.isnan, np.isfinite, np.isinf, np.logical_and, np.logical_or,
                  np.logical_not, np.equal, np.not_equal, np.less, np.less_equal, np.greater,
                  np.greater_equal, np.eye, np.argsort)
nondifferentiable(math.floor, math.ceil, math.isnan, math.isfinite, math.isinf, math.trunc)
for _builtin in (len, int, bool, range, round):
    nondifferentiable(_builtin, name=_builtin.__name__)
alias(max, np.maximum, name="max")
alias(min, np.minimum, name="min")

# Array methods and attributes, as the NumPy functions they stand for.
METHODS = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min, "prod": np.prod,
           "reshape": np.reshape, "transpose": np.transpose, "ravel": np.ravel,
           "flatten": np.ravel, "dot": np.dot, "squeeze": np.squeeze, "clip": np.clip,
           "argmax": np.argmax, "argmin": np.argmin, "copy": np.copy}
VARARG_METHODS = {"reshape": "shape", "transpose": "axes"}   # x.reshape(2, 3) packs a tuple
ATTRIBUTES = {"T": np.transpose}
CONSTANT_ATTRIBUTES = {"shape", "ndim", "size", "dtype"}
