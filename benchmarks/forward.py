"""Forward mode: JVP time against function time on the loop programs, and the Jacobian of
R^n -> R^m by forward and by reverse mode for n, m in {1, 10, 100, 1000}.

All timings are medians of --repeats timings of a loop of calls after a warm-up, ratios measured
in the same run. A JVP is one sweep carrying tangents beside the values; a Jacobian takes n
JVPs (forward, a column each) or m pullbacks (reverse, a row each), so forward should win when
n << m and reverse when n >> m.

Usage: python benchmarks/forward.py [--repeats 5] [--quick]
"""
import argparse

import numba
import numpy as np

import adcompiler as adc
from loops import cases, fresh, median_time

SIZES = (1, 10, 100, 1000)


def field(x, w):
    """R^n -> R^m: m outputs, each a small loop over a row of w (m x n) times x."""
    y = np.zeros(w.shape[0])
    for i in range(w.shape[0]):
        s = 0.0
        for j in range(x.shape[0]):
            s = s + w[i, j] * x[j]
        y[i] = np.tanh(s) + 0.1 * s * s
    return y


def jvp_table(repeats, quick):
    print("| program | numba f (ms) | jvp (ms) | jvp / f |")
    print("|---|---:|---:|---:|")
    for label, f, _, values, wrt in cases(quick):
        compiled_f = numba.njit(f)
        positions = wrt if isinstance(wrt, tuple) else (wrt,)
        tangents = tuple(np.ones_like(v) if isinstance(v, np.ndarray) else 1.0
                         for k, v in enumerate(values) if k in positions)
        jvp = adc.jvp(f, wrt=positions)
        jvp(fresh(values), tangents)
        tangent_fn = next(iter(jvp._entries.values()))[0]
        tf = median_time(compiled_f, values, repeats)
        tj = median_time(tangent_fn, values + tangents, repeats)
        print(f"| {label} | {tf * 1e3:.3f} | {tj * 1e3:.3f} | {tj / tf:.2f} |")


def jacobian_table(repeats, sizes):
    rng = np.random.default_rng(0)
    forward = adc.jacobian(field, mode="forward")
    reverse = adc.jacobian(field, mode="reverse")
    print("| n (inputs) | m (outputs) | forward (ms) | reverse (ms) | forward / reverse "
          "| faster |")
    print("|---:|---:|---:|---:|---:|---|")
    for n in sizes:
        for m in sizes:
            x, w = rng.standard_normal(n), rng.standard_normal((m, n)) / np.sqrt(n)
            fwd, rev = forward(x, w), reverse(x, w)
            assert np.allclose(fwd, rev), (n, m)
            tf = median_time(forward, (x, w), repeats)
            tr = median_time(reverse, (x, w), repeats)
            faster = "forward" if tf < tr else "reverse"
            print(f"| {n} | {m} | {tf * 1e3:.3f} | {tr * 1e3:.3f} | {tf / tr:.2f} | {faster} |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke test)")
    args = parser.parse_args(argv)
    jvp_table(args.repeats, args.quick)
    print()
    jacobian_table(args.repeats, SIZES[:3] if args.quick else SIZES)


if __name__ == "__main__":
    main()
