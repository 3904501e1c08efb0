"""The test session compiles with numba's LLVM optimizations off (``NUMBA_OPT=0``, unless set):
it cuts numba's compile time, which is most of the tests' time, by half or more, and does not
change what the code computes (no fast-math: the same IEEE operations in the same order). The
main job and the benchmarks compile with numba's defaults. numba's disk cache keeps optimized
code only, so it says it cannot cache each function: that warning is not shown."""
import os

os.environ.setdefault("NUMBA_OPT", "0")     # read when numba is first imported, after this


def pytest_configure(config):
    config.addinivalue_line("filterwarnings", "ignore:Cannot cache compiled function")
