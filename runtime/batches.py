"""How the runtime's kernels share a batch among the cores.

A kernel splits its batch into chunks and runs the chunks in a numba ``prange`` loop, on
numba's threads (``NUMBA_NUM_THREADS``, every core by default). Where the chunks' results are
summed (a convolution kernel's adjoint), chunks have a fixed size, not one per thread, so results
do not depend on the number of threads: the partial sums are added in chunk order. A matrix
product, whose chunks' rows are independent, takes one block of rows per thread.

Inside a chunk the matrix products are BLAS calls, which must then run single-threaded: a
multithreaded BLAS called from several threads at once makes them wait on one another (a
LeNet-5 step went from 3 ms to 40 ms). So importing the runtime sets the BLAS that numba calls
(SciPy's) to one thread, with ``threadpoolctl``; NumPy's own BLAS is left as it is, unless
SciPy shares it.

numba starts its threads when a parallel kernel is compiled or loaded from its cache, but not
when compiled code that calls one (a generated derivative) is loaded from the cache, which then
crashes (numba issue 8578): importing the runtime starts them.

The threads are Intel TBB's when the ``tbb`` package is installed (a dependency on Linux):
GNU OpenMP's, numba's other choice, cannot run a kernel in a process forked after they started
(``multiprocessing``'s default on Linux: the child stops, "fork() called from a process already
using GNU OpenMP"). pip puts TBB's library in the environment's ``lib``, where numba does not
look, so the runtime loads it from there before starting the threads.
"""
import ctypes
import sys
from pathlib import Path

from numba import config, get_num_threads, njit

# numba's parallel compilation, for prange loops only (turning NumPy expressions into parallel
# loops as well makes each kernel slower to compile, for nothing here)
PRANGE_ONLY = {"prange": True, "numpy": False, "comprehension": False, "reduction": False,
               "setitem": False, "stencil": False, "fusion": False}
IMAGES_PER_CHUNK = 8      # a LeNet-5 conv1 chunk's patch matrix: 8 x 784 x 25 floats, 627 KB
ROWS_PER_CHUNK = 16       # the fewest rows of a matrix product's chunk
THREADS = config.NUMBA_NUM_THREADS   # a product with no sum across chunks: one per thread


@njit(cache=True)
def chunk_count(size, per_chunk):
    """The number of chunks of ``per_chunk`` that ``size`` items make (the last one shorter)."""
    return (size + per_chunk - 1) // per_chunk


@njit(cache=True)
def chunk_bounds(chunk, size, per_chunk):
    """[start, stop) of chunk number ``chunk``."""
    start = chunk * per_chunk
    return start, min(size, start + per_chunk)


def blas_called_by_numba():
    """threadpoolctl's controllers of the BLAS libraries numba's matrix products call: the ones
    SciPy ships, else (SciPy linked to a shared BLAS) every BLAS library loaded."""
    import scipy
    import scipy.linalg.cython_blas  # noqa: F401  (loads SciPy's BLAS)
    from threadpoolctl import ThreadpoolController

    libraries = ThreadpoolController().select(user_api="blas").lib_controllers
    package = Path(scipy.__file__).resolve().parent
    homes = (package, package.parent / "scipy.libs")
    own = [library for library in libraries
           if any(home in Path(library.filepath).resolve().parents for home in homes)]
    return own or libraries


def prepare_threads():
    """Start numba's threads (TBB's where installed) and set the BLAS that numba calls to one
    thread (see the module's docstring)."""
    tbb = Path(sys.prefix) / "lib" / "libtbb.so.12"
    if config.THREADING_LAYER == "default" and tbb.exists():
        ctypes.CDLL(str(tbb), mode=ctypes.RTLD_GLOBAL)     # found by name from now on
    get_num_threads()          # starts the threads
    for library in blas_called_by_numba():
        library.set_num_threads(1)
