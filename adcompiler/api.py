"""The user-facing API: grad, value_and_grad, adjoints, vjp, jvp, jacobian, hessian, hvp and
show, each a Derivative (derivative.py) of the user's function put to one use."""
import ast
import functools
import inspect

import numpy as np

from . import pytrees, structures
from .derivative import Derivative
from .spec import ADJOINTS, GRAD, JACOBIAN_FORWARD, JACOBIAN_REVERSE, JVP, VALUE_AND_GRAD, VJP


def _derive(func, wrt, of, output, jit, has_aux=False):
    def make(f):
        if isinstance(f, Derivative) and output == GRAD and not has_aux:
            return _GradOfGrad(f, wrt, of, jit)
        return Derivative(f, wrt, of, output, jit, several=isinstance(wrt, (tuple, list)),
                          has_aux=has_aux)
    return make if func is None else make(func)


class _GradOfGrad:
    """``grad(grad(f, wrt=i), wrt=j)``: the gradient with respect to x_j of the sum of
    d f / d x_i, that is, by the symmetry of second derivatives, the derivative of d f / d x_j
    along a tangent of ones on x_i: forward mode over the code of ``grad(f, wrt=j)``."""

    def __init__(self, inner, wrt, of, jit):
        if inner.program is None:
            raise TypeError("second derivatives take array arguments, not tuples, lists or "
                            "dicts")
        if inner.output != GRAD or inner.of is not None or inner.several \
                or inner.wrt[0] not in inner.program.params:
            raise TypeError("grad of a derivative needs grad(f) of the returned value with "
                            "respect to one parameter; use jvp, hvp or hessian otherwise")
        if of is not None:
            raise ValueError("of= cannot name a local of a derivative")
        self.inner = inner
        self.along = inner.wrt[0]
        outer = Derivative(inner.func, wrt, None, GRAD, jit, several=isinstance(wrt, (tuple, list)))
        if any(name not in outer.program.params for name in outer.wrt):
            raise ValueError("grad of a derivative is taken with respect to parameters")
        self.tangent = _Jvp(outer, (self.along,), jit)
        self.position = inner.program.params.index(self.along)
        functools.update_wrapper(self, inner, updated=())

    @property
    def source(self):
        return self.tangent.source

    def source_for(self, *args, **kwargs):
        return self.tangent.source_for(*args, **kwargs)

    def __call__(self, *args, **kwargs):
        values = self.inner.bind(args, kwargs)
        along = values[self.position]
        ones = np.ones(np.shape(along)) if isinstance(along, np.ndarray) else 1.0
        return self.tangent(values, (ones,))[1]

    def __repr__(self):
        return f"<adcompiler grad of {self.inner!r}>"


def grad(func=None, wrt=0, of=None, jit=True, has_aux=False):
    """The gradient of ``func``: ``grad(f)(x)`` is d f(x) / d x.

    ``wrt`` names what to differentiate with respect to: a parameter position or name, a local
    variable's name, or a tuple of them (the gradients then come as a tuple). ``of`` names the
    value to differentiate (default: the return value); a non-scalar value is summed first, as
    ``GradientTape.gradient`` does. Usable as ``@grad``, ``@grad(wrt=(0, 2))`` or ``grad(f, ...)``.
    ``jit=False`` runs the generated code as plain Python. With ``has_aux=True``, ``func``
    returns ``(value, aux)``: the value is differentiated and the call returns
    ``(gradient, aux)``.
    """
    return _derive(func, wrt, of, GRAD, jit, has_aux)


def value_and_grad(func=None, wrt=0, of=None, jit=True, has_aux=False):
    """Like ``grad``, but the call returns ``(value, gradient)``; with ``has_aux=True``,
    ``((value, aux), gradient)``."""
    return _derive(func, wrt, of, VALUE_AND_GRAD, jit, has_aux)


def adjoints(func=None, of=None, jit=True):
    """A function returning ``{name: d(output)/d(name)}`` for every float parameter and every
    local variable of ``func`` that has a derivative (its last value)."""
    return _derive(func, None, of, ADJOINTS, jit)


class _Pullback:
    def __init__(self, derivative, fn, module, values, outputs, several):
        self._derivative, self._fn, self._module = derivative, fn, module
        self._values, self._outputs, self._several = values, outputs, several

    def __call__(self, *cotangents):
        if len(cotangents) != len(self._outputs):
            raise TypeError(f"the pullback takes {len(self._outputs)} cotangent(s), one per "
                            f"returned value; got {len(cotangents)}")
        for k, (cotangent, output) in enumerate(zip(cotangents, self._outputs)):
            if np.shape(cotangent) != np.shape(output):
                raise ValueError(f"cotangent {k} has shape {np.shape(cotangent)}; the value it "
                                 f"weights has shape {np.shape(output)}")
        cotangents = [np.asarray(c, dtype=o.dtype) if isinstance(o, np.ndarray) else float(c)
                      for c, o in zip(cotangents, self._outputs)]
        try:
            result = self._fn(*self._values, *cotangents)
        except Exception as exc:
            raise self._derivative.located(exc, self._module, self._fn,
                                           (*self._values, *cotangents)) from None
        return result if self._several else (result,)


