"""The user-facing API: grad, value_and_grad, vjp, jvp, adjoints, show."""
import ast
import functools
import inspect
import numbers

import numpy as np

from . import analyze, assembly, codegen, compile as compiler, diagnose
from .normalize import Library, normalize
from .spec import (ADJOINTS, GRAD, JACOBIAN_FORWARD, JACOBIAN_REVERSE, JVP, VALUE_AND_GRAD, VJP,
                   Spec)

JACOBIANS = (JACOBIAN_FORWARD, JACOBIAN_REVERSE)


def _kind(name, value):
    """(rank, is_integer) of one argument; refuse what compiled code cannot take."""
    if isinstance(value, np.ndarray):
        return value.ndim, not np.issubdtype(value.dtype, np.inexact)
    if isinstance(value, (numbers.Number, np.generic)) and np.ndim(value) == 0:
        return analyze.SCALAR, isinstance(value, (numbers.Integral, np.bool_, bool))
    raise TypeError(f"argument {name!r} must be a number or a NumPy array, "
                    f"not {type(value).__name__}")


class Derivative:
    """A derivative of a Python function, compiled on first call for each kind of arguments.

    ``source`` is the generated code when every argument may be an array; ``source_for(*args)``
    the code for these arguments (scalar arguments give simpler code).
    """

    def __init__(self, func, wrt, of, output, jit, several=False):
        self.func = func
        self.several = several          # wrt was a tuple: gradients come as a tuple
        self.jit = jit
        self.output = output
        self.inner = func if isinstance(func, Derivative) else None
        self._programs = {}
        if self.inner is not None:      # differentiate the generated code of a derivative
            if self.inner.output != GRAD or self.inner.several:
                raise TypeError("only the code of grad(f) with one wrt can be differentiated "
                                "again")
            # the user's function stands for the generated code (same parameters); that code
            # is read back for each kind of arguments at the first call
            self.program, self.library = self.inner.program, self.inner.library
        else:
            self.library = Library()
            named = (wrt if isinstance(wrt, (tuple, list)) else (wrt,)) + (of,)
            watch = None if output == ADJOINTS else {n for n in named if isinstance(n, str)}
            self.program = normalize(func, self.library, watch)
        self.signature = inspect.signature(func)
        self.wrt = self._wrt_names(wrt)
        self.of = of
        self._validate_of()
        if output in JACOBIANS:
            if self.wrt is None or len(self.wrt) != 1 or self.wrt[0] not in self.program.params:
                raise ValueError("a Jacobian is taken with respect to one parameter: wrt=k")
            if isinstance(self.program.result, ast.Tuple):
                raise ValueError(f"{func.__name__} returns a tuple: a Jacobian needs one "
                                 "returned value")
        self._compiled = {}
        self._sources = {}
        self._entries = {}
        self._arity = len(self.program.params)
        functools.update_wrapper(self, func, updated=())

    # ------------------------------------------------------------------ names
    def _wrt_names(self, wrt):
        program = self.program
        if wrt is None:
            return None
        items = wrt if isinstance(wrt, (tuple, list)) else (wrt,)
        names = []
        for item in items:
            if isinstance(item, bool) or not isinstance(item, (int, str)):
                raise TypeError(f"wrt must name parameters by position or name, not {item!r}")
            if isinstance(item, int):
                if not -len(program.params) <= item < len(program.params):
                    raise ValueError(f"wrt={item}: {self.func.__name__} has "
                                     f"{len(program.params)} parameters")
                item = program.params[item]
            elif item not in program.params and item not in program.locals:
                raise self._unknown_name("wrt", item)
            elif item not in program.params and program.returns_early:
                raise ValueError(f"wrt={item!r}: {self.func.__name__} returns early, and a "
                                 f"local's last value then depends on the path taken; "
                                 f"differentiate with respect to a parameter instead")
            elif item in program.read_in_loop:
                loop = program.read_in_loop[item]
                raise program.parsed.error(loop, f"wrt={item!r}: {item} gets its last value "
                                           "inside this loop, which reads it again there; "
                                           "a derivative with respect to it would miss those "
                                           "uses: assign the value you mean to a new name")
            elif item in program.read_before_kept:
                raise program.parsed.error(
                    program.read_before_kept[item],
                    f"wrt={item!r}: a later branch or loop may leave {item} as it is here, so "
                    f"its last value may be the one this line reads; a derivative with respect "
                    f"to the final value would miss this use: assign the value you mean to a "
                    f"new name")
            elif item in program.maybe_unbound:
                raise ValueError(f"wrt={item!r}: {item} is first bound inside a loop or a "
                                 f"branch of {self.func.__name__} that may not run, so its "
                                 f"last value has no one place to nudge; give it a value "
                                 f"before that loop or branch")
            elif item in program.constant_locals:
                raise ValueError(f"wrt={item!r}: {item} has no derivative (it comes from "
                                 "shapes, comparisons or integer operations)")
            names.append(item)
        return tuple(names)

    def _validate_of(self):
        if self.of is None:
            return
        program = self.program
        if self.of not in program.params and self.of not in program.locals:
            raise self._unknown_name("of", self.of)

    def _unknown_name(self, keyword, name):
        if name in self.program.final:      # a local bound to a tuple
            return ValueError(f"{keyword}={name!r} names a tuple in {self.func.__name__}: "
                              f"unpack it (a, b = ...) and name one of its values")
        return ValueError(f"{keyword}={name!r} is not a parameter or local variable of "
                          f"{self.func.__name__}")

    # ------------------------------------------------------------------ specialization
    def _program_for(self, kinds):
        """(program, library) to differentiate for arguments of ``kinds``: the function's own,
        or, over a derivative, its generated code for those kinds, read back as Python."""
        if self.inner is None:
            return self.program, self.library
        if kinds not in self._programs:
            source, _, name = self.inner._source(kinds)
            generated = getattr(compiler.load(source, name, jit=False), name)
            library = Library(generated=True)
            self._programs[kinds] = (normalize(generated, library), library)
        return self._programs[kinds]

    def _bind(self, args, kwargs):
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return list(bound.arguments.values())

    def _kinds(self, values):
        return tuple(_kind(p, v) for p, v in zip(self.program.params, values))

    def _spec(self, kinds, program):
        integers = analyze.integers(analyze.types(program, dict(zip(program.params, kinds))))
        if self.output == ADJOINTS:
            params = [p for p in program.params if p not in integers]
            # a local's last value depends on the path after an early return: left out
            locals_ = [] if program.returns_early else [
                n for n in program.locals if n not in program.constant_locals
                and program.final[n] not in integers and n not in program.read_in_loop
                and n not in program.read_before_kept and n not in program.maybe_unbound]
            return Spec(tuple(params + locals_), self.of, ADJOINTS)
        if self.output == JVP and self.wrt is None:
            return Spec(tuple(p for p in program.params if p not in integers), None, JVP)
        for name in self.wrt:
            version = name if name in program.params else program.final[name]
            if version in integers:
                raise TypeError(f"cannot differentiate {self.func.__name__} with respect to "
                                f"{name!r}: it is an integer; pass a float")
        return Spec(self.wrt, self.of, self.output)

    def _source(self, kinds):
        if kinds not in self._sources:
            program, library = self._program_for(kinds)
            spec = self._spec(kinds, program)
            functions, name = assembly.build(program, spec, dict(zip(program.params, kinds)),
                                             library, f"{program.name}_{self.output}")
            where = f"{self.program.parsed.locator.filename}:{self.func.__qualname__}"
            header = (f"{self.output} of {self.func.__qualname__} ({where}), generated by "
                      f"adcompiler {compiler.build_hash()}. Do not edit.")
            self._sources[kinds] = (codegen.module_source(functions, header), spec, name)
        return self._sources[kinds]

    def _function(self, kinds):
        fn = self._compiled.get(kinds)
        if fn is None:
            source, spec, name = self._source(kinds)
            module = compiler.load(source, name, self.jit)
            fn = self._compiled[kinds] = (getattr(module, name), spec, module)
        return fn

    @property
    def source(self):
        """The generated source when every argument may be an array."""
        general = tuple((analyze.ARRAY, False) for _ in self.program.params)
        return self._source(general)[0]

    def source_for(self, *args, **kwargs):
        """The generated source specialized for these arguments."""
        return self._source(self._kinds(self._bind(args, kwargs)))[0]

    def __call__(self, *args, **kwargs):
        values = args if not kwargs and len(args) == self._arity else self._bind(args, kwargs)
        key = tuple([v.dtype if type(v) is np.ndarray else type(v) for v in values])
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = self._entry(values)
        fn, finish, module = entry
        try:
            return fn(*values) if finish is None else finish(fn(*values), values)
        except Exception as exc:
            raise self.located(exc, module, fn, values) from None

    def located(self, exc, module, fn=None, values=()):
        """``exc`` told at the user's line if it arose in generated code, else ``exc``. An
        error inside compiled code is located by running the same code as Python."""
        programs = list(self.library.programs.values()) + [
            program for program, _ in self._programs.values()]
        python = getattr(fn, "py_func", None)
        if python is not None and not type(exc).__module__.startswith("numba"):
            try:
                python(*values)
            except Exception as again:
                exc = again
        return diagnose.located(exc, module.__file__, programs) or exc

    def _entry(self, values):
        """(compiled function, finishing step or None, its module) for arguments of these
        types."""
        fn, spec, module = self._function(self._kinds(values))
        return (fn, self._finish(spec, values), module)

    def _finish(self, spec, values):
        """What turns the generated function's result into the caller's, or None."""
        if self.output in JACOBIANS:
            position = self.program.params.index(spec.wrt[0])
            return lambda result, values: result[1].reshape(
                np.shape(result[0]) + np.shape(values[position]))
        casts = _scalar_casts(spec, self.program.params, values)
        several = self.several and len(spec.wrt) == 1
        if self.output == ADJOINTS:
            return lambda result, values: dict(zip(spec.wrt, _cast_all(casts, result)))
        if not (several or any(casts)):
            return None
        if self.output == VALUE_AND_GRAD:
            return lambda result, values: (
                result[0], _wrap(_cast_all(casts, result[1]), several))
        return lambda result, values: _wrap(_cast_all(casts, result), several)

    def __repr__(self):
        return f"<adcompiler {self.output} of {self.func.__qualname__}>"


