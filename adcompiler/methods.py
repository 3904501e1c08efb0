"""Methods and lambdas as plain functions that the pipeline can read.

A method of an object becomes a function of the attributes it reads:

    def loss(self, x):                         def loss(self_W, x):
        return np.sum(x @ self.W) * self.k ->      return np.sum(x @ self_W) * self_k

``self.x`` is spelled ``self_x``, of the same length, so every column of the text is the
user's and errors point at the user's file and line (``parse.written_from``). The attributes
named as ``parameters`` and every array attribute become parameters, in that order, before the
method's own; any other attribute (a number, a string, a tuple, a function) a global of the new
function holding the attribute's value then.

A lambda becomes ``def <name>(args): return <body>``, its body where the user wrote it.
"""
import ast
import inspect
import textwrap

import numpy as np

from .parse import WrittenSource, written_from


class MethodError(ValueError):
    """A method that cannot be made a function as written."""


def method_function(obj, method, parameters=(), name=None):
    """``(function, arrays)``: ``method`` (a function whose first parameter is the object) for
    ``obj``, as a function of (``parameters``..., ``arrays``..., its own parameters), where
    ``arrays`` are the names of the other array attributes it reads; ``attributes`` on the
    function lists every attribute made a constant, with its value."""
    lines, first_line = inspect.getsourcelines(method)
    filename = inspect.getsourcefile(method) or "<unknown>"
    indent = len(lines[0]) - len(lines[0].lstrip())
    text = textwrap.dedent("".join(lines))
    node = ast.parse(text).body[0]
    if node.decorator_list:
        raise MethodError(f"{method.__name__} must not be decorated")
    args = node.args
    if not args.args:
        raise MethodError(f"{method.__name__} must take self first")
    me = args.args[0].arg
    reads = _attribute_reads(obj, node, me, first_line)
    arrays = [a for a in reads if a not in parameters
              and isinstance(getattr(obj, a), np.ndarray)]
    namespace = dict(method.__globals__)
    if method.__closure__:
        namespace.update(inspect.getclosurevars(method).nonlocals)
    constants = {a: getattr(obj, a) for a in reads if a not in parameters and a not in arrays}
    namespace.update({f"{me}_{a}": value for a, value in constants.items()})
    name = name or method.__name__
    params = [f"{me}_{a}" for a in list(parameters) + arrays]
    own = ast.unparse(ast.arguments(posonlyargs=[], args=args.args[1:], vararg=args.vararg,
                                    kwonlyargs=args.kwonlyargs, kw_defaults=args.kw_defaults,
                                    kwarg=args.kwarg, defaults=args.defaults))
    header = f"def {name}({', '.join(params + [own] if own else params)}):"
    text, shift = _rewritten(text, node, me, header)
    function = _define(text, name, filename, first_line + shift, indent, namespace,
                       method.__globals__)
    function.attributes = constants
    return function, arrays


def lambda_function(func, name):
    """``func``, a lambda, as ``def name(args): return body`` read from its source line."""
    try:
        lines, first_line = inspect.getsourcelines(func)
    except (OSError, TypeError) as exc:
        raise MethodError(f"cannot read the source of the lambda ({exc}); define it in a "
                          "file") from exc
    filename = inspect.getsourcefile(func) or "<unknown>"
    text = textwrap.dedent("".join(lines))
    indent = len(lines[0]) - len(lines[0].lstrip()) if text[:1] != lines[0][:1] else 0
    tree, shift = _parse_fragment(text)
    code = func.__code__
    own = list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])
    found = [n for n in ast.walk(tree) if isinstance(n, ast.Lambda)
             and [a.arg for a in n.args.posonlyargs + n.args.args + n.args.kwonlyargs] == own]
    if len(found) != 1:
        raise MethodError(f"line {first_line} has {len(found) or 'no'} lambdas taking "
                          f"({', '.join(own)}): write the function with def")
    node = found[0]
    body = node.body
    column = body.col_offset - (shift if body.lineno == 1 else 0)
    segment = ast.get_source_segment(shift * "(" + text, body)
    if body.lineno == body.end_lineno and column > len("return "):
        line = " " * (column - len("return ")) + "return " + segment
    else:                           # over several lines: the columns are not kept
        line, indent = "    return (" + segment + ")", 0
    namespace = dict(func.__globals__)
    if func.__closure__:
        namespace.update(inspect.getclosurevars(func).nonlocals)
    arguments = node.args               # defaults: the values the lambda holds
    defaults = list(func.__defaults__ or ()) + list((func.__kwdefaults__ or {}).values())
    names = [f"_default{k}" for k in range(len(defaults))]
    namespace.update(zip(names, defaults))
    arguments.defaults = [ast.Name(n, ast.Load()) for n in names[:len(arguments.defaults)]]
    kw = iter(names[len(arguments.defaults):])
    arguments.kw_defaults = [None if d is None else ast.Name(next(kw), ast.Load())
                             for d in arguments.kw_defaults]
    source = f"def {name}({ast.unparse(arguments)}):\n{line}\n"
    return _define(source, name, filename, first_line + body.lineno - 2, indent, namespace,
                   func.__globals__)


