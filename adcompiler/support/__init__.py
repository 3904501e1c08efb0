"""Helpers called by generated code, by subject: values and shapes, reductions, products,
linear algebra, loop tapes and Jacobian buffers.

Each helper is a plain NumPy function (used when derivatives run as pure Python) with a numba
``@overload`` twin (used inside ``njit`` code). numba compiles each twin once per type signature,
so generated functions call them instead of inlining array code (see docs/how-it-works.md).
Generated code imports them from here by name.
"""
from .linalg import (det_adjoint, det_tangent, inv_adjoint, inv_tangent, norm_adjoint,
                     norm_tangent, solve_adjoint_a, solve_adjoint_b, solve_tangent_a)
from .loops import (jacobian_buffer, scalar_tape, store_column, store_row, tape_for, trip_count,
                    unit_like)
from .products import (matmul_adjoint_a, matmul_adjoint_b, outer_adjoint_a, outer_adjoint_b,
                       tensordot, tensordot_adjoint_a, tensordot_adjoint_b)
from .reductions import (extremum_adjoint, mean_adjoint, prod_adjoint, reduce_max, reduce_mean,
                         reduce_min, reduce_prod, reduce_sum, sum_adjoint)
from .stop import stop_gradient
from .values import (add_like, as_float, atleast_1d, atleast_2d, atleast_3d, broadcast_like,
                     cast_like, clip, copy_of, keep_dtype, log_or_zero, ones_like, reshape,
                     reshape_like, sort_like, squeeze, stacked, unsort, weak, zeros_like)
from .unbroadcasting import unbroadcast

__all__ = [
    "zeros_like", "ones_like", "cast_like", "unbroadcast", "reshape_like", "clip",
    "reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod",
    "sum_adjoint", "mean_adjoint", "extremum_adjoint", "prod_adjoint",
    "matmul_adjoint_a", "matmul_adjoint_b", "tensordot", "tensordot_adjoint_a",
    "tensordot_adjoint_b", "outer_adjoint_a", "outer_adjoint_b", "squeeze",
    "reshape", "log_or_zero", "add_like", "trip_count", "copy_of", "tape_for", "scalar_tape",
    "broadcast_like", "keep_dtype", "jacobian_buffer", "unit_like", "store_column",
    "store_row", "unsort", "sort_like", "weak", "as_float", "atleast_1d", "atleast_2d",
    "atleast_3d", "stacked", "det_adjoint", "det_tangent", "inv_adjoint", "inv_tangent", "solve_adjoint_a",
    "solve_adjoint_b", "solve_tangent_a", "norm_adjoint", "norm_tangent", "stop_gradient",
]
