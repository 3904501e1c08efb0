"""Speed of straight-line gradients: gradient time / function time, and first-call latency.

For each lesson function and a 1,000-element vector expression, in jit mode, timed in the same run
(median of repeats, each timing a loop of calls):
- the function as numba compiles it (adcompiler's primal copy: the user's code in three-address
  form, with the user functions it calls);
- the compiled gradient called directly (numba's dispatcher, as another compiled function or a
  training step would call it), and through ``adcompiler.grad``'s Python wrapper;
- the first call of the gradient in a new process with a cold and with a warm cache directory.

With --deep, also the cold compile time of the gradient of a 30-layer element-wise function
(~650 generated statements), the case that decides how array code is generated.

Usage: python benchmarks/straightline.py [--repeats 7] [--deep]
"""
import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

import adcompiler as adc

ROOT = Path(__file__).resolve().parent.parent


def _lesson(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / "lessons" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def vector_expression(x, w):
    y = np.exp(np.sin(x)) * x ** 2 + np.tanh(w * x) / (1 + x * x)
    return np.sum(y * w)


def cases():
    chain = _lesson("chain_rule")
    p1 = _lesson("perceptron1")
    p1b = _lesson("perceptron1b")
    p2 = _lesson("perceptron2")
    two = _lesson("two_layer")
    f32 = np.float32
    rng = np.random.default_rng(0)
    return [
        ("chain rule, y = exp(sin(x**2))", chain.chain, (f32(2.0),), 0),
        ("perceptron1 (scalar)", p1.cost, tuple(f32(v) for v in p1.INPUTS.values()), (0, 1, 2)),
        ("perceptron1b (tensordot)", p1b.cost, p1b.inputs(), (0, 1)),
        ("perceptron2 (batch of two)", p2.batch_cost,
         tuple(f32(v) for v in p2.INPUTS.values()), (0, 1, 2)),
        ("two-layer network (figure 7)", two.linear_output,
         tuple(f32(v) for v in two.INPUTS.values()), tuple(range(9))),
        ("vector expression, n = 1,000", vector_expression,
         (rng.standard_normal(1000), rng.standard_normal(1000)), 0),
    ]


def per_call(fn, args, repeats):
    """Median seconds per call over ``repeats`` timings of a loop sized to ~20 ms."""
    fn(*args)
    start = time.perf_counter()
    fn(*args)
    once = max(time.perf_counter() - start, 1e-7)
    loops = max(1, int(0.02 / once))
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(loops):
            fn(*args)
        samples.append((time.perf_counter() - start) / loops)
    return statistics.median(samples)


def primal(func, args):
    """The function as numba compiles it: the primal in adcompiler's generated module."""
    forward = adc.vjp(func)
    forward(*args)
    derivative = forward.derivative
    _, _, module = derivative._function(derivative._kinds(derivative._bind(args, {})))
    return getattr(module, derivative.program.name)


FIRST_CALL = textwrap.dedent("""
    import time
    start = time.perf_counter()
    import sys, numpy as np
    sys.path.insert(0, {bench!r})
    import adcompiler as adc
    from straightline import vector_expression
    rng = np.random.default_rng(0)
    adc.grad(vector_expression)(rng.standard_normal(1000), rng.standard_normal(1000))
    print(time.perf_counter() - start)
""")


DEEP = textwrap.dedent("""
    import sys, time, numpy as np
    sys.path.insert(0, {folder!r})
    import adcompiler as adc
    from deep import deep
    g = adc.grad(deep)
    x = np.linspace(0.1, 1.0, 100)
    start = time.perf_counter()
    g(x, x)
    print(time.perf_counter() - start)
""")


def deep_compile_time(folder):
    """Cold first call (compile) of the gradient of 30 element-wise layers."""
    lines = ["import numpy as np", "", "def deep(x, w):", "    h = x"]
    lines += [f"    h = np.tanh(h * w + {k / 100}) * np.exp(-h * h) + np.sin(h)" for k in range(30)]
    (Path(folder) / "deep.py").write_text("\n".join(lines + ["    return np.sum(h * h)", ""]))
    env = dict(os.environ, ADC_CACHE_DIR=str(Path(folder) / "cache"))
    out = subprocess.run([sys.executable, "-c", DEEP.format(folder=str(folder))], env=env,
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def first_call(cache):
    env = dict(os.environ, ADC_CACHE_DIR=str(cache))
    script = FIRST_CALL.format(bench=str(Path(__file__).parent))
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, check=True)
    return float(out.stdout.strip())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--deep", action="store_true", help="also time a deep gradient's compile")
    args = parser.parse_args(argv)
    print("| function | function (µs) | compiled gradient (µs) | ratio | grad() call (µs) "
          "| ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, func, values, wrt in cases():
        f = primal(func, values)
        g = adc.grad(func, wrt=wrt)
        g(*values)
        compiled = g._entries[next(iter(g._entries))][0]
        tf, tc, tg = (per_call(h, values, args.repeats) for h in (f, compiled, g))
        print(f"| {label} | {tf * 1e6:.2f} | {tc * 1e6:.2f} | {tc / tf:.2f} | {tg * 1e6:.2f} "
              f"| {tg / tf:.2f} |")
    with tempfile.TemporaryDirectory() as cache:
        cold = first_call(cache)
        warm = [first_call(cache) for _ in range(3)]
    print()
    print("First call of grad(vector_expression) in a new process, import included:")
    print(f"- cold cache: {cold:.2f} s")
    print(f"- warm cache: {statistics.median(warm):.2f} s (median of 3)")
    if args.deep:
        with tempfile.TemporaryDirectory() as folder:
            print(f"- cold compile of a 30-layer gradient: {deep_compile_time(folder):.1f} s")


if __name__ == "__main__":
    main()
