"""A layer's ``call`` method as a plain function of its weights, which adcompiler can
differentiate like any user function:

    def call(self, inputs):                          def my_dense_call(self_W, self_b, inputs):
        z0 = inputs[:, 0] * self.W[0, 0] + ...  ->       z0 = inputs[:, 0] * self_W[0, 0] + ...

Each ``self.<weight>`` becomes a parameter, each ``self.<array>`` set in ``__init__`` a constant
parameter after the weights, and each other ``self.<attribute>`` (a number, a string, a tuple, a
function) a global of the new function holding the attribute's value. ``self.x`` becomes
``self_x``, of the same length, so every column of the text is the user's: errors point at the
user's file and line (``adcompiler.parse.written_from``).
"""
import ast
import inspect
import linecache
import textwrap

import numpy as np

from adcompiler.parse import WrittenSource, written_from


class LayerError(ValueError):
    """A layer that cannot be used as written, named in the message."""


def layer_function(layer):
    """``(function, constants)``: ``layer.call`` as a function of (weights..., constant
    arrays..., call's own parameters); ``constants`` the names of the constant arrays."""
    method = _call_method(layer)
    lines, first_line = inspect.getsourcelines(method)
    filename = inspect.getsourcefile(method) or "<unknown>"
    indent = len(lines[0]) - len(lines[0].lstrip())
    text = textwrap.dedent("".join(lines))
    node = ast.parse(text).body[0]
    if node.decorator_list:
        raise _error(layer, "call must not be decorated")
    args = node.args
    if not args.args:
        raise _error(layer, "call must take self and the inputs")
    me = args.args[0].arg
    reads = _attribute_reads(layer, node, me, first_line)
    constants = [a for a in reads if a not in layer.weight_names
                 and isinstance(getattr(layer, a), np.ndarray)]
    namespace = dict(method.__globals__)
    if method.__closure__:
        namespace.update(inspect.getclosurevars(method).nonlocals)
    for attr in reads:
        if attr not in layer.weight_names and attr not in constants:
            namespace[f"{me}_{attr}"] = getattr(layer, attr)
    name = f"{identifier(layer.name)}_call"
    params = [f"{me}_{a}" for a in layer.weight_names + constants]
    own = ast.unparse(ast.arguments(posonlyargs=[], args=args.args[1:], vararg=args.vararg,
                                    kwonlyargs=args.kwonlyargs, kw_defaults=args.kw_defaults,
                                    kwarg=args.kwarg, defaults=args.defaults))
    text = _rewritten(text, node, reads, me, f"def {name}({', '.join(params + [own] if own else params)}):")
    padded = "\n" * (first_line - 1) + text
    exec(compile(padded, filename, "exec"), namespace)     # noqa: S102  (the user's own code)
    function = namespace[name]
    return written_from(function, WrittenSource(text, filename, first_line, indent)), constants


def _call_method(layer):
    for cls in type(layer).__mro__:
        if "call" in vars(cls):
            method = vars(cls)["call"]
            if not inspect.isfunction(method):
                raise _error(layer, "call must be a plain method")
            return method
    raise _error(layer, "the layer has no call method")


def _attribute_reads(layer, node, me, first_line):
    """The attributes of ``self`` that ``call`` reads, in order; refuse anything else done
    with ``self``."""
    def line(sub):
        return f"line {first_line + sub.lineno - 1}"

    reads = []
    attributes = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) \
                and sub.value.id == me:
            attributes.add(id(sub.value))
            if not isinstance(sub.ctx, ast.Load):
                raise _error(layer, f"call assigns self.{sub.attr} ({line(sub)}); "
                                    "call may only read attributes")
            if sub.end_lineno != sub.lineno:
                raise _error(layer, f"write self.{sub.attr} on one line")
            if not hasattr(layer, sub.attr):
                raise _error(layer, f"call reads self.{sub.attr}, which the layer does not "
                                    "have: set it in __init__ or build")
            if callable(getattr(type(layer), sub.attr, None)) and sub.attr not in vars(layer):
                raise _error(layer, f"call uses the method self.{sub.attr}: write it as a "
                                    "function outside the class and call that")
            if sub.attr not in reads:
                reads.append(sub.attr)
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and sub.id == me and id(sub) not in attributes \
                and sub is not node.args.args[0]:
            raise _error(layer, f"call uses {me} other than to read an attribute "
                                f"({line(sub)})")
    return reads


def _rewritten(text, node, reads, me, header):
    """``text`` with ``self.x`` spelled ``self_x`` and the def line(s) replaced by ``header``,
    line and column numbers kept."""
    lines = text.splitlines(keepends=True)
    spans = sorted(((sub.lineno, sub.col_offset, sub.end_col_offset, sub.attr)
                    for sub in ast.walk(node) if isinstance(sub, ast.Attribute)
                    and isinstance(sub.value, ast.Name) and sub.value.id == me),
                   reverse=True)
    for lineno, start, end, attr in spans:
        line = lines[lineno - 1].encode()
        new = f"{me}_{attr}".ljust(end - start).encode()
        lines[lineno - 1] = (line[:start] + new + line[end:]).decode()
    body_line = node.body[0].lineno
    if body_line == node.lineno:
        raise LayerError("write the body of call on the lines after its def")
    lines[node.lineno - 1:body_line - 1] = [header + "\n"] + ["\n"] * (body_line - node.lineno - 1)
    return "".join(lines)


def identifier(name):
    """``name`` as a Python identifier."""
    out = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    return out if out[:1].isalpha() else "layer_" + out


def _error(layer, message):
    return LayerError(f"layer {layer.name!r} ({type(layer).__name__}): {message}")


def register_source(filename, text):
    """Make ``text`` the lines of ``filename`` for tracebacks and source readers."""
    linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
