"""Kernels called by address (runtime/unlinked.py): the caller's code does not contain the
kernel, calls reach it with literal and converted arguments, its errors come through, and a
caller loaded from numba's cache in a new process finds the kernel again."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from numba import njit, types

from adcompiler.runtime import conv2d
from adcompiler.runtime.unlinked import load

KERNELS = '''
import numpy as np
from numba import njit, prange
from adcompiler.runtime.unlinked import unlinked

@unlinked
@njit(parallel=True, cache=True)
def scaled_sines(x, scale, mode):
    if mode != "sin" and mode != "cos":
        raise ValueError("mode must be sin or cos, not " + mode)
    y = np.empty_like(x)
    for i in prange(x.shape[0]):
        y[i] = (np.sin(x[i]) if mode == "sin" else np.cos(x[i])) * scale
    return y
'''

CALLERS = '''
import numpy as np
from numba import njit
from kernels import scaled_sines

@njit(cache=True)
def inner(x, mode):
    return scaled_sines(x, 2, mode).sum()

@njit(cache=True)
def outer(x):
    return inner(x, "sin") + inner(x[::2], "cos")

x = np.linspace(0.0, 3.0, 11)
expected = 2 * np.sin(x).sum() + 2 * np.cos(x[::2]).sum()
assert np.isclose(outer(x), expected), (outer(x), expected)
try:
    inner(x, "tan")
except ValueError as error:
    assert str(error) == "mode must be sin or cos, not tan", error
else:
    raise AssertionError("no error")
print(sum(f.stats.cache_hits.get(sig, 0) for f in (inner, outer) for sig in f.signatures))
'''


def test_a_cached_caller_finds_the_kernel_in_a_new_process(tmp_path):
    (tmp_path / "kernels.py").write_text(KERNELS)
    (tmp_path / "callers.py").write_text(CALLERS)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"), NUMBA_OPT="1",
               PYTHONPATH=os.pathsep.join([str(tmp_path), *sys.path]))
    hits = []
    for _ in range(2):
        run = subprocess.run([sys.executable, str(tmp_path / "callers.py")], env=env,
                             capture_output=True, text=True, cwd=tmp_path)
        assert run.returncode == 0, run.stderr
        hits.append(int(run.stdout.split()[-1]))
    assert hits[0] == 0 and hits[1] >= 2        # compiled, then both loaded from the cache


STAGED = KERNELS.replace("@njit(parallel=True, cache=True)", "@njit(cache=True)") + '''
import sys

@njit(cache=True)
def inner(x):
    return scaled_sines(x, 2, "sin").sum()

@njit(cache=True)
def outer(x):
    return inner(x) + 1.0

x = np.linspace(0.0, 3.0, 11)
function = inner if sys.argv[1] == "inner" else outer
value = function(x)
assert np.isclose(value, 2 * np.sin(x).sum() + (sys.argv[1] == "outer")), value
print(function.stats.cache_hits.get(function.signatures[0], 0))
'''


def test_a_caller_compiled_against_a_cached_callee_finds_the_kernel_in_a_new_process(tmp_path):
    """The callee's steps to find its kernels, read from the cache, pass on to the caller that
    links it and is cached in turn: the third process loads only the caller."""
    (tmp_path / "staged.py").write_text(STAGED)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"), NUMBA_OPT="1",
               PYTHONPATH=os.pathsep.join([str(tmp_path), *sys.path]))
    hits = []
    for stage in ("inner", "outer", "outer"):
        run = subprocess.run([sys.executable, str(tmp_path / "staged.py"), stage], env=env,
                             capture_output=True, text=True, cwd=tmp_path)
        assert run.returncode == 0, (stage, run.returncode, run.stderr[-2000:])
        hits.append(int(run.stdout.split()[-1]))
    assert hits == [0, 0, 1]


ONE_OPERATION = """
import sys
import numpy as np
from adcompiler.runtime import conv2d, depthwise_conv2d
x, k = np.ones((1, 5, 5, 2), np.float32), np.ones((3, 3, 2, 3), np.float32)
for name in sys.argv[1:]:
    print((conv2d if name == "conv2d" else depthwise_conv2d)(x, k).shape[-1])
"""


def test_operations_of_the_same_signature_cached_by_two_processes_call_their_own(tmp_path):
    """conv2d and depthwise_conv2d take the same types: each compiled and cached in a process
    of its own, then both loaded in a third, each must still reach its own kernel (3 and
    2 × 3 output channels)."""
    (tmp_path / "one_operation.py").write_text(ONE_OPERATION)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"), NUMBA_OPT="1")
    for names in (["conv2d"], ["depthwise_conv2d"], ["conv2d", "depthwise_conv2d"]):
        run = subprocess.run([sys.executable, str(tmp_path / "one_operation.py"), *names],
                             env=env, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["3", "6"]


def test_the_callers_code_does_not_contain_the_kernel():
    @njit
    def caller(x, k):
        return conv2d(x, k, 1, "SAME")

    x, k = np.ones((2, 6, 6, 1)), np.ones((3, 3, 1, 2))
    np.testing.assert_allclose(caller(x, k), conv2d(x, k, padding="SAME"))
    ir = caller.overloads[caller.signatures[0]].library.get_llvm_str()
    declared = [line for line in ir.splitlines() if "adcompiler.kernel.adcompiler.runtime" in line]
    assert declared and all(line.startswith("declare") or "call" in line for line in declared)
    assert "define" not in " ".join(declared)
    assert "_conv2d_in_chunks" not in ir


def test_a_kernel_returning_another_type_than_the_caller_expects_is_an_error():
    argtypes = (types.float64[:, :, :, ::1], types.float64[:, :, :, ::1],
                types.UniTuple(types.int64, 2), types.unicode_type)
    assert load("adcompiler.runtime.conv", "conv2d", argtypes).return_type.ndim == 4
    with pytest.raises(RuntimeError, match="clear numba's cache"):
        load("adcompiler.runtime.conv", "conv2d", argtypes, types.float32[:, :])


def test_a_kernel_name_is_registered_once():
    from adcompiler.runtime.unlinked import unlinked

    def scaled_sines(x):
        return x
    scaled_sines.__module__ = "adcompiler.runtime.conv"
    scaled_sines.__qualname__ = "conv2d"
    with pytest.raises(ValueError, match="registered already"):
        unlinked(njit(scaled_sines))


def test_the_kernels_run_with_numbas_jit_disabled():
    script = textwrap.dedent('''
        import numpy as np
        from adcompiler.runtime import conv
        x = np.arange(72.0).reshape(2, 6, 6, 1) / 72
        k = np.arange(18.0).reshape(3, 3, 1, 2) / 18
        y_bar = np.ones((2, 6, 6, 2))
        print(repr(float(conv.conv2d(x, k, 1, "SAME").sum())),
              repr(float(conv.conv2d_adjoint_kernel(y_bar, x, k, (1, 1), "SAME").sum())))
    ''')
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=dict(os.environ, NUMBA_DISABLE_JIT="1"))
    assert run.returncode == 0, run.stderr
    x = np.arange(72.0).reshape(2, 6, 6, 1) / 72
    k = np.arange(18.0).reshape(3, 3, 1, 2) / 18
    from adcompiler.runtime import conv
    expected = (conv2d(x, k, 1, "SAME").sum(),
                conv.conv2d_adjoint_kernel(np.ones((2, 6, 6, 2)), x, k, (1, 1), "SAME").sum())
    np.testing.assert_allclose([float(v) for v in run.stdout.split()], expected, rtol=1e-12)
