"""adcompiler: derivatives of ordinary Python/NumPy functions as readable, numba-compiled source.

>>> import numpy as np, adcompiler as adc
>>> @adc.grad
... def f(x):
...     return np.exp(np.sin(x ** 2))
>>> round(f(2.0), 4)
-1.2267
"""
from . import array_rules, linalg_rules, operator_rules, support_rules  # noqa: F401  (rules)
from .api import adjoints, grad, hessian, hvp, jacobian, jvp, show, value_and_grad, vjp
from .check import GradientCheckError, check_grad
from .errors import DifferentiationError
from .primitives import defjvp, defvjp, primitive
from .support import stop_gradient

__version__ = "0.1.0"
__all__ = ["grad", "value_and_grad", "vjp", "jvp", "jacobian", "hessian", "hvp", "adjoints", "show",
           "primitive", "defvjp", "defjvp", "check_grad", "DifferentiationError",
           "GradientCheckError", "stop_gradient"]
