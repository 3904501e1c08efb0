"""What a generated function computes: its kind of output, the values it differentiates with
respect to, and the value it differentiates."""
from dataclasses import dataclass

GRAD, VALUE_AND_GRAD, VJP, ADJOINTS, JVP = "grad", "value_and_grad", "vjp", "adjoints", "jvp"
JACOBIAN_FORWARD, JACOBIAN_REVERSE = "jacobian_forward", "jacobian_reverse"


@dataclass(frozen=True)
class Spec:
    """What to differentiate: ``of`` (None: the return value) with respect to ``wrt`` (names;
    a parameter name means its input value, a local name its last value)."""
    wrt: tuple
    of: str = None
    output: str = GRAD          # GRAD, VALUE_AND_GRAD, VJP (cotangents given), ADJOINTS, JVP
                                # or a Jacobian's JACOBIAN_FORWARD or JACOBIAN_REVERSE
    aux: bool = False           # the function returns (value, aux...): the first is
                                # differentiated, all are returned (value_and_grad)
