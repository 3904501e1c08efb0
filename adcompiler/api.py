"""The user-facing API: grad, value_and_grad, vjp, adjoints, show."""
import functools
import inspect
import numbers

import numpy as np

from . import analyze, codegen, compile as compiler, reverse
from .normalize import Library, normalize
from .reverse import ADJOINTS, GRAD, VALUE_AND_GRAD, VJP, Spec


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
        self.library = Library()
        self.program = normalize(func, self.library)
        self.signature = inspect.signature(func)
        self.wrt = self._wrt_names(wrt)
        self.of = of
        self._validate_of()
        self._compiled = {}
        self._sources = {}
        self._entries = {}
        self._arity = len(self.program.params)
        functools.update_wrapper(self, func)

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
                raise ValueError(f"wrt={item!r} is not a parameter or local variable of "
                                 f"{self.func.__name__}")
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
            raise ValueError(f"of={self.of!r} is not a parameter or local variable of "
                             f"{self.func.__name__}")

    # ------------------------------------------------------------------ specialization
    def _bind(self, args, kwargs):
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return list(bound.arguments.values())

    def _kinds(self, values):
        return tuple(_kind(p, v) for p, v in zip(self.program.params, values))

    def _spec(self, kinds):
        program = self.program
        integers = analyze.integers(analyze.types(program, dict(zip(program.params, kinds))))
        if self.output == ADJOINTS:
            params = [p for p in program.params if p not in integers]
            locals_ = [n for n in program.locals if n not in program.constant_locals
                       and program.final[n] not in integers]
            return Spec(tuple(params + locals_), self.of, ADJOINTS)
        for name in self.wrt:
            version = name if name in program.params else program.final[name]
            if version in integers:
                raise TypeError(f"cannot differentiate {self.func.__name__} with respect to "
                                f"{name!r}: it is an integer; pass a float")
        return Spec(self.wrt, self.of, self.output)

    def _source(self, kinds):
        if kinds not in self._sources:
            spec = self._spec(kinds)
            functions, name = reverse.build(self.program, spec,
                                            dict(zip(self.program.params, kinds)), self.library,
                                            f"{self.program.name}_{self.output}")
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
        fn, finish = entry
        return fn(*values) if finish is None else finish(fn(*values), values)

    def _entry(self, values):
        """(compiled function, finishing step or None) for arguments of these types."""
        fn, spec, _ = self._function(self._kinds(values))
        casts = _scalar_casts(spec, self.program.params, values)
        several = self.several and len(spec.wrt) == 1
        if self.output == ADJOINTS:
            return fn, lambda result, values: dict(zip(spec.wrt, _cast_all(casts, result)))
        if self.output == VALUE_AND_GRAD:
            if not (several or any(casts)):
                return fn, None
            return fn, lambda result, values: (
                result[0], _wrap(_cast_all(casts, result[1]), several))
        if not (several or any(casts)):
            return fn, None
        return fn, lambda result, values: _wrap(_cast_all(casts, result), several)

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
        return Derivative(f, wrt, of, output, jit, several=isinstance(wrt, (tuple, list)))
    return make if func is None else make(func)


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
    def __init__(self, fn, values, wrt, several):
        self._fn, self._values, self._wrt, self._several = fn, values, wrt, several

    def __call__(self, *cotangents):
        result = self._fn(*self._values, *cotangents)
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
        value = getattr(module, derivative.program.name)(*values)
        return value, _Pullback(fn, values, spec.wrt, len(spec.wrt) > 1)
    call.derivative = derivative
    functools.update_wrapper(call, func)
    return call


def show(func, *args, wrt=0, of=None, mode="reverse", file=None):
    """Print the generated derivative source of ``func`` (specialized to ``args`` if given)."""
    if mode != "reverse":
        raise ValueError(f"unknown mode {mode!r}: use mode='reverse'")
    derivative = grad(func, wrt=wrt, of=of)
    print(derivative.source_for(*args) if args else derivative.source, file=file)
