"""The twin mechanism of the helpers: a plain NumPy function, used when derivatives run as pure
Python, and its numba ``@overload``, used inside ``njit`` code, typed from its arguments."""
from numba import types
from numba.core.errors import TypingError
from numba.extending import overload
from numba.np.numpy_support import as_dtype


def jit_twin(py_func, inline=False):
    """Register the decorated typing function as ``py_func``'s numba implementation.
    ``inline``: a few lines, inlined where no argument is an array, so that the optimizer sees
    through a scalar's zero or an adjoint accumulated in a loop (numba's own calls hide them)."""
    def register(typer):
        overload(py_func, prefer_literal=True,
                 inline=_on_scalars if inline else "never")(typer)
        return py_func
    return register


def _on_scalars(call, caller, callee):
    """numba's inlining choice for a call: inline it if none of its arguments is an array."""
    return not any(is_array(caller.typemap[arg.name]) for arg in call.args)


def is_array(t):
    return isinstance(t, types.Array)


def literal(t, what):
    """The value of a compile-time constant argument (``None`` for an omitted one)."""
    if t is None or isinstance(t, (types.NoneType, types.Omitted)):
        return getattr(t, "value", None)
    if isinstance(t, types.Literal):
        return t.literal_value
    raise TypingError(f"{what} must be a constant in the differentiated function")


def scalar_of(t, value):
    return as_dtype(t).type(value)