def _scalar_casts(spec, params, values):
    """For each gradient, the NumPy scalar type to give it, or None. numba returns every scalar
    as a Python float: a gradient gets its argument's type; a local's gradient the float type
    shared by the NumPy scalar arguments."""
    numpy_scalars = {type(v) for v in values if isinstance(v, np.floating)}
    shared = numpy_scalars.pop() if len(numpy_scalars) == 1 else None
    by_name = dict(zip(params, values))
    casts = []
    for name in spec.wrt:
        like = by_name.get(name)
        casts.append(type(like) if isinstance(like, np.floating) else
                     shared if name not in by_name else None)
    return casts


def _cast_all(casts, result):
    if len(casts) == 1 and not isinstance(result, tuple):
        cast = casts[0]
        return cast(result) if cast and isinstance(result, float) else result
    return tuple(cast(g) if cast and isinstance(g, float) else g
                 for cast, g in zip(casts, result))


def _wrap(result, several):
    return (result,) if several else result


def _derive(func, wrt, of, output, jit):
    def make(f):
        if isinstance(f, Derivative) and output == GRAD:
            return _GradOfGrad(f, wrt, of, jit)
        return Derivative(f, wrt, of, output, jit, several=isinstance(wrt, (tuple, list)))
    return make if func is None else make(func)


