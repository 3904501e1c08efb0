"""Writes the generated source of every corpus function to a directory, one file per function and
mode, so that two versions of the compiler can be compared with ``diff -r``: the control-flow
corpus, the regression programs, the benchmarks' loops, programs of the runtime's kernels, and
the first random programs of a seed.
Only the text is produced (nothing is compiled), without its first line; a function the compiler
refuses gets its error.

Usage: python tests/generated_sources.py OUT_DIR [--random 300] [--seed 7002]
"""
import argparse
import inspect
import os
import sys
from pathlib import Path

import numpy as np

from hypothesis import given, settings, strategies as st, Phase

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "benchmarks")]

import adcompiler as adc                                      # noqa: E402
import program_check                                          # noqa: E402
from random_programs import random_program                    # noqa: E402
from gradcheck import arrays                                  # noqa: E402


def control_flow_cases():
    """(name, function, args, wrt) of the control-flow corpus, each with the first inputs
    hypothesis draws for it when derandomized (the same every run)."""
    import test_control_flow
    out = []
    for func, strategies in test_control_flow.CASES.items():
        drawn = []

        @settings(max_examples=1, derandomize=True, database=None, phases=[Phase.generate])
        @given(data=st.data())
        def draw(data):
            args = []
            for k, strategy in enumerate(strategies):
                if strategy is None:
                    strategy = arrays((args[-1].shape[1],))
                args.append(data.draw(strategy))
            drawn.append(tuple(args))
        draw()
        args = drawn[0]
        wrt = tuple(k for k, a in enumerate(args) if not isinstance(a, int))
        out.append((func.__name__, func, args, wrt))
    return out


def regression_cases():
    import test_regressions
    return [(f"{func.__name__}-{k}", func, args, wrt)
            for k, (func, args, wrt) in enumerate(test_regressions.CASES)]


def benchmark_cases():
    import loops
    return [(label.split(".")[0].strip() + "-" + func.__name__, func, args, wrt)
            for label, func, _, args, wrt in loops.cases(True)]


def runtime_cases():
    """Programs of the runtime's kernels, with their rules, as the lessons write them."""
    import test_runtime as runtime
    rng = np.random.default_rng(0)
    x, k = rng.standard_normal((2, 6, 6, 1)), rng.standard_normal((3, 3, 1, 2))
    w, b = rng.standard_normal((4, 3)), rng.standard_normal(3)
    cases = [(runtime.conv_same, (x, k, rng.standard_normal((2, 3, 3, 2)), 2, 2)),
             (runtime.max_same, (x, rng.standard_normal((2, 3, 3, 1)), 2, 2, 2, 2)),
             (runtime.avg_valid, (x, rng.standard_normal((2, 3, 3, 1)), 2, 2, 2, 2)),
             (runtime.dense_loss, (rng.standard_normal((5, 4)), w, b, rng.standard_normal((5, 3)))),
             (runtime.leaky, (rng.standard_normal((3, 4)), rng.standard_normal((3, 4)))),
             (runtime.log_softmax_last, (rng.standard_normal((3, 4)), rng.standard_normal((3, 4))))]
    return [(f"runtime-{func.__name__}", func, args,
             tuple(k for k, a in enumerate(args) if isinstance(a, np.ndarray)))
            for func, args in cases]


def random_cases(count, seed):
    out = []
    for k in range(count):
        program = random_program(seed * 10**7 + k)
        func = program_check.load(program.source)
        out.append((f"random-{seed}-{k:05d}", func, program.inputs(seed * 10**7 + k),
                    program.float_positions))
    return out


def source(make, func, args):
    try:
        text = make(func).source_for(*args)
    except Exception as exc:                    # a refusal is part of the snapshot
        where = inspect.getsourcefile(func)        # random programs live in a fresh directory
        return f"{type(exc).__name__}: {exc}\n".replace(where, "<source>")
    return text.split("\n", 1)[1]      # the first line names the file and the compiler's hash


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--random", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7002)
    options = parser.parse_args()
    options.out.mkdir(parents=True, exist_ok=True)
    cases = (control_flow_cases() + regression_cases() + benchmark_cases() + runtime_cases()
             + random_cases(options.random, options.seed))
    for name, func, args, wrt in cases:
        positions = wrt if isinstance(wrt, tuple) else (wrt,)
        modes = {"grad": lambda f: adc.grad(f, wrt=positions, jit=False),
                 "jvp": lambda f: adc.jvp(f, jit=False)}
        for mode, make in modes.items():
            (options.out / f"{name}.{mode}.py").write_text(source(make, func, args))
    print(f"{len(cases)} functions, {2 * len(cases)} sources in {options.out}")


if __name__ == "__main__":
    os.environ.setdefault("NUMBA_OPT", "0")
    main()
