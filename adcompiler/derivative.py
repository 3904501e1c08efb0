"""A derivative of a Python function: the pipeline on one screen. The function is normalized
once; for each kind of arguments (ranks, integer or float) the derivative is specialized,
written (assembly.py), rendered (codegen.py), loaded and compiled (compile.py), and its errors
told at the user's line (diagnose.py)."""
import ast
import functools
import inspect
import numbers

import numpy as np

from . import (analyze, assembly, codegen, compile as compiler, diagnose, pytrees, selection,
               structures)
from .callables import Target
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

    def __init__(self, func, wrt, of, output, jit, several=False, has_aux=False):
        self._made_with = (func, wrt, of, output, jit, several, has_aux)
        if has_aux and (output not in (GRAD, VALUE_AND_GRAD) or of is not None):
            raise ValueError("has_aux applies to grad and value_and_grad of the returned value "
                             "(not with of=)")
        self.has_aux = has_aux
        self.inner = func if isinstance(func, Derivative) else None
        self.target = None if self.inner else Target(func)
        if self.target is not None:     # a partial, method or lambda: its plain function
            func, wrt = self.target.function, self.target.names(wrt)
        self.func = func
        self.several = several          # wrt was a tuple: gradients come as a tuple
        self.jit = jit
        self.output = output
        self._programs = {}
        if self.inner is not None:      # differentiate the generated code of a derivative
            if self.inner.program is None:
                raise TypeError("second derivatives take array arguments, not tuples, lists "
                                "or dicts")
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
            # a function whose parameters are tuples or dicts: normalized per call's shapes
            self.program = None if pytrees.takes_structures(func) else \
                normalize(func, self.library, watch)
            self.target.watch(self.library.programs.values())
        self.signature = inspect.signature(func)
        self.wrt = selection.wrt_names(self.program, self.func, self.user_params, wrt)
        self.of = of
        selection.check_of(self.program, self.func, of)
        if output in JACOBIANS and self.program is None:
            if self.wrt is None or len(self.wrt) != 1:
                raise ValueError("a Jacobian is taken with respect to one parameter: wrt=k")
        elif output in JACOBIANS:
            if self.wrt is None or len(self.wrt) != 1 or self.wrt[0] not in self.program.params:
                raise ValueError("a Jacobian is taken with respect to one parameter: wrt=k")
            if isinstance(self.program.result, ast.Tuple):
                raise ValueError(f"{func.__name__} returns a tuple: a Jacobian needs one "
                                 "returned value")
        self._compiled = {}
        self._sources = {}
        self._entries = {}
        self._flats = {}
        self.arity = len(self.user_params)
        self.plain = self.target is None or not self.target.bound
        functools.update_wrapper(self, self._made_with[0], updated=())

    # ------------------------------------------------------------------ names
    @property
    def user_params(self):
        """The function's own parameters: the program's, without the global and closure
        arrays it reads (passed after them)."""
        if self.program is None:
            return list(self.signature.parameters)
        return self.program.user_params

    def hidden_values(self):
        """The current values of the global and closure arrays the function reads."""
        if self.program is None:
            return []
        return [reader() for _, reader in self.program.hidden.values()]

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
        if not self.plain:             # a partial's or a method's values first
            args, kwargs = (*self.target.leading(), *args), {**self.target.keywords, **kwargs}
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return list(bound.arguments.values()) + self.hidden_values()

    def kinds(self, values):
        return tuple(_kind(p, v) for p, v in zip(self.program.params, values))

    def _spec(self, kinds, program):
        integers = analyze.integers(analyze.types(program, dict(zip(program.params, kinds))))
        if self.output == ADJOINTS:
            params = [p for p in program.user_params if p not in integers]
            # a local's last value depends on the path after an early return: left out
            locals_ = [] if program.returns_early else [
                n for n in program.locals if n not in program.constant_locals
                and program.final[n] not in integers and n not in program.read_in_loop
                and n not in program.read_before_kept and n not in program.maybe_unbound]
            return Spec(tuple(params + locals_), self.of, ADJOINTS)
        if self.output == JVP and self.wrt is None:
            return Spec(tuple(p for p in program.user_params if p not in integers), None, JVP)
        for name in self.wrt:
            version = name if name in program.params else program.final[name]
            if version in integers:
                raise TypeError(f"cannot differentiate {self.func.__name__} with respect to "
                                f"{name!r}: it is an integer; pass a float")
        if self.has_aux:                # (value, aux) returned, the value differentiated
            return Spec(self.wrt, None, VALUE_AND_GRAD, aux=True)
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
            arguments = ", ".join(
                ("integer " if integer else "") + ("scalar" if rank == analyze.SCALAR else
                                                   f"{rank}-D array")
                for rank, integer in kinds)
            module = compiler.load(source, name, self.jit, f"the {self.output.replace('_', ' ')} "
                                   f"of {self.func.__qualname__}({arguments})")
            fn = self._compiled[kinds] = (getattr(module, name), spec, module)
        return fn

    @property
    def source(self):
        """The generated source when every argument may be an array."""
        if self.program is None:
            raise TypeError(f"{self.func.__name__} takes tuples or dicts: use source_for with "
                            "arguments")
        general = tuple((analyze.ARRAY, False) for _ in self.program.params)
        return self.generated(general)[0]

    def source_for(self, *args, **kwargs):
        """The generated source specialized for these arguments."""
        values = self.bind(args, kwargs)
        if self.program is None or any(map(pytrees.is_structured, values)):
            flat = self.flat(values)
            return flat.derivative.source_for(*flat.leaves(values))
        return self.generated(self.kinds(values))[0]

    def compile(self, *args, **kwargs):
        """Compile for arguments like these examples now (by computing the derivative at them
        once) rather than at the first call; returns the derivative."""
        self(*args, **kwargs)
        return self

    def refresh(self):
        """Make the derivative again if a global, closure variable or attribute its code was
        made with has been rebound since."""
        if self.target is not None and self.target.changed() is not None:
            self.__init__(*self._made_with)

    def __call__(self, *args, **kwargs):
        self.refresh()
        values = args if self.plain and not kwargs and len(args) == self.arity \
            and self.program is not None and not self.program.hidden \
            else self.bind(args, kwargs)
        key = tuple([(v.dtype, v.ndim) if type(v) is np.ndarray else type(v) for v in values])
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = self._entry(values)
        fn, finish, module = entry
        if module is None:              # tuple, list or dict arguments
            return self._structured(values)
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
        if self.program is None or any(map(pytrees.is_structured, values)):
            return None, None, None
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
        if self.has_aux:
            return self._with_aux(casts, several)
        if self.output == ADJOINTS:
            return lambda result, values: dict(zip(spec.wrt, _cast_all(casts, result)))
        if not (several or any(casts)):
            return None
        if self.output == VALUE_AND_GRAD:
            return lambda result, values: (
                result[0], _wrap(_cast_all(casts, result[1]), several))
        return lambda result, values: _wrap(_cast_all(casts, result), several)

    def flat(self, values):
        """This derivative of the wrapper taking the leaves of tuple, list and dict arguments
        ``values`` (pytrees.Flat; ``.derivative``, or ``.derivatives`` per leaf for a
        Jacobian)."""
        output = self.output
        if self.inner is not None or output == ADJOINTS:
            raise TypeError("second derivatives and adjoints take array arguments, not tuples, "
                            "lists or dicts")
        if self.of is not None or (self.wrt is not None and any(
                name not in self.user_params for name in self.wrt)):
            raise ValueError("with tuple, list or dict arguments, wrt names parameters and of "
                             "is not given")
        key = (output, tuple(structures.flatten(v)[0] for v in values))
        flat = self._flats.get(key)
        if flat is None:
            flat = self._flats[key] = pytrees.Flat(self.func, list(self.signature.parameters),
                                                   values, self.wrt)
            if output in JACOBIANS:         # one per leaf of the argument
                flat.derivatives = [Derivative(flat.function, leaf, None, output, self.jit)
                                    for leaf in flat.wrt]
            else:
                flat.derivative = Derivative(flat.function, flat.wrt, None, output, self.jit,
                                             several=True, has_aux=self.has_aux)
        return flat

    def _structured(self, values):
        flat = self.flat(values)
        if self.output in JACOBIANS:        # the Jacobian of each leaf, in the argument's shape
            leaves = flat.leaves(values)
            return flat.regroup([d(*leaves) for d in flat.derivatives])[0]
        result = flat.derivative(*flat.leaves(values))

        def grads(leaves):
            grouped = flat.regroup(leaves)
            return grouped if self.several else grouped[0]
        if self.has_aux and self.output == GRAD:
            return grads(result[0]), result[1]
        if self.output == VALUE_AND_GRAD:
            return result[0], grads(result[1])
        return grads(result)

    def _with_aux(self, casts, several):
        """The result of a derivative with ``has_aux``: ``((value, aux), gradients)`` for
        value_and_grad, ``(gradients, aux)`` for grad, as JAX gives them."""
        shape = self.program.result_shape

        def finish(result, values):
            outputs, grads = result
            returned = structures.unflatten(shape, outputs) if shape else outputs
            value, aux = returned[0], returned[1] if len(returned) == 2 else returned[1:]
            grads = _wrap(_cast_all(casts, grads), several)
            return ((value, aux), grads) if self.output == VALUE_AND_GRAD else (grads, aux)
        return finish

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
