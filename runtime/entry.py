"""The public face of a kernel: one numba-compilable body, callable from Python and from
compiled (generated) code alike, with the same checks on both paths.

From Python, a wrapper checks the array arguments' ranks and dtypes and calls the body compiled
with ``njit(cache=True)``; inside numba code, an ``@overload`` twin makes the same checks while
typing and calls the same compiled body by address (``unlinked``: linking it would compile it
again in every caller).
Value checks (shapes that must agree, padding names) live in the body, so they run on both paths.
"""
import functools
import inspect

import numpy as np
from numba import njit, types
from numba.core.errors import TypingError
from numba.extending import overload

from adcompiler.rules import importable

from .geometry import pair, strides_or
from .unlinked import forwarder

FLOATS = (np.float32, np.float64)


def operation(ranks, same_dtype=(), scalar_like=None, canonical=None, labels=()):
    """Make the decorated body a public operation of the same name. ``ranks`` maps each array
    parameter to its accepted ranks (an int, a tuple of ints, or None for any); the parameters
    in ``same_dtype`` must share one dtype; ``scalar_like`` names the parameter whose dtype a
    scalar result has. ``canonical`` maps parameters to expressions (in the parameters, ``pair``
    and ``strides_or``) that give them one type, such as a pair for an int or a pair stride:
    with arrays made contiguous, each kernel is compiled for few signatures. Parameters in
    ``labels`` may also be integer arrays."""
    def make(body):
        compiled = njit(cache=True)(body)
        signature = inspect.signature(body)
        name = body.__name__
        arguments = _canonical_arguments(signature, ranks, canonical or {})
        canonicalize = eval(f"lambda {', '.join(signature.parameters)}: ({arguments},)",
                            dict(_NAMESPACE))

        def check(given, check_one, error):
            for param, accepted in ranks.items():
                if param in given:
                    check_one(name, param, given[param], accepted, param in labels)
            _check_same(name, {p: given[p].dtype for p in same_dtype if p in given}, error)

        @functools.wraps(body)
        def public(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            check(bound.arguments, _check_array, TypeError)
            bound.apply_defaults()
            result = compiled(*canonicalize(**bound.arguments))
            if scalar_like is not None:     # numba returns float32 scalars as Python floats
                return bound.arguments[scalar_like].dtype.type(result)
            return result

        public.__signature__ = signature
        forward = forwarder(compiled, signature, arguments, _NAMESPACE)

        def typer(*args, **kwargs):
            check(signature.bind_partial(*args, **kwargs).arguments, _check_type, TypingError)
            return forward

        overload(public, strict=False)(typer)
        return importable(public)
    return make


_NAMESPACE = {"np": np, "pair": pair, "strides_or": strides_or}


def _canonical_arguments(signature, ranks, canonical):
    """The text of the arguments passed to the compiled body."""
    return ", ".join(canonical.get(p, f"np.ascontiguousarray({p})" if p in ranks else p)
                     for p in signature.parameters)


def _accepts(accepted, ndim):
    return accepted is None or ndim in (accepted if isinstance(accepted, tuple) else (accepted,))


def _rank_text(accepted):
    if accepted is None:
        return "array"
    options = accepted if isinstance(accepted, tuple) else (accepted,)
    return " or ".join(f"{n}-D" for n in options) + " array"


def _kinds_text(integer):
    return "an integer or float" if integer else "a float32 or float64"


def _check_array(name, param, value, accepted, integer=False):
    kinds = np.integer if integer else np.floating
    if not isinstance(value, np.ndarray) or value.dtype not in FLOATS and not (
            integer and np.issubdtype(value.dtype, kinds)):
        what = f"{value.dtype} array" if isinstance(value, np.ndarray) else type(value).__name__
        raise TypeError(f"{name}: {param} must be {_kinds_text(integer)} array, not a {what} "
                        f"(convert it with np.asarray({param}, np.float32))")
    if not _accepts(accepted, value.ndim):
        raise ValueError(f"{name}: {param} must be a {_rank_text(accepted)}, "
                         f"not of shape {value.shape}")


def _check_type(name, param, numba_type, accepted, integer=False):
    kinds = (types.Float, types.Integer) if integer else types.Float
    if not (isinstance(numba_type, types.Array) and isinstance(numba_type.dtype, kinds)):
        raise TypingError(f"{name}: {param} must be {_kinds_text(integer)} array, "
                          f"not {numba_type}")
    if not _accepts(accepted, numba_type.ndim):
        raise TypingError(f"{name}: {param} must be a {_rank_text(accepted)}, "
                          f"not {numba_type.ndim}-D")


def _check_same(name, dtypes, error):
    if len(set(dtypes.values())) > 1:
        listed = ", ".join(f"{p} is {d}" for p, d in dtypes.items())
        raise error(f"{name}: {' and '.join(dtypes)} must have the same dtype ({listed})")


def in_dtype_of(array, like):
    """``array`` converted to ``like``'s dtype (itself when it has it): an adjoint in another
    precision (user code mixing float32 and float64) goes to BLAS in the operands' own."""
    return array if array.dtype == like.dtype else array.astype(like.dtype)


@overload(in_dtype_of)
def _in_dtype_of(array, like):
    if array.dtype == like.dtype:
        return lambda array, like: array
    return lambda array, like: array.astype(like.dtype)
