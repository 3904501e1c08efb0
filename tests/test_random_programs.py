"""Random programs (random_programs.py) checked against finite differences and each other
(program_check.py): 2,000 in pure-Python mode, in shards so that `pytest -n 2` spreads them over
both workers, each with a fixed hypothesis seed (reproducible; a failure prints the program and
its inputs; ADC_RANDOM_SHRINK=1 lets hypothesis shrink it). Refusals (DifferentiationError) are
reported as warnings. 200 more are checked compiled by tests/run_random_programs.py, in
processes of their own where numba skips LLVM's optimizations (half its compile time); it also
runs many more outside pytest."""
import os
import subprocess
import sys
import warnings

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings, strategies as st

import program_check
from random_programs import programs

PYTHON_SHARDS, PYTHON_EXAMPLES = 20, 100
COMPILED_SHARDS, COMPILED_PROGRAMS = 4, 50
RUNNER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "run_random_programs.py")
PHASES = (Phase.explicit, Phase.generate) + \
    ((Phase.shrink,) if os.environ.get("ADC_RANDOM_SHRINK") else ())


def judge(program, input_seed):
    outcome, used = program_check.check_program(
        program, input_seed, second_order=input_seed % 8 == 0)
    if outcome.kind == "refusal":
        warnings.warn("refused: " + outcome.detail.strip().splitlines()[-1])
    assert outcome.kind not in ("fail", "crash"), program_check.describe(program, used, outcome)


def shard(number, examples):
    @seed(number)
    @settings(max_examples=examples, deadline=None, database=None, phases=PHASES,
              suppress_health_check=list(HealthCheck))
    @given(program=programs(), input_seed=st.integers(0, 2 ** 31))
    def test(program, input_seed):
        judge(program, input_seed)
    test.__name__ = f"test_python_programs_{number:02d}"
    return test


for _k in range(PYTHON_SHARDS):
    globals()[f"test_python_programs_{_k:02d}"] = shard(_k, PYTHON_EXAMPLES)


@pytest.mark.parametrize("part", range(COMPILED_SHARDS))
def test_compiled_programs(part, tmp_path):
    env = dict(os.environ, ADC_CACHE_DIR=str(tmp_path / "cache"))
    run = subprocess.run([sys.executable, RUNNER, "--programs", "0", "--compiled",
                          str(COMPILED_PROGRAMS), "--seed", str(1000 + part), "--jobs", "1",
                          "--failures", str(tmp_path / "failures")],
                         capture_output=True, text=True, env=env)
    reports = [p.read_text() for p in sorted((tmp_path / "failures").glob("*.py"))]
    assert run.returncode == 0, "\n\n".join(reports) or run.stderr[-4000:]
    passed = int(run.stdout.split(" passed")[0].split()[-1])
    assert passed >= COMPILED_PROGRAMS // 2, run.stdout     # most are checked, not refused
