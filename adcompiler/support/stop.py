"""``stop_gradient``: a value through which no derivative flows (its rule, in support_rules.py,
has none), for users to write ``adc.stop_gradient(x)``."""
from .twins import jit_twin


def stop_gradient(x):
    """``x`` itself, through which no derivative flows: what is computed from it is a constant
    to differentiation (``adcompiler.stop_gradient``)."""
    return x


@jit_twin(stop_gradient, inline=True)
def _stop_gradient(x):
    return lambda x: x
