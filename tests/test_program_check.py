"""The random-program checker itself: a wrong derivative is a failure, generated code numba
cannot compile is a crash (unless a variable changes type in a loop, a documented refusal),
and a disagreement with finite differences where they cannot judge (values far beyond the
inputs') or have not converged (a feature finer than their step) is not."""
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


UNCOMPILABLE_RULE = '''import numpy as np
import adcompiler as adc


@adc.primitive(elementwise=True)
def twice(x):
    return x * 2.0


@adc.defvjp(twice)
def _(y, x):
    x_bar += y_bar * float(len(str(x)) > 0) * 2.0


def f(x):
    return twice(x) * x
'''

TYPE_CHANGE_IN_A_LOOP = '''import numpy as np


def f(x, n):
    s = 0.0
    for i in range(n + 1):
        s = s + x * i
    return np.sum(s)
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


def test_generated_code_numba_cannot_compile_is_a_crash():
    outcome = program_check.check(Program(UNCOMPILABLE_RULE, [("x", ())]), 3, jit=True)
    assert (outcome.kind, outcome.check) == ("crash", "grad jit"), outcome
    assert program_check.NUMBA_FAILED in outcome.detail


def test_a_variable_whose_type_changes_in_a_loop_is_a_refusal_when_compiled():
    outcome = program_check.check(Program(TYPE_CHANGE_IN_A_LOOP, [("x", (3,)), ("n", None)]),
                                  2, jit=True)
    assert outcome.kind == "refusal" and "Cannot unify" in outcome.detail, outcome


def test_only_the_programs_own_variables_changing_type_are_the_documented_limit():
    names = program_check.own_names(TYPE_CHANGE_IN_A_LOOP)
    assert {"x", "n", "s"} <= names
    said = "TypingError: Cannot unify float64 and array(float64, 1d, C) for '{}'"
    assert program_check.changes_type_in_a_loop(said.format("s_1.3"), names)
    assert program_check.changes_type_in_a_loop(said.format("s.2"), names)
    for generated in ("s_1_bar.2", "x_dot.1", "s_1_tape2", "t4.1", "$phi12.1"):
        assert not program_check.changes_type_in_a_loop(said.format(generated), names)
    assert not program_check.changes_type_in_a_loop("TypingError: No implementation", names)
