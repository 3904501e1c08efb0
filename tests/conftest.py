"""The test session compiles with numba's LLVM optimizations off (``NUMBA_OPT=0``, unless set):
it cuts numba's compile time, which is most of the tests' time, by half or more, and does not
change what the code computes (no fast-math: the same IEEE operations in the same order). The
main job and the benchmarks compile with numba's defaults.

numba's disk cache does not record the optimization level, so the unoptimized code of a test
session would be loaded by the next main job or benchmark (a kernel 100 times slower): the
session keeps numba's cache in a directory of its own (``NUMBA_CACHE_DIR``, inherited by the
processes it starts), unless one is set. Where numba says it cannot cache a function, that
warning is not shown."""
import os
import tempfile
from pathlib import Path

os.environ.setdefault("NUMBA_OPT", "0")     # read when numba is first imported, after this
if os.environ["NUMBA_OPT"] == "0":
    _base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    _cache = Path(_base) / "adcompiler-tests-unoptimized"
    try:
        _cache.mkdir(parents=True, exist_ok=True)
    except OSError:
        _cache = Path(tempfile.mkdtemp(prefix="adcompiler-tests-"))
    os.environ.setdefault("NUMBA_CACHE_DIR", str(_cache))


def pytest_configure(config):
    config.addinivalue_line("filterwarnings", "ignore:Cannot cache compiled function")
