"""Arguments that are tuples, lists or dicts of arrays (pytrees), nested.

For arguments of given shapes the function is differentiated through a wrapper that takes
their leaves and rebuilds them, which the pipeline reads like any user function:

    def loss_flat(params_w, params_b, x):
        return loss({"w": params_w, "b": params_b}, x)

A gradient with respect to such an argument comes back in its shape.
"""
import ast
import hashlib
import linecache

from . import structures
from .naming import unique_name
from .parse import WrittenSource, parse_function, written_from


def is_structured(value):
    return type(value) in (tuple, list, dict)


def takes_structures(func):
    """True if one of ``func``'s parameters can only be a tuple or a dict: it is indexed by a
    string or unpacked (``a, b = p``). Such a function is normalized for the shapes of the
    arguments of each call only."""
    parsed = parse_function(func)
    params = set(parsed.params)
    for node in ast.walk(parsed.node):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) \
                and node.value.id in params and isinstance(node.slice, ast.Constant) \
                and isinstance(node.slice.value, str):
            return True
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], (ast.Tuple, ast.List)) \
                and isinstance(node.value, ast.Name) and node.value.id in params:
            return True
    return False


class Flat:
    """The wrapper of ``func`` for arguments ``values`` (``params`` their names), and how its
    leaves map back: ``leaves(values)`` are its arguments, ``wrt`` the leaves of ``wrt``,
    ``regroup(grads)`` the gradients in their arguments' shapes."""

    def __init__(self, func, params, values, wrt):
        self.shapes = [structures.flatten(v)[0] for v in values]
        taken = set(params) | {func.__name__}
        self.names, pieces = [], []
        for param, shape in zip(params, self.shapes):
            names = [unique_name(f"{param}{path}", taken) for path in structures.paths(shape)]
            taken |= set(names)
            self.names.append(names)
            pieces.append(_literal(shape, iter(names)))
        leaves = [n for names in self.names for n in names]
        text = (f"def {func.__name__}_flat({', '.join(leaves)}):\n"
                f"    return {func.__name__}({', '.join(pieces)})\n")
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        filename = f"<adcompiler arguments of {func.__qualname__} {digest}>"
        linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
        namespace = {func.__name__: func}
        exec(compile(text, filename, "exec"), namespace)     # noqa: S102
        self.function = written_from(namespace[f"{func.__name__}_flat"],
                                     WrittenSource(text, filename, 1, 0))
        position = {p: k for k, p in enumerate(params)}
        self.wrt = None if wrt is None else tuple(
            n for name in wrt for n in self.names[position[name]])
        self.groups = None if wrt is None else [
            (len(self.names[position[name]]), self.shapes[position[name]]) for name in wrt]

    @staticmethod
    def leaves(values):
        return [leaf for v in values for leaf in structures.flatten(v)[1]]

    def regroup(self, grads):
        """One gradient per ``wrt`` argument, in its shape, from the leaves' gradients."""
        grads = iter(grads)
        return tuple(structures.unflatten(shape, [next(grads) for _ in range(count)])
                     for count, shape in self.groups)


def _literal(shape, names):
    """Python source building a value of ``shape`` from the leaf names ``names``."""
    if shape is structures.LEAF:
        return next(names)
    if shape[0] == "dict":
        items = ", ".join(f"{k!r}: {_literal(d, names)}" for k, d in zip(shape[1], shape[2]))
        return "{" + items + "}"
    items = [_literal(d, names) for d in shape[1]]
    if shape[0] == "list":
        return "[" + ", ".join(items) + "]"
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"

