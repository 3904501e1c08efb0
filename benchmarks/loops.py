"""Reverse mode through loops: adcompiler's gradient against numba and a hand-written adjoint.

For each program of benchmarks/loop_programs.py, in the same run (median of --repeats timings of
a loop of calls, after a warm-up): the function compiled by numba.njit, adcompiler's compiled
gradient (called directly, as compiled code would call it), a hand-written numba adjoint, and,
if JAX is installed, jax.jit(jax.grad(...)) of the same loop written with JAX's loops
(benchmarks/loop_programs_jax.py; its gradient is checked against ours); the ratios; the peak
bytes the gradient's tapes hold (measured by running the same generated module as Python with
its tape lists and arrays counted); and the first call of the gradient in a new process with a
cold and a warm cache directory (the call alone, and with imports).

Usage: python benchmarks/loops.py [--repeats 5] [--quick]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numba
import numpy as np

import adcompiler as adc
import loop_programs as programs


def cases(quick):
    rng = np.random.default_rng(0)
    scale = 10 if quick else 1
    return [
        ("1. sum sin(x i) cos(x), n = 100,000", programs.sin_cos_sum,
         programs.sin_cos_sum_adjoint, (0.3, 100_000 // scale), 0),
        ("2. Rosenbrock, index loop, n = 10,000", programs.rosenbrock,
         programs.rosenbrock_adjoint, (rng.uniform(-1, 1, 10_000 // scale),), 0),
        ("3. h = tanh(w h + x_t), T = 10,000", programs.recurrence,
         programs.recurrence_adjoint, (0.7, rng.uniform(-1, 1, 10_000 // scale)), (0, 1)),
        ("4. Newton sqrt (while), 1,000 values", programs.newton_sqrt_sum,
         programs.newton_sqrt_sum_adjoint, (rng.uniform(0.5, 10, 1_000 // scale),), 0),
        ("5. heat equation, 200 steps x 1,000 cells", programs.heat,
         programs.heat_adjoint, (rng.uniform(-1, 1, 1_000 // scale), 200 // scale), 0),
    ]


def fresh(args):
    """Arguments the callee may write into (heat writes u in place): a copy each call."""
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


def median_time(fn, args, repeats):
    """Median seconds per call over ``repeats`` timings of a loop of calls lasting ~50 ms
    (copying the arguments each call, which the function may write into, is timed apart)."""
    fn(*fresh(args))
    start = time.perf_counter()
    fn(*fresh(args))
    loops = max(1, int(0.05 / max(time.perf_counter() - start, 1e-7)))
    samples = []
    for _ in range(repeats):
        batches = [fresh(args) for _ in range(loops)]
        start = time.perf_counter()
        for call_args in batches:
            fn(*call_args)
        samples.append((time.perf_counter() - start) / loops)
    return statistics.median(samples)


class CountingList(list):
    """A tape that adds up the bytes it holds, for the peak over all tapes."""
    held = peak = 0

    def append(self, value):
        CountingList.held += getattr(value, "nbytes", 8)
        CountingList.peak = max(CountingList.peak, CountingList.held)
        super().append(value)

    def pop(self):
        value = super().pop()
        CountingList.held -= getattr(value, "nbytes", 8)
        return value


def counted(tape):
    """A tape array (tape_for, scalar_tape), counted for as long as the run lasts."""
    CountingList.held += tape.nbytes
    CountingList.peak = max(CountingList.peak, CountingList.held)
    return tape


def tape_bytes(derivative, args):
    """Peak bytes held by the generated gradient's tapes, from its module run as Python."""
    source = derivative.source_for(*args)
    source = re.sub(r"^(\s+\w+) = \[\]$", r"\1 = CountingList()", source, flags=re.M)
    source = re.sub(r"= ((tape_for|scalar_tape)\(.*)$", r"= counted(\1)", source, flags=re.M)
    namespace = {"CountingList": CountingList, "counted": counted}
    exec(compile(source, "<tape count>", "exec"), namespace)
    CountingList.held = CountingList.peak = 0
    name = f"{derivative.program.name}_grad"
    namespace[name](*fresh(args))
    return CountingList.peak


FIRST_CALL = textwrap.dedent("""
    import time
    start = time.perf_counter()
    import sys, numpy as np
    sys.path.insert(0, {folder!r})
    import adcompiler as adc
    import loop_programs as programs
    from loops import cases
    label, f, _, args, wrt = cases({quick})[{index}]
    g = adc.grad(f, wrt=wrt)
    call = time.perf_counter()
    g(*args)
    end = time.perf_counter()
    print(end - call, end - start)
""")


def first_call(index, cache, quick):
    env = dict(os.environ, ADC_CACHE_DIR=str(cache), NUMBA_CACHE_DIR=str(Path(cache) / "numba"))
    script = FIRST_CALL.format(folder=str(Path(__file__).parent), index=index, quick=quick)
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    return float(out[0]), float(out[1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="sizes / 10 (a smoke test)")
    args = parser.parse_args(argv)
    from loop_programs_jax import GRADIENTS as jax_gradients    # (not in the first-call runs)
    print("| program | numba f (ms) | gradient (ms) | by hand (ms) | JAX (ms) | gradient / f "
          "| gradient / by hand | gradient / JAX | tape (bytes) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, f, by_hand, values, wrt in cases(args.quick):
        compiled_f = numba.njit(f)
        g = adc.grad(f, wrt=wrt)
        ours = g(*fresh(values))
        gradient = g._entries[next(iter(g._entries))][0]
        tf, tg, th = (median_time(h, values, args.repeats)
                      for h in (compiled_f, gradient, by_hand))
        jax_grad = jax_gradients.get(f.__name__)
        if jax_grad is None:
            jax_time = jax_ratio = "—"
        else:
            theirs = jax_grad(*values)
            for a, b in zip(*(g if isinstance(g, tuple) else (g,) for g in (ours, theirs))):
                np.testing.assert_allclose(np.asarray(b), a, rtol=1e-8, atol=1e-10)
            tj = median_time(jax_grad, values, args.repeats)
            jax_time, jax_ratio = f"{tj * 1e3:.2f}", f"{tg / tj:.2f}"
        print(f"| {label} | {tf * 1e3:.2f} | {tg * 1e3:.2f} | {th * 1e3:.2f} | {jax_time} "
              f"| {tg / tf:.2f} | {tg / th:.2f} | {jax_ratio} | {tape_bytes(g, values):,} |")
    print()
    print("| program | cold: first call (s) | cold, with imports (s) | warm: first call (s) "
          "| warm, with imports (s) |")
    print("|---|---:|---:|---:|---:|")
    for index, (label, *_) in enumerate(cases(args.quick)):
        with tempfile.TemporaryDirectory() as cache:
            cold = first_call(index, cache, args.quick)
            warm = first_call(index, cache, args.quick)
        print(f"| {label} | {cold[0]:.2f} | {cold[1]:.2f} | {warm[0]:.2f} | {warm[1]:.2f} |")


if __name__ == "__main__":
    main()
