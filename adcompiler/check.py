"""``check_grad``: a function's derivatives against central finite differences.

Like JAX's ``check_grads`` and PyTorch's ``gradcheck``: for random directions ``v`` (one per
parameter checked) and a random cotangent ``u``, it compares
- reverse mode, ``<v, J^T u>``, with the finite difference ``<u, (f(x + h v) - f(x - h v)) / 2h>``;
- forward mode, ``J v``, with ``(f(x + h v) - f(x - h v)) / 2h``;
- the two modes with each other, ``<J v, u> = <v, J^T u>``;
- the value the derivative returns with the function's own.
Run it in float64: in float32 the differences are too coarse to say much.
"""
import numpy as np

from .api import jvp, vjp


class GradientCheckError(AssertionError):
    """A derivative that disagrees with finite differences or with the other mode."""


def check_grad(func, *args, wrt=None, modes=("reverse", "forward"), jit=True, eps=1e-6,
               rtol=1e-5, atol=1e-8, seed=0):
    """Check ``func``'s derivatives at ``args``; raise GradientCheckError on a mismatch,
    return True otherwise. ``wrt``: parameter positions to check (default: every float
    argument); ``modes``: "reverse", "forward" or both."""
    unknown = set(modes) - {"reverse", "forward"}
    if unknown:
        raise ValueError(f"unknown modes {sorted(unknown)}: use 'reverse' and/or 'forward'")
    args = tuple(args)
    positions = _positions(args, wrt)
    rng = np.random.default_rng(seed)
    directions = {k: _like(rng.standard_normal(np.shape(args[k])), args[k]) for k in positions}
    value = func(*_copies(args))
    cotangent = _cotangent(value, rng)
    expected = _difference(func, args, directions, eps)
    expected_inner = _inner(expected, cotangent)
    scale = max(1.0, abs(expected_inner))
    reverse_inner = None
    if "reverse" in modes:
        out, pullback = vjp(func, wrt=tuple(positions), jit=jit)(*_copies(args))
        _same_value(out, value, "vjp")
        cotangents = cotangent if isinstance(value, tuple) else (cotangent,)
        pulled = pullback(*cotangents)
        reverse_inner = sum(_inner(g, directions[k]) for k, g in zip(positions, pulled))
        _close(reverse_inner, expected_inner, rtol, atol, scale,
               "reverse mode: <v, J^T u> = {actual!r}, finite differences give {expected!r}")
    if "forward" in modes:
        tangents = [directions.get(k) for k in range(len(args))]
        out, tangent = jvp(func, jit=jit)(_copies(args), tangents)
        _same_value(out, value, "jvp")
        for got, want in zip(_parts(tangent), _parts(expected)):
            tolerance = rtol * max(1.0, float(np.max(np.abs(want), initial=0.0))) + atol
            if not np.allclose(got, want, rtol=rtol, atol=tolerance):
                raise GradientCheckError(f"forward mode: J v = {got!r}, finite differences "
                                         f"give {want!r}")
        if reverse_inner is not None:
            _close(_inner(tangent, cotangent), reverse_inner, 1e-8, 0.0, scale,
                   "<J v, u> = {actual!r} but <v, J^T u> = {expected!r}")
    return True


def _positions(args, wrt):
    if wrt is None:
        return [k for k, a in enumerate(args) if np.issubdtype(np.asarray(a).dtype, np.floating)]
    positions = list(wrt) if isinstance(wrt, (tuple, list)) else [wrt]
    return [k % len(args) for k in positions]


def _like(value, original):
    if isinstance(original, np.ndarray):
        return value.astype(original.dtype)
    return float(value)


def _copies(args):
    return tuple(np.copy(a) if isinstance(a, np.ndarray) else a for a in args)


def _parts(value):
    return value if isinstance(value, tuple) else (value,)


def _cotangent(value, rng):
    parts = tuple(_like(rng.standard_normal(np.shape(v)), v) for v in _parts(value))
    return parts if isinstance(value, tuple) else parts[0]


def _difference(func, args, directions, eps):
    """(f(x + eps v) - f(x - eps v)) / (2 eps), part by part for a tuple result."""
    def shifted(sign):
        moved = list(_copies(args))
        for k, v in directions.items():
            moved[k] = _like(np.asarray(args[k], np.float64) + sign * eps * np.asarray(v),
                             args[k])
        return func(*moved)
    plus, minus = shifted(1), shifted(-1)
    parts = tuple((np.asarray(p, np.float64) - np.asarray(m, np.float64)) / (2 * eps)
                  for p, m in zip(_parts(plus), _parts(minus)))
    return parts if isinstance(plus, tuple) else parts[0]


def _inner(a, b):
    return sum(float(np.sum(np.asarray(x, np.float64) * np.asarray(y, np.float64)))
               for x, y in zip(_parts(a), _parts(b)))


def _close(actual, expected, rtol, atol, scale, message):
    if not abs(actual - expected) <= rtol * scale + atol:
        raise GradientCheckError(message.format(actual=actual, expected=expected))


def _same_value(got, want, where):
    for g, w in zip(_parts(got), _parts(want)):
        if not np.allclose(np.asarray(g, np.float64), np.asarray(w, np.float64),
                           rtol=1e-9, atol=1e-12, equal_nan=True):
            raise GradientCheckError(f"{where} returns the value {g!r}; the function gives {w!r}")
