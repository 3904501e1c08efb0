"""adcompiler: derivatives of ordinary Python/NumPy functions as readable, numba-compiled source.

>>> import numpy as np, adcompiler as adc
>>> @adc.grad
... def f(x):
...     return np.exp(np.sin(x ** 2))
>>> round(f(2.0), 4)
-1.2267
"""
from . import builtin_rules  # noqa: F401  (registers the built-in derivative rules)
from .api import adjoints, grad, show, value_and_grad, vjp
from .errors import DifferentiationError

__version__ = "0.1.0"
__all__ = ["grad", "value_and_grad", "vjp", "adjoints", "show", "DifferentiationError"]