def _parse_fragment(text):
    """``(tree, shift)``: the lines around a lambda, parsed as they are, or in parentheses (a
    lambda inside a call spread over several lines), ``shift`` the columns that added."""
    for shift, candidate in ((0, text), (0, text.rstrip().rstrip(",")), (1, f"({text})"),
                             (1, f"({text.rstrip().rstrip(',')})")):
        try:
            return ast.parse(candidate), shift
        except SyntaxError:
            continue
    raise MethodError("cannot parse the lambda's source line; write the function with def")


def _define(text, name, filename, first_line, indent, namespace, scope):
    padded = "\n" * max(first_line - 1, 0) + text
    exec(compile(padded, filename, "exec"), namespace)     # noqa: S102  (the user's own code)
    return written_from(namespace[name], WrittenSource(text, filename, max(first_line, 1),
                                                       indent, scope))


def _attribute_reads(obj, node, me, first_line):
    """The attributes of ``self`` the method reads, in order; refuse anything else done with
    ``self``."""
    def line(sub):
        return f"line {first_line + sub.lineno - 1}"
    reads, attributes = [], set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) \
                and sub.value.id == me:
            attributes.add(id(sub.value))
            if not isinstance(sub.ctx, ast.Load):
                raise MethodError(f"it assigns self.{sub.attr} ({line(sub)}); a differentiated "
                                  "method may only read attributes")
            if sub.end_lineno != sub.lineno:
                raise MethodError(f"write self.{sub.attr} on one line ({line(sub)})")
            if not hasattr(obj, sub.attr):
                raise MethodError(f"it reads self.{sub.attr} ({line(sub)}), which "
                                  f"{type(obj).__name__} does not have")
            if callable(getattr(type(obj), sub.attr, None)) and sub.attr not in vars(obj):
                raise MethodError(f"it calls the method self.{sub.attr} ({line(sub)}): write "
                                  "that as a function outside the class and call it")
            if sub.attr not in reads:
                reads.append(sub.attr)
    for sub in ast.walk(node):
        written = sub.value if isinstance(sub, ast.Subscript) and not isinstance(
            sub.ctx, ast.Load) else None
        while isinstance(written, ast.Subscript):
            written = written.value
        if isinstance(written, ast.Attribute) and isinstance(written.value, ast.Name) \
                and written.value.id == me:
            raise MethodError(f"it writes into self.{written.attr} ({line(sub)}); a "
                              "differentiated method may only read attributes")
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and sub.id == me and id(sub) not in attributes:
            raise MethodError(f"it uses {me} other than to read an attribute ({line(sub)})")
    return reads


def _rewritten(text, node, me, header):
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
    if body_line == node.lineno:        # def f(self, x): return ...: the body moves down a
        column = node.body[0].col_offset    # line, in its columns; the text starts a line up
        rest = lines[node.lineno - 1].encode()[column:].decode()
        lines[node.lineno - 1:node.lineno] = [header + "\n", " " * column + rest]
        return "".join(lines), -1
    lines[node.lineno - 1:body_line - 1] = [header + "\n"] + ["\n"] * (body_line - node.lineno - 1)
    return "".join(lines), 0
