"""The rules of Python's operators and of NumPy's and math's element-wise functions.

Each template reads as the math of its adjoint; the first parameter is the result. Helpers such
as ``unbroadcast`` come from ``adcompiler.support``. Conventions at kinks follow TensorFlow:
``|x|'(0) = 0``, ``maximum`` gives ties to its first operand.
"""
import ast
import math
import operator

import numpy as np

from .define import bilinear, broadcasting, elementwise, linear
from .nodes import expression
from .rules import Share, alias


# --------------------------------------------------------------------------- arithmetic

@broadcasting(operator.add, name="+", operator=ast.Add, keeps_integers=True)
def _(y, a, b):
    a_bar += y_bar
    b_bar += y_bar


@broadcasting(operator.sub, name="-", operator=ast.Sub, keeps_integers=True)
def _(y, a, b):
    a_bar += y_bar
    b_bar += -y_bar


@broadcasting(operator.mul, name="*", operator=ast.Mult, keeps_integers=True)
def _(y, a, b):
    a_bar += y_bar * b
    b_bar += y_bar * a


@broadcasting(operator.truediv, name="/", operator=ast.Div)
def _(y, a, b):
    a_bar += y_bar / b
    b_bar += -y_bar * y / b


@broadcasting(operator.mod, name="%", operator=ast.Mod, keeps_integers=True)
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


broadcasting(operator.pow, name="**", operator=ast.Pow, builder=_pow_shares,
         key="power", keeps_integers=True, signature="y, a, b")


@elementwise(operator.neg, name="-", operator=ast.USub, keeps_integers=True)
def _(y, x):
    x_bar += -y_bar


def _product_rank(args, type_of):
    """a @ b: a scalar operand keeps the other's rank; else their ranks less the two summed."""
    a, b = type_of(args["a"])[0], type_of(args["b"])[0]
    if a is None or b is None:
        return None
    return max(a, b) if 0 in (a, b) else a + b - 2


@bilinear(operator.matmul, name="@", operator=ast.MatMult, keeps_integers=True,
          rank=_product_rank)
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


@linear(np.copy, keeps_integers=True, rank="x", same_type_as="x")
def _(y, x):
    x_bar += y_bar


@elementwise(float, name="float")
def _(y, x):
    x_bar += y_bar


# --------------------------------------------------------------------------- element-wise

@elementwise(np.exp, math.exp)
def _(y, x):
    x_bar += y_bar * y


@elementwise(np.log, math.log)
def _(y, x):
    x_bar += y_bar / x


@elementwise(np.log1p, math.log1p)
def _(y, x):
    x_bar += y_bar / (1 + x)


@elementwise(np.expm1, math.expm1)
def _(y, x):
    x_bar += y_bar * (y + 1)


@elementwise(np.sqrt, math.sqrt)
def _(y, x):
    x_bar += y_bar / (2 * y)


@elementwise(np.square, keeps_integers=True)
def _(y, x):
    x_bar += y_bar * 2 * x


@elementwise(np.sin, math.sin)
def _(y, x):
    x_bar += y_bar * np.cos(x)


@elementwise(np.cos, math.cos)
def _(y, x):
    x_bar += -y_bar * np.sin(x)


@elementwise(np.tan, math.tan)
def _(y, x):
    x_bar += y_bar * (1 + y * y)


@elementwise(np.tanh, math.tanh)
def _(y, x):
    x_bar += y_bar * (1 - y * y)


@elementwise(np.sinh, math.sinh)
def _(y, x):
    x_bar += y_bar * np.cosh(x)


@elementwise(np.cosh, math.cosh)
def _(y, x):
    x_bar += y_bar * np.sinh(x)


@elementwise(np.arcsin, math.asin)
def _(y, x):
    x_bar += y_bar / np.sqrt(1 - x * x)


@elementwise(np.arccos, math.acos)
def _(y, x):
    x_bar += -y_bar / np.sqrt(1 - x * x)


@elementwise(np.arctan, math.atan)
def _(y, x):
    x_bar += y_bar / (1 + x * x)


@elementwise(np.abs, abs, math.fabs, name="np.abs", keeps_integers=True)
def _(y, x):
    x_bar += y_bar * np.sign(x)


alias(math.fabs, np.abs, name="math.fabs")


@broadcasting(np.maximum, keeps_integers=True)
def _(y, a, b):
    a_bar += y_bar * (a >= b)
    b_bar += y_bar * (a < b)


@broadcasting(np.minimum, keeps_integers=True)
def _(y, a, b):
    a_bar += y_bar * (a <= b)
    b_bar += y_bar * (a > b)


@broadcasting(np.where, keeps_integers=True)
def _(y, condition, a, b):
    a_bar += y_bar * condition
    b_bar += y_bar * np.logical_not(condition)


@broadcasting(np.clip, name="np.clip", primal="clip", keeps_integers=True)
def _(y, x, lo, hi):
    x_bar += y_bar * ((x >= lo) & (x <= hi))
    lo_bar += y_bar * (x < lo)
    hi_bar += y_bar * (x > hi)


alias(max, np.maximum, name="max", folds=True)
alias(min, np.minimum, name="min", folds=True)
