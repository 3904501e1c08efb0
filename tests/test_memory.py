"""Freed memory kept for the next step: counted in page faults, in new processes."""
import os
import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
    reason="the setting is glibc's")

STEPS = """
import resource, sys
import numpy as np
if sys.argv[1] == "runtime":
    import adcompiler.runtime

def step():
    arrays = [np.ones(150_000) for _ in range(16)]   # 16 arrays of 1.2 MB, then all freed
    del arrays

step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    step()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 10)
"""


def faults_per_step(imported, **environment):
    result = subprocess.run([sys.executable, "-c", STEPS, imported], capture_output=True,
                            text=True, env=dict(os.environ, **environment))
    assert result.returncode == 0, result.stderr
    return float(result.stdout.split()[-1])


def test_steps_reuse_the_memory_the_last_step_freed():
    pages = 16 * 150_000 * 8 / 4096
    assert faults_per_step("numpy") > pages / 2      # what the setting is for
    assert faults_per_step("runtime") < pages / 20


def test_the_users_own_malloc_settings_are_kept():
    pages = 16 * 150_000 * 8 / 4096
    assert faults_per_step("runtime", MALLOC_TOP_PAD_="0") > pages / 2