def vjp(func, wrt=None, jit=True):
    """``vjp(f)(*args)`` returns ``(f(*args), pullback)``; ``pullback(ct)`` returns the tuple of
    ``ct``-weighted gradients, one per ``wrt`` parameter (default: all). For a function that
    returns a tuple, the pullback takes one cotangent per returned value. The pullback runs the
    function's forward pass again. Arguments and results may be tuples, lists and dicts of
    arrays (gradients come back in their shapes, cotangents are given in theirs)."""
    params = list(inspect.signature(func).parameters)
    derivative = Derivative(func, tuple(params) if wrt is None else wrt, None, VJP, jit)

    def call(*args, **kwargs):
        derivative.refresh()
        values = derivative.bind(args, kwargs)
        if derivative.program is not None and not any(map(pytrees.is_structured, values)):
            return _vjp_at(derivative, values)
        flat = derivative.flat(values)
        value, pullback = _vjp_at(flat.derivative, flat.leaves(values))
        return value, lambda *cotangents: flat.regroup(pullback(*cotangents))
    call.derivative = derivative
    functools.update_wrapper(call, func)
    return call


def _vjp_at(derivative, values):
    fn, spec, module = derivative.compiled(derivative.kinds(values))
    try:
        value = getattr(module, derivative.program.name)(*values)
    except Exception as exc:
        raise derivative.located(exc, module) from None
    shape = derivative.program.result_shape
    outputs = value if isinstance(derivative.program.result, ast.Tuple) else (value,)
    pullback = _Pullback(derivative, fn, module, values, outputs, len(spec.wrt) > 1)
    if shape is None:
        return value, pullback
    return structures.unflatten(shape, value), lambda *cotangents: pullback(
        *structures.flatten(cotangents)[1])


class _Jvp:
    """``jvp(f)``: called as ``(primals, tangents)``, returns ``(value, tangent)``."""

    def __init__(self, func, wrt, jit, derivative=None):
        self.derivative = derivative or Derivative(func, wrt, None, JVP, jit)
        self._entries = {}
        self._flats = {}
        functools.update_wrapper(self, func, updated=())

    @property
    def source(self):
        return self.derivative.source

    def source_for(self, *args, **kwargs):
        return self.derivative.source_for(*args, **kwargs)

    def __call__(self, primals, tangents):
        primals, tangents = tuple(primals), tuple(tangents)
        derivative = self.derivative
        derivative.refresh()
        if derivative.program is None or any(map(pytrees.is_structured, primals)):
            return self._structured(primals, tangents)
        given = len(primals)
        if not derivative.plain or (derivative.program.hidden and given == derivative.arity):
            primals = tuple(derivative.bind(primals, {}))   # a partial's or a method's values
                                                            # first, global arrays last
        if len(primals) != len(derivative.program.params):
            raise TypeError(f"{derivative.func.__name__} takes {derivative.arity} arguments, "
                            f"got {given} primals")
        key = tuple([(v.dtype, v.ndim) if type(v) is np.ndarray else type(v) for v in primals])
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = derivative.compiled(derivative.kinds(primals))
        fn, spec, module = entry
        tangents = self._tangents(spec, primals, tangents, given)
        try:
            value, tangent = fn(*primals, *tangents)
        except Exception as exc:
            raise derivative.located(exc, module, fn, (*primals, *tangents)) from None
        shape = derivative.program.result_shape     # a nested tuple or a dict: rebuilt
        if shape is None:
            return value, tangent
        return structures.unflatten(shape, value), structures.unflatten(shape, tangent)

    def _structured(self, primals, tangents):
        """Tuple, list or dict primals (and tangents of the same shapes), through the wrapper
        taking their leaves; the value and tangent in the shape returned."""
        values = self.derivative.bind(primals, {})
        flat = self.derivative.flat(values)
        inner = self._flats.get(flat)
        if inner is None:
            inner = self._flats[flat] = _Jvp(flat.function, flat.wrt, self.derivative.jit,
                                             flat.derivative)
        names = self.derivative.wrt or list(inspect.signature(self.derivative.func).parameters)
        given = dict(zip(names, tangents))
        leaves = []
        for param, value in zip(self.derivative.signature.parameters, values):
            if self.derivative.wrt is not None and param not in given:
                continue
            tangent = given.get(param)
            count = len(structures.flatten(value)[1])
            leaves += [None] * count if tangent is None else structures.flatten(tangent)[1]
        return inner(flat.leaves(values), leaves)      # results in their shape

    def _tangents(self, spec, primals, tangents, given):
        """The tangents of ``spec.wrt``, from one per parameter (or one per ``wrt`` name); of
        a partial or a method, one per argument ``given``."""
        params = self.derivative.program.params
        names = self.derivative.wrt
        if names is None:               # one tangent per parameter of the callable given
            names = self.derivative.user_params if self.derivative.plain else \
                list(inspect.signature(self.derivative.target.original).parameters)[:given]
        if len(tangents) != len(names):
            raise TypeError(f"expected {len(names)} tangents (one per "
                            f"{'parameter' if self.derivative.wrt is None else 'wrt name'}), "
                            f"got {len(tangents)}")
        given = dict(zip(names, tangents))
        out = []
        for name in spec.wrt:
            tangent, primal = given.get(name), primals[params.index(name)]
            if tangent is None:                 # no tangent: a zero one
                tangent = np.zeros(np.shape(primal))
            if np.shape(tangent) != np.shape(primal):
                raise ValueError(f"tangent of {name!r} has shape {np.shape(tangent)}, its "
                                 f"primal {np.shape(primal)}")
            out.append(np.asarray(tangent, dtype=np.asarray(primal).dtype)
                       if isinstance(primal, np.ndarray) else float(tangent))
        for name in set(given) - set(spec.wrt):
            if given[name] is not None and np.any(np.asarray(given[name]) != 0):
                raise ValueError(f"{name!r} is an integer: its tangent must be 0 or None")
        return out

    def __repr__(self):
        return f"<adcompiler jvp of {self.derivative.func.__qualname__}>"


