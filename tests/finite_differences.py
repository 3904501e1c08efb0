"""The finite-difference oracle of the random-program checks, and where it stops being one.

``derivative`` extrapolates central differences (Richardson) and declines where the function
is not smooth within its stencil. It also fails, without seeing a kink, where a program's
intermediate values are far above its inputs' scale: ``largest_intermediate`` measures that,
and a disagreement there is not judged."""
import sys

import numpy as np

STEP = 2e-4
KINK = 4e-6          # relative disagreement of one-sided differences that means "not smooth"
TOLERANCE = 2e-6     # relative tolerance of a first derivative against finite differences
ILL_CONDITIONED = 1e8   # a disagreement with intermediate values above this is not judged


def derivative(phi, h=STEP):
    """(d phi / dt at 0 by Richardson extrapolation, tolerance) or None where phi is not smooth
    over [-2h, 2h]; phi maps t to a float vector."""
    try:
        p = {k: phi(k * h / 2) for k in (-4, -2, -1, 0, 1, 2, 4)}
    except Exception:
        return None
    central, half = (p[2] - p[-2]) / (2 * h), (p[1] - p[-1]) / h
    richardson = (4 * half - central) / 3
    right = (-3 * p[0] + 4 * p[2] - p[4]) / (2 * h)
    left = (3 * p[0] - 4 * p[-2] + p[-4]) / (2 * h)
    scale = max(1.0, np.max(np.abs(richardson), initial=0))
    noise = 1e-13 * max(1.0, max(np.max(np.abs(v), initial=0) for v in p.values())) / h
    limit = KINK * scale + noise
    if np.max(np.abs(right - left), initial=0) > limit or \
            np.max(np.abs(central - half), initial=0) > limit:
        return None
    return richardson, TOLERANCE * scale + noise


def largest_intermediate(f, args):
    """The largest magnitude of a float value bound to a local of the program's functions
    while ``f`` runs on ``args``. Far above the inputs' scale (a value cubed in a loop), a
    periodic function of it (sin(v ** 2) at v ~ 1e11) oscillates below any finite-difference
    step: its derivative exists, but finite differences see noise."""
    largest, source = 0.0, f.__code__.co_filename

    def watch(frame, event, arg):
        nonlocal largest
        if frame.f_code.co_filename != source:
            return None
        for value in list(frame.f_locals.values()) + [arg]:
            if isinstance(value, (float, np.floating, np.ndarray)) and np.size(value) and \
                    np.issubdtype(np.asarray(value).dtype, np.floating):
                largest = max(largest, float(np.nanmax(np.abs(value))))
        return watch
    sys.settrace(watch)
    try:
        f(*[np.copy(a) if isinstance(a, np.ndarray) else a for a in args])
    except Exception:
        pass
    finally:
        sys.settrace(None)
    return largest
