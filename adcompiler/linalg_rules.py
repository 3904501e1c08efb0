"""The rules of ``np.linalg.det``, ``inv``, ``solve`` and ``norm`` (its default, the 2-norm of
all elements). Their adjoints and tangents are helpers of ``adcompiler.support`` for one matrix;
second derivatives through them are not supported (the helpers have no rules of their own)."""
import numpy as np

from .define import adjoint, tangent


@adjoint(np.linalg.det, name="np.linalg.det", key="det", rank=0)
def _(y, a):
    a_bar += det_adjoint(y_bar, a)


@tangent(np.linalg.det)
def _(y, a):
    y_dot = det_tangent(a_dot, a)


@adjoint(np.linalg.inv, name="np.linalg.inv", key="inv", rank="a")
def _(y, a):
    a_bar += inv_adjoint(y_bar, y)


@tangent(np.linalg.inv)
def _(y, a):
    y_dot = inv_tangent(a_dot, y)


@adjoint(np.linalg.solve, name="np.linalg.solve", key="solve", rank="b")
def _(y, a, b):
    a_bar += solve_adjoint_a(y_bar, a, y)
    b_bar += solve_adjoint_b(y_bar, a)


@tangent(np.linalg.solve)
def _(y, a, b):
    y_dot = np.linalg.solve(a, b_dot) + solve_tangent_a(a_dot, a, y)


@adjoint(np.linalg.norm, name="np.linalg.norm", key="norm", rank=0)
def _(y, x):
    x_bar += norm_adjoint(y_bar, x, y)


@tangent(np.linalg.norm)
def _(y, x):
    y_dot = norm_tangent(x_dot, x, y)