def jvp(func=None, wrt=None, jit=True):
    """Forward mode: ``jvp(f)(primals, tangents)`` returns ``(f(*primals), J·tangents)``, the
    derivative of ``f`` at ``primals`` along ``tangents`` in one sweep. ``tangents`` has one
    entry per parameter (None stands for zeros; an integer parameter's is 0 or None), or one per
    name of ``wrt``."""
    def make(f):
        return _Jvp(f, wrt, jit)
    return make if func is None else make(func)


def jacobian(func=None, wrt=0, mode="reverse", jit=True):
    """The Jacobian of ``func`` with respect to one parameter: ``jacobian(f)(*args)`` has shape
    ``f(*args).shape + args[wrt].shape``. ``mode="forward"`` fills it a column per input entry
    with the tangent function, ``mode="reverse"`` a row per output entry with the pullback:
    forward is cheaper when there are fewer inputs than outputs, reverse when there are more."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}: use 'reverse' or 'forward'")
    output = JACOBIAN_FORWARD if mode == "forward" else JACOBIAN_REVERSE

    def make(f):
        return Derivative(f, wrt, None, output, jit)
    return make if func is None else make(func)


def hessian(func=None, wrt=0, jit=True):
    """The Hessian of a scalar ``func`` with respect to one parameter, of shape
    ``x.shape + x.shape``: forward mode over the code of ``grad(func)``, a column per entry."""
    def make(f):
        return Derivative(grad(f, wrt=wrt, jit=jit), wrt, None, JACOBIAN_FORWARD, jit)
    return make if func is None else make(func)


def hvp(func=None, wrt=0, jit=True):
    """Hessian-vector products: ``hvp(f)(primals, v)`` is H·v, the Hessian of the scalar ``f``
    with respect to parameter ``wrt`` times ``v``, in one forward sweep over the gradient's
    code (no Hessian is formed)."""
    if isinstance(wrt, (tuple, list)):
        raise ValueError("hvp is taken with respect to one parameter: wrt=k")

    def make(f):
        tangent = _Jvp(grad(f, wrt=wrt, jit=jit), (wrt,), jit)

        def call(primals, v):
            return tangent(primals, (v,))[1]
        call.source_for = tangent.source_for
        functools.update_wrapper(call, f)
        return call
    return make if func is None else make(func)


MODES = ("reverse", "forward")


def show(func, *args, wrt=0, of=None, mode="reverse", file=None):
    """Print the generated derivative source of ``func`` (specialized to ``args`` if given):
    ``mode="reverse"`` its gradient, ``mode="forward"`` its tangent (JVP) function."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}: use 'reverse' or 'forward'")
    if mode == "forward":
        if of is not None:
            raise ValueError("of= applies to reverse mode; forward mode differentiates the "
                             "returned values")
        derivative = Derivative(func, wrt, None, JVP, True)
    else:
        derivative = grad(func, wrt=wrt, of=of)
    print(derivative.source_for(*args) if args else derivative.source, file=file)
