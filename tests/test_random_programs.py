"""Random programs (random_programs.py) checked against finite differences and each other
(program_check.py): 2,000 in pure-Python mode and 200 compiled (their gradients; one tangent
function in four compiled too, which keeps numba's compile time within the suite's budget), in
shards so that `pytest -n 2` spreads them over both workers. Each shard has a fixed hypothesis
seed, so runs are reproducible; a failure prints the program and its inputs. Refusals
(DifferentiationError) are reported as warnings. ADC_RANDOM_SHRINK=1 lets hypothesis shrink a
failing program; tests/run_random_programs.py runs many more."""
import os
import warnings

from hypothesis import HealthCheck, Phase, given, seed, settings, strategies as st

import program_check
from random_programs import programs

PYTHON_SHARDS, PYTHON_EXAMPLES = 20, 100
JIT_SHARDS, JIT_EXAMPLES = 10, 20
PHASES = (Phase.explicit, Phase.generate) + \
    ((Phase.shrink,) if os.environ.get("ADC_RANDOM_SHRINK") else ())


def judge(program, input_seed, jit):
    outcome, used = program_check.check_program(
        program, input_seed, jit=jit, second_order=not jit and input_seed % 8 == 0,
        compiled_jvp=input_seed % 4 == 0)
    if outcome.kind == "refusal":
        warnings.warn("refused: " + outcome.detail.strip().splitlines()[-1])
    assert outcome.kind not in ("fail", "crash"), program_check.describe(program, used, outcome)


def shard(number, jit, examples):
    @seed(number)
    @settings(max_examples=examples, deadline=None, database=None, phases=PHASES,
              suppress_health_check=list(HealthCheck))
    @given(program=programs(), input_seed=st.integers(0, 2 ** 31))
    def test(program, input_seed):
        judge(program, input_seed, jit)
    test.__name__ = f"test_{'compiled' if jit else 'python'}_programs_{number:02d}"
    return test


for _k in range(PYTHON_SHARDS):
    globals()[f"test_python_programs_{_k:02d}"] = shard(_k, False, PYTHON_EXAMPLES)
for _k in range(JIT_SHARDS):
    globals()[f"test_compiled_programs_{_k:02d}"] = shard(1000 + _k, True, JIT_EXAMPLES)
