"""Loop tapes and trip counts, and the buffers Jacobian drivers fill column by column or row
by row."""
import numpy as np
from numba import types
from numba.np.numpy_support import as_dtype

from .twins import is_array, jit_twin


def tape_for(n, like):
    """Room for ``n`` scalars like ``like``: a loop's tape when its trip count is known. A
    value a loop carries may change type from one iteration to the next (float32, then float64
    from an operation on float64 arrays), so compiled, the room is float64 for any float (which
    holds a float32 exactly); in pure Python, room for any objects, which come back as they
    were stored."""
    return np.empty(n, object)


@jit_twin(tape_for, inline=True)
def _tape_for(n, like):
    dtype = np.float64 if isinstance(like, types.Float) else as_dtype(like)
    return lambda n, like: np.empty(n, dtype)


SCALAR_TAPE_ROOM = 4096


def scalar_tape(values):
    """Room for the scalars a loop of unknown trip count records (a list takes those past
    it): compiled, an array of the type the function's arguments ``values`` and float64
    promote to, which holds every non-integer scalar computed from them; in pure Python, room
    for any objects (as tape_for)."""
    return np.empty(SCALAR_TAPE_ROOM, object)


@jit_twin(scalar_tape)
def _scalar_tape(values):
    numbers = [as_dtype(t.dtype if is_array(t) else t) for t in values
               if is_array(t) or isinstance(t, (types.Number, types.Boolean))]
    dtype = np.result_type(np.float64, *numbers)
    return lambda values: np.empty(SCALAR_TAPE_ROOM, dtype)


def trip_count(start, stop, step):
    """How many times ``range(start, stop, step)`` iterates."""
    return len(range(start, stop, step))


@jit_twin(trip_count, inline=True)
def _trip_count(start, stop, step):
    def impl(start, stop, step):
        if step > 0:
            return max(0, (stop - start + step - 1) // step)
        return max(0, (start - stop - step - 1) // -step)
    return impl

# --------------------------------------------------------------------------- Jacobians

def jacobian_buffer(y, x):
    """Zeros of shape (y.size, x.size): a Jacobian, one row per output, one column per input."""
    return np.zeros((np.size(y), np.size(x)), np.result_type(np.asarray(x).dtype, np.float32))


@jit_twin(jacobian_buffer)
def _jacobian_buffer(y, x):
    dtype = x.dtype if is_array(x) and isinstance(x.dtype, types.Float) else types.float64
    if is_array(y) and is_array(x):
        return lambda y, x: np.zeros((y.size, x.size), dtype)
    if is_array(y):
        return lambda y, x: np.zeros((y.size, 1), dtype)
    if is_array(x):
        return lambda y, x: np.zeros((1, x.size), dtype)
    return lambda y, x: np.zeros((1, 1), dtype)


def unit_like(x, k):
    """The ``k``-th unit vector in the shape of ``x`` (1.0 for a scalar)."""
    if not isinstance(x, np.ndarray):
        return 1.0
    e = np.zeros(x.shape, x.dtype if x.dtype.kind == "f" else np.float64)
    e.flat[k] = 1
    return e


@jit_twin(unit_like)
def _unit_like(x, k):
    if not is_array(x):
        return lambda x, k: 1.0
    dtype = x.dtype if isinstance(x.dtype, types.Float) else types.float64

    def impl(x, k):
        e = np.zeros(x.size, dtype)
        e[k] = 1
        return e.reshape(x.shape)
    return impl


def store_column(jac, k, t):
    """``jac[:, k] = t`` (flattened)."""
    jac[:, k] = np.ravel(t)


@jit_twin(store_column)
def _store_column(jac, k, t):
    if not is_array(t):
        def scalar(jac, k, t):
            jac[0, k] = t
        return scalar

    def impl(jac, k, t):
        jac[:, k] = np.ascontiguousarray(t).ravel()
    return impl


def store_row(jac, k, g):
    """``jac[k, :] = g`` (flattened)."""
    jac[k, :] = np.ravel(g)


@jit_twin(store_row)
def _store_row(jac, k, g):
    if not is_array(g):
        def scalar(jac, k, g):
            jac[k, 0] = g
        return scalar

    def impl(jac, k, g):
        jac[k, :] = np.ascontiguousarray(g).ravel()
    return impl
