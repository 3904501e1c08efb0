"""Tangent rules for the helpers that generated code calls, so that generated code can itself be
differentiated in forward mode: a Hessian is forward mode over the gradient's code, tapes and
all. Almost every helper is linear in the adjoint it carries; the few that are not say so here.
``prod_adjoint`` and the helpers of ``np.linalg``'s rules have none: second derivatives through
``np.prod`` and ``np.linalg`` are not supported.
``copy_of`` also copies an argument the function writes into, so its rule has an adjoint too.
"""
import ast
import inspect

import numpy as np

from . import support
from .define import linear, nondifferentiable
from .rules import Rule, Structure, alias, register


def _rule(func, differentiable, structure, tangent=None, shape_only=()):
    """The rule of a helper, called by its own name, with no adjoint template."""
    params = list(inspect.signature(func).parameters)
    defaults = {k: p.default for k, p in inspect.signature(func).parameters.items()
                if p.default is not inspect.Parameter.empty}
    rule = Rule(name=func.__name__, key=func.__name__, params=params, defaults=defaults,
                structure=structure, differentiable=tuple(differentiable),
                tangent=ast.parse(tangent, mode="eval").body if tangent else None,
                shape_only=shape_only)
    register([func], rule)


# no derivative: they make zeros, ones, room for a tape, or count
for _helper in (support.zeros_like, support.ones_like):
    nondifferentiable(_helper, name=_helper.__name__, rank="x", shape_only=("x",))
nondifferentiable(support.tape_for, name="tape_for", params=("n", "like"), rank=1)
nondifferentiable(support.scalar_tape, name="scalar_tape", params=("values",), rank=1)
nondifferentiable(support.trip_count, name="trip_count", params=("start", "stop", "step"),
                  rank=0, integer=True)
nondifferentiable(support.weak, name="weak", params=("value", "like"))
# the user's stop_gradient(x): x, as a constant (the same memory: a view of it)
nondifferentiable(support.stop_gradient, name="stop_gradient", rank="x", view=True)

# linear in the adjoint or tangent they carry (the other operands give shapes or masks; some
# only their shape or dtype)
for _helper, _carried, _shape_only in [
        (support.cast_like, "g", ("x",)), (support.unbroadcast, "g", ("like",)),
        (support.reshape_like, "g", ("x",)), (support.sum_adjoint, "g", ("x",)),
        (support.mean_adjoint, "g", ("x",)), (support.extremum_adjoint, "g", ()),
        (support.broadcast_like, "t", ()), (support.keep_dtype, "t", ()),
        (support.as_float, "x", ()), (support.unsort, "g", ()), (support.sort_like, "t", ())]:
    _rule(_helper, (_carried,), Structure.LINEAR, shape_only=_shape_only)
_rule(support.add_like, ("acc", "g"), Structure.LINEAR)


# a copy of an array, or the scalar itself (an argument the function writes into)
@linear(support.copy_of, name="copy_of", keeps_integers=True, rank="x")
def _(y, x):
    x_bar += y_bar

# bilinear: the adjoint times the other operand
for _helper, _pair in [
        (support.matmul_adjoint_a, ("g", "b")), (support.matmul_adjoint_b, ("g", "a")),
        (support.tensordot_adjoint_a, ("g", "b")), (support.tensordot_adjoint_b, ("g", "a")),
        (support.outer_adjoint_a, ("g", "b")), (support.outer_adjoint_b, ("g", "a"))]:
    _rule(_helper, _pair, Structure.BILINEAR)

# log(x) for x > 0, else 0
_rule(support.log_or_zero, ("x",), Structure.ELEMENTWISE,
      tangent="x_dot * (x > 0) / np.abs(x + (x == 0))")

# the primal helpers stand for the NumPy functions whose rules they share
for _helper, _of in [(support.reduce_sum, np.sum), (support.reduce_mean, np.mean),
                     (support.reduce_max, np.max), (support.reduce_min, np.min),
                     (support.reduce_prod, np.prod), (support.clip, np.clip),
                     (support.tensordot, np.tensordot), (support.squeeze, np.squeeze),
                     (support.reshape, np.reshape), (support.atleast_1d, np.atleast_1d),
                     (support.atleast_2d, np.atleast_2d), (support.atleast_3d, np.atleast_3d)]:
    alias(_helper, _of, name=_helper.__name__)