class _GradOfGrad:
    """``grad(grad(f, wrt=i), wrt=j)``: the gradient with respect to x_j of the sum of
    d f / d x_i, that is, by the symmetry of second derivatives, the derivative of d f / d x_j
    along a tangent of ones on x_i: forward mode over the code of ``grad(f, wrt=j)``."""

    def __init__(self, inner, wrt, of, jit):
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
        values = self.inner._bind(args, kwargs)
        along = values[self.position]
        ones = np.ones(np.shape(along)) if isinstance(along, np.ndarray) else 1.0
        return self.tangent(values, (ones,))[1]

    def __repr__(self):
        return f"<adcompiler grad of {self.inner!r}>"


def grad(func=None, wrt=0, of=None, jit=True):
    """The gradient of ``func``: ``grad(f)(x)`` is d f(x) / d x.

    ``wrt`` names what to differentiate with respect to: a parameter position or name, a local
    variable's name, or a tuple of them (the gradients then come as a tuple). ``of`` names the
    value to differentiate (default: the return value); a non-scalar value is summed first, as
    ``GradientTape.gradient`` does. Usable as ``@grad``, ``@grad(wrt=(0, 2))`` or ``grad(f, ...)``.
    ``jit=False`` runs the generated code as plain Python.
    """
    return _derive(func, wrt, of, GRAD, jit)


