"""A derivative of a Python function: the pipeline on one screen. The function is normalized
once; for each kind of arguments (ranks, integer or float) the derivative is specialized,
written (assembly.py), rendered (codegen.py), loaded and compiled (compile.py), and its errors
told at the user's line (diagnose.py)."""
import ast
import functools
import inspect
import numbers

import numpy as np

from . import analyze, assembly, codegen, compile as compiler, diagnose
from .normalize import Library, normalize
from .spec import (ADJOINTS, GRAD, JACOBIAN_FORWARD, JACOBIAN_REVERSE, JVP, VALUE_AND_GRAD,
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
        self.arity = len(self.program.params)
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
            source, _, name = self.inner.generated(kinds)
            generated = getattr(compiler.load(source, name, jit=False), name)
            library = Library(generated=True)
            self._programs[kinds] = (normalize(generated, library), library)
        return self._programs[kinds]

    def bind(self, args, kwargs):
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return list(bound.arguments.values())

    def kinds(self, values):
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

    def generated(self, kinds):
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

    def compiled(self, kinds):
        fn = self._compiled.get(kinds)
        if fn is None:
            source, spec, name = self.generated(kinds)
            module = compiler.load(source, name, self.jit)
            fn = self._compiled[kinds] = (getattr(module, name), spec, module)
        return fn

    @property
    def source(self):
        """The generated source when every argument may be an array."""
        general = tuple((analyze.ARRAY, False) for _ in self.program.params)
        return self.generated(general)[0]

    def source_for(self, *args, **kwargs):
        """The generated source specialized for these arguments."""
        return self.generated(self.kinds(self.bind(args, kwargs)))[0]

    def __call__(self, *args, **kwargs):
        values = args if not kwargs and len(args) == self.arity else self.bind(args, kwargs)
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
        fn, spec, module = self.compiled(self.kinds(values))
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
