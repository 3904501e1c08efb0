"""What a derivative may be taken of, besides a plain function, and what it was made from.

- ``functools.partial(f, a, k=v)``: ``f``, with ``a`` passed first and ``k=v`` by keyword at
  every call;
- a bound method ``obj.method`` (or an object with a ``__call__`` method): the method as a
  function of the attributes it reads (methods.py), their current values passed at every call
  for arrays, constants of the generated code for numbers, strings, tuples and functions;
- a lambda: ``def`` of its body.

A derivative's code is generated from the values its function reads outside its parameters: the
globals and closure variables it reads (numbers, functions), and a method's number attributes.
``Target.changed()`` tells when one of them has been rebound since, so that the derivative is
made again rather than computed with the old value.
"""
import functools
import inspect

import numpy as np

from .errors import DifferentiationError
from .methods import MethodError, lambda_function, method_function

MISSING = object()


class Target:
    """A callable as a plain ``function``, with the values each call passes first."""

    def __init__(self, func):
        self.original = func
        self.keywords = {}
        self._leading = lambda: []
        self.watched = []               # (read the value now, the value the code was made with)
        self.function = self._resolve(func)
        self.bound = bool(self.keywords) or self.function is not func

    def _resolve(self, func):
        if isinstance(func, functools.partial):
            inner = Target(func.func)
            self.watched += inner.watched
            self.keywords = {**inner.keywords, **func.keywords}
            self._leading = lambda: [*inner.leading(), *func.args]
            return inner.function
        if inspect.ismethod(func) or (not inspect.isfunction(func) and not isinstance(func, type)
                                      and inspect.isfunction(getattr(type(func), "__call__", None))):
            obj = func.__self__ if inspect.ismethod(func) else func
            method = func.__func__ if inspect.ismethod(func) else type(func).__call__
            try:
                function, arrays = method_function(obj, method, (),
                                                   f"{type(obj).__name__}_{method.__name__}")
            except MethodError as exc:
                raise DifferentiationError(f"cannot differentiate {type(obj).__name__}."
                                           f"{method.__name__}: {exc}") from None
            self._leading = lambda: [getattr(obj, a) for a in arrays]
            self.watched += [(functools.partial(getattr, obj, a, MISSING), value)
                             for a, value in function.attributes.items()]
            self.watched += _cells(method)
            return function
        if inspect.isfunction(func) and func.__name__ == "<lambda>":
            try:
                function = lambda_function(func, f"lambda_{func.__code__.co_firstlineno}")
            except MethodError as exc:
                raise DifferentiationError(f"cannot differentiate the lambda: {exc}") from None
            self.watched += _cells(func)
            return function
        return func

    def leading(self):
        """The values passed before the caller's arguments (a partial's, a method's arrays)."""
        return self._leading()

    def names(self, wrt):
        """``wrt`` with positions in the original callable's parameters made names."""
        if wrt is None or not self.bound:
            return wrt
        params = list(inspect.signature(self.original).parameters)
        items = wrt if isinstance(wrt, (tuple, list)) else (wrt,)
        named = []
        for item in items:
            if isinstance(item, int) and not isinstance(item, bool):
                if not -len(params) <= item < len(params):
                    raise ValueError(f"wrt={item}: the function takes {len(params)} arguments")
                item = params[item]
            named.append(item)
        return tuple(named) if isinstance(wrt, (tuple, list)) else named[0]

    def watch(self, programs):
        """Also watch the globals and closure variables the normalized ``programs`` read."""
        for program in programs:
            parsed = program.parsed
            written = getattr(parsed.func, "__adc_source__", None)
            scope = written.scope if written is not None and written.scope is not None \
                else parsed.globals
            code = getattr(parsed.func, "__code__", None)      # None: a nested function
            cells = dict(zip(code.co_freevars, parsed.func.__closure__ or ())) if code else {}
            for name, value in parsed.read_outside.items():
                if isinstance(value, np.ndarray):   # passed at every call: never stale
                    continue
                if name in cells:
                    self.watched.append((functools.partial(_cell_value, cells[name]), value))
                elif name in scope:
                    self.watched.append((functools.partial(scope.get, name, MISSING), value))

    def changed(self):
        """The first watched value rebound since the code was made (its reader), or None."""
        for read, value in self.watched:
            now = read()
            if now is not value and not (type(now) is type(value) and _plain(value)
                                         and now == value):
                return read
        return None


def _cells(func):
    """Watchers of the closure variables of ``func``, whose values a written function copied."""
    return [(functools.partial(_cell_value, cell), _cell_value(cell))
            for cell in func.__closure__ or ()]


def _plain(value):
    return isinstance(value, (bool, int, float, complex, str, tuple, type(None)))


def _cell_value(cell):
    try:
        return cell.cell_contents
    except ValueError:
        return MISSING