def value_and_grad(func=None, wrt=0, of=None, jit=True):
    """Like ``grad``, but the call returns ``(value, gradient)``."""
    return _derive(func, wrt, of, VALUE_AND_GRAD, jit)


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
    function's forward pass again."""
    params = list(inspect.signature(func).parameters)
    derivative = Derivative(func, tuple(params) if wrt is None else wrt, None, VJP, jit)

    def call(*args, **kwargs):
        values = derivative._bind(args, kwargs)
        fn, spec, module = derivative._function(derivative._kinds(values))
        try:
            value = getattr(module, derivative.program.name)(*values)
        except Exception as exc:
            raise derivative.located(exc, module) from None
        outputs = value if isinstance(derivative.program.result, ast.Tuple) else (value,)
        return value, _Pullback(derivative, fn, module, values, outputs, len(spec.wrt) > 1)
    call.derivative = derivative
    functools.update_wrapper(call, func)
    return call


class _Jvp:
    """``jvp(f)``: called as ``(primals, tangents)``, returns ``(value, tangent)``."""

    def __init__(self, func, wrt, jit):
        self.derivative = Derivative(func, wrt, None, JVP, jit)
        self._entries = {}
        functools.update_wrapper(self, func, updated=())

    @property
    def source(self):
        return self.derivative.source

    def source_for(self, *args, **kwargs):
        return self.derivative.source_for(*args, **kwargs)

    def __call__(self, primals, tangents):
        primals, tangents = tuple(primals), tuple(tangents)
        derivative = self.derivative
        if len(primals) != derivative._arity:
            raise TypeError(f"{derivative.func.__name__} takes {derivative._arity} arguments, "
                            f"got {len(primals)} primals")
        key = tuple([v.dtype if type(v) is np.ndarray else type(v) for v in primals])
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = derivative._function(derivative._kinds(primals))
        fn, spec, module = entry
        tangents = self._tangents(spec, primals, tangents)
        try:
            return fn(*primals, *tangents)
        except Exception as exc:
            raise derivative.located(exc, module, fn, (*primals, *tangents)) from None

    def _tangents(self, spec, primals, tangents):
        """The tangents of ``spec.wrt``, from one per parameter (or one per ``wrt`` name)."""
        params = self.derivative.program.params
        names = params if self.derivative.wrt is None else self.derivative.wrt
        if len(tangents) != len(names):
            raise TypeError(f"expected {len(names)} tangents (one per "
                            f"{'parameter' if self.derivative.wrt is None else 'wrt name'}), "
                            f"got {len(tangents)}")
        given = dict(zip(names, tangents))
        out = []
        for name in spec.wrt:
            tangent, primal = given[name], primals[params.index(name)]
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
