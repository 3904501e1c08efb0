"""The random-program checker itself: a wrong derivative is a failure, and a disagreement
with finite differences where they cannot judge (values far beyond the inputs') or have not
converged (a feature finer than their step) is not."""
import program_check
from program_check import Program

WRONG_RULE = '''import numpy as np
import adcompiler as adc


@adc.primitive(elementwise=True)
def cube(x):
    return x * x * x


@adc.defvjp(cube)
def _(y, x):
    x_bar += y_bar * 2.0 * x * x


def f(x):
    v = x * 40.0
    return np.sum(cube(v)) * 1e-5
'''

ILL_CONDITIONED = '''import numpy as np


def f(x):
    v = x * 1e12
    return np.arctan(v / (1.5 + np.sin(v * v)))
'''

FINER_THAN_THE_STEP = '''import numpy as np


def f(x):
    return x + 1e-10 * np.sin(x * 1e5)
'''


def test_a_wrong_derivative_is_a_failure():
    outcome = program_check.check(Program(WRONG_RULE, [("x", (3,))]), 5)
    assert (outcome.kind, outcome.check) == ("fail", "value_and_grad"), outcome


def test_a_disagreement_where_values_grow_far_beyond_the_inputs_is_not_judged():
    program = Program(ILL_CONDITIONED, [("x", ())])
    judged = [program_check.check(program, seed) for seed in range(4)]
    assert {o.kind for o in judged} == {"skip"}, judged
    assert all("finite differences cannot judge it" in o.detail for o in judged), judged


def test_a_disagreement_that_a_finer_step_resolves_is_not_judged():
    program = Program(FINER_THAN_THE_STEP, [("x", ())])
    judged = [program_check.check(program, seed) for seed in range(6)]
    resolved = [o for o in judged if o.kind == "skip"]
    assert resolved and {o.kind for o in judged} <= {"pass", "skip"}, judged
    assert all("had not converged" in o.detail for o in resolved), judged
