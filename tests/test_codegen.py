"""Generated source: readable, deterministic across runs and processes, cached on disk."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

import adcompiler as adc
from adcompiler import compile as compiler


def chain(x):
    v = x ** 2
    u = np.sin(v)
    y = np.exp(u)
    return y


EXPECTED_CHAIN = '''\
def chain_grad(x):
    v = x ** 2
    u = np.sin(v)
    y = np.exp(u)
    # adjoint sweep: d(output)/d(output) = 1
    y_bar = 1.0
    # y = np.exp(u)
    u_bar = y_bar * y
    # u = np.sin(v)
    v_bar = u_bar * np.cos(v)
    # v = x ** 2
    x_bar = v_bar * 2 * x
    return cast_like(x_bar, x)
'''


def test_chain_rule_reads_like_the_lesson():
    source = adc.grad(chain).source_for(2.0)
    assert source.endswith(EXPECTED_CHAIN)
    assert "from adcompiler.support import cast_like\n" in source


def layers(x, w):
    h = np.tanh(x * w + 1.0)
    h = np.tanh(h * w + 1.0)
    h = np.tanh(h * w + 1.0)
    return np.sum(h * h)


def test_repeated_array_work_calls_helpers_that_show_their_math():
    source = adc.grad(layers).source
    assert "def tanh_adjoint_x(y_bar, y):\n    # y = np.tanh(x): x_bar += y_bar * (1 - y * y)\n" \
        in source
    assert source.count("= tanh_adjoint_x(") == 3 and source.count("= tanh(") == 3
    assert "def tanh(x):\n    # np.tanh(x), element-wise" in source


def test_array_work_without_repetition_is_inline():
    source = adc.grad(chain).source
    assert "def " not in source.split("def chain_grad")[0]
    assert "    v_bar = u_bar * np.cos(v)\n" in source


def neuron(w, b, x, y):
    z = w * x + b
    p = 1 / (1 + np.exp(-z))
    return (p - y) ** 2


def test_scalar_arguments_drop_unbroadcast():
    general = adc.grad(neuron, wrt=(0, 1)).source
    scalar = adc.grad(neuron, wrt=(0, 1)).source_for(0.1, 0.2, 0.3, 0.4)
    assert "unbroadcast(" in general
    assert "unbroadcast(" not in scalar
    assert "# z = w * x + b" in scalar


def test_source_is_identical_across_instances_and_processes():
    first = adc.grad(neuron, wrt=(0, 1)).source
    assert adc.grad(neuron, wrt=(0, 1)).source == first
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        import adcompiler as adc
        from test_codegen import neuron
        sys.stdout.write(adc.grad(neuron, wrt=(0, 1)).source)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True).stdout
    assert out == first


def _run(script, cache):
    """``script`` in a new process with numba's defaults (optimized code, cached beside the
    generated module)."""
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_OPT", "NUMBA_CACHE_DIR")}
    env["ADC_CACHE_DIR"] = str(cache)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, check=True).stdout


def _snapshot(cache):
    return sorted(str(p.relative_to(cache)) for p in cache.rglob("*") if p.is_file())


def test_second_process_reuses_module_and_numba_cache(tmp_path):
    module = tmp_path / "user_function.py"
    module.write_text("import numpy as np\n\ndef f(x):\n    return np.sum(np.sin(x) * x)\n")
    script = textwrap.dedent(f"""
        import sys, numpy as np
        sys.path.insert(0, {str(tmp_path)!r})
        import adcompiler as adc
        from user_function import f
        print(adc.grad(f)(np.linspace(0, 1, 5)).sum())
    """)
    cache = tmp_path / "cache"
    first = _run(script, cache)
    files = _snapshot(cache)
    assert any(name.endswith(".nbi") for name in files), files     # numba's cache index
    assert _run(script, cache) == first
    assert _snapshot(cache) == files                               # nothing compiled anew
    module.write_text("import numpy as np\n\ndef f(x):\n    return np.sum(np.cos(x) * x)\n")
    changed = _run(script, cache)
    assert changed != first                                        # never stale code
    x = np.linspace(0, 1, 5)
    assert abs(float(changed) - np.sum(np.cos(x) - x * np.sin(x))) < 1e-9


def test_module_files_are_named_by_content(tmp_path, monkeypatch):
    monkeypatch.setenv("ADC_CACHE_DIR", str(tmp_path))
    a = compiler.module_path("x = 1\n", "stem")
    b = compiler.module_path("x = 2\n", "stem")
    assert a != b and a.parent == tmp_path and a.name.startswith("stem_")


def test_cli_show(tmp_path):
    source = tmp_path / "model.py"
    source.write_text("import numpy as np\n\ndef loss(w, x):\n    z = np.tanh(w * x)\n"
                      "    return np.sum(z ** 2)\n")
    out = subprocess.run([sys.executable, "-m", "adcompiler.cli", "show", f"{source}:loss",
                          "--wrt", "w"], capture_output=True, text=True, check=True).stdout
    assert "def loss_grad(w, x):" in out and "w_bar" in out and "# z = np.tanh(w * x)" in out
    bad = subprocess.run([sys.executable, "-m", "adcompiler.cli", "show", f"{source}:loss",
                          "--wrt", "q"], capture_output=True, text=True)
    assert bad.returncode == 1 and "not a parameter or local" in bad.stderr
    forward = subprocess.run([sys.executable, "-m", "adcompiler.cli", "show", f"{source}:loss",
                              "--wrt", "w", "--mode", "forward"], capture_output=True, text=True,
                             check=True).stdout
    assert "def loss_jvp(w, x, w_dot):" in forward and "z_dot" in forward


def test_forward_source_is_the_tangent_beside_each_line():
    source = adc.jvp(chain).source_for(2.0)
    body = source[source.index("def chain_jvp"):]
    assert body.splitlines()[1:10] == [
        "    # v = x ** 2", "    v = x ** 2", "    v_dot = x_dot * 2 * x",
        "    # u = np.sin(v)", "    u = np.sin(v)", "    u_dot = v_dot * np.cos(v)",
        "    # y = np.exp(u)", "    y = np.exp(u)", "    y_dot = u_dot * y"]
