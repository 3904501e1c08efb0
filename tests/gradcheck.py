"""Gradient checking against central finite differences, and the hypothesis strategies the tests
share. Checks a directional derivative: <grad f(x), v> against (f(x + h v) - f(x - h v)) / 2h for a
random direction v, which tests every component of the gradient at the cost of two calls.

Every check also runs forward mode: the JVP along random tangents v must match finite differences
along v, and agree with reverse mode, <J v, u> = <v, J^T u>, for a random cotangent u."""
import numpy as np
from hypothesis import strategies as st

import adcompiler as adc

STEP = 1e-6


def finite_difference(f, args, index, direction):
    plus, minus = _copies(args), _copies(args)     # f may write into its arguments
    x = np.asarray(args[index], dtype=np.float64)
    plus[index] = _like(x + STEP * direction, args[index])
    minus[index] = _like(x - STEP * direction, args[index])
    return (np.sum(f(*plus)) - np.sum(f(*minus))) / (2 * STEP)


def _copies(args):
    return [np.copy(a) if isinstance(a, np.ndarray) else a for a in args]


def _like(value, original):
    return value if isinstance(original, np.ndarray) else float(value)


def check_gradient(f, args, wrt=0, jit=True, rtol=1e-5, atol=1e-6, seed=0):
    """Assert grad(f) matches finite differences for every position in ``wrt``; return grads."""
    positions = wrt if isinstance(wrt, tuple) else (wrt,)
    grads = adc.grad(f, wrt=positions, jit=jit)(*args)
    rng = np.random.default_rng(seed)
    for position, g in zip(positions, grads):
        x = args[position]
        assert np.shape(g) == np.shape(x), f"gradient shape {np.shape(g)} != {np.shape(x)}"
        if isinstance(x, np.ndarray):
            assert g.dtype == x.dtype, f"gradient dtype {g.dtype} != {x.dtype}"
        direction = rng.standard_normal(np.shape(x))
        expected = finite_difference(f, args, position, direction)
        actual = np.sum(np.asarray(g, dtype=np.float64) * direction)
        scale = max(1.0, abs(expected))
        assert abs(actual - expected) <= rtol * scale + atol * scale, \
            f"wrt {position}: <grad, v> = {actual!r}, finite differences give {expected!r}"
    return grads


def check_forward(f, args, wrt=0, jit=True, gradients=None, rtol=1e-5, atol=1e-6, seed=1):
    """Assert jvp(f) matches finite differences and reverse mode (<J v, u> = <v, J^T u>);
    ``gradients``, if given, are grad(f)'s already computed for ``wrt``."""
    positions = wrt if isinstance(wrt, tuple) else (wrt,)
    rng = np.random.default_rng(seed)
    tangents = [rng.standard_normal(np.shape(args[k])) if k in positions else None
                for k in range(len(args))]
    tangents = [float(t) if t is not None and t.ndim == 0 else t for t in tangents]
    value, tangent = adc.jvp(f, jit=jit)(args, tangents)
    expected_value = f(*[np.copy(a) if isinstance(a, np.ndarray) else a for a in args])
    np.testing.assert_allclose(np.asarray(value, dtype=float),
                               np.asarray(expected_value, dtype=float), rtol=1e-9, atol=1e-12)
    assert np.shape(tangent) == np.shape(expected_value)
    plus = [_like(np.asarray(a, float) + STEP * t, a) if t is not None else a
            for a, t in zip(_copies(args), tangents)]
    minus = [_like(np.asarray(a, float) - STEP * t, a) if t is not None else a
             for a, t in zip(_copies(args), tangents)]
    expected = (np.asarray(f(*plus), float) - np.asarray(f(*minus), float)) / (2 * STEP)
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    np.testing.assert_allclose(np.asarray(tangent, float), expected, rtol=rtol,
                               atol=(rtol + atol) * scale, err_msg="jvp vs finite differences")
    cotangent = rng.standard_normal(np.shape(expected_value))
    if np.ndim(expected_value) == 0:
        if gradients is None:
            gradients = adc.grad(f, wrt=positions, jit=jit)(*args)
        pulled = [float(cotangent) * np.asarray(g, float) for g in gradients]
    else:
        pulled = adc.vjp(f, wrt=positions, jit=jit)(*args)[1](cotangent)
    forward = float(np.sum(np.asarray(tangent, float) * cotangent))
    reverse = sum(float(np.sum(np.asarray(tangents[k], float) * np.asarray(g, float)))
                  for k, g in zip(positions, pulled))
    assert abs(forward - reverse) <= 1e-8 * max(1.0, abs(forward)), \
        f"<J v, u> = {forward!r} but <v, J^T u> = {reverse!r}"
    return tangent


def check_both_modes(f, args, wrt=0, **tolerances):
    """Check the jit and pure-Python derivatives, reverse and forward, against finite
    differences and each other."""
    compiled = check_gradient(f, args, wrt, jit=True, **tolerances)
    python = check_gradient(f, args, wrt, jit=False, **tolerances)
    for a, b in zip(compiled, python):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    forward = [check_forward(f, args, wrt, jit, grads, **tolerances)
               for jit, grads in ((True, compiled), (False, python))]
    np.testing.assert_allclose(forward[0], forward[1], rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------------------ strategies

def shapes(min_dims=0, max_dims=3, max_side=4):
    return st.lists(st.integers(1, max_side), min_size=min_dims, max_size=max_dims).map(tuple)


@st.composite
def broadcast_shapes(draw, min_dims=0, max_dims=3):
    """A pair of shapes that broadcast together (size-1 axes and missing leading axes)."""
    full = draw(shapes(min_dims, max_dims))
    keep = draw(st.integers(0, len(full)))
    other = tuple(1 if draw(st.booleans()) else n for n in full[len(full) - keep:])
    return (full, other) if draw(st.booleans()) else (other, full)


def arrays(shape, low=-2.0, high=2.0, away_from=None):
    """float64 values in [low, high] of ``shape`` (a Python float for shape ())."""
    def build(seed):
        rng = np.random.default_rng(seed)
        x = rng.uniform(low, high, size=shape)
        if away_from is not None:
            near = np.abs(x - away_from) < 0.2
            x = np.where(near, away_from + 0.2 * np.sign(x - away_from + 1e-12) + 0.1, x)
        return float(x) if shape == () else x
    return st.integers(0, 2 ** 32 - 1).map(build)
