"""Lowering of ``break``, ``continue`` and early ``return`` to flags, before normalization.

    for i in range(n):              for i in range(n):
        if x[i] < 0:                    _break = False
            break                       if x[i] < 0:
        s = s + x[i]                        _break = True
                                        if not _break:
                                            s = s + x[i]
                                        # the loop stops when _break is set

Statements after one that may exit are guarded by ``if not <flag>:``; a loop whose body may
break has its break flag noted (``Lowered.breaks``). A function with an early return stores each
returned value in ``_return_value``, sets ``_returned``, and ends with ``return _return_value``;
it is assigned at most once per run, so normalization keeps it as one name (no versions;
``Lowered.return_value`` names it, or lists one name per element when every return is a tuple of
one size). Control flow thus becomes ordinary branches, which the reverse transform already
handles. Functions without these statements are left unchanged.
"""
import ast
from dataclasses import dataclass, field

from . import structures
from .naming import unique_name
from .nodes import load, store


@dataclass
class Lowered:
    """What the lowering of a function made: its flags and the statements it wrote."""
    return_value: object = None     # the name holding the returned value (a list of names for
                                    # a tuple), or None without an early return
    loop_flags: set = field(default_factory=set)    # break and continue flags: local to one
                                                    # loop body
    breaks: dict = field(default_factory=dict)      # id(loop) -> (loop, its break flag)
    synthetic: dict = field(default_factory=dict)   # id(statement) -> a statement it wrote

    def break_flag(self, loop):
        return self.breaks.get(id(loop), (None, None))[1]

    def wrote(self, statement):
        return id(statement) in self.synthetic


class Lowering:
    def __init__(self, taken):
        self.taken = set(taken)
        self.returned = self.value = self.shape = None
        self.lowered = Lowered()

    def fresh(self, hint):
        return unique_name(hint, self.taken, separator="")

    def synthetic(self, statement):
        """Note a statement the lowering wrote (comments then show its own code)."""
        self.lowered.synthetic[id(statement)] = statement
        return statement

    def function(self, body):
        """The lowered body of a function (a list of statements ending in a return)."""
        returns = [n for s in body for n in ast.walk(s) if isinstance(n, ast.Return)]
        early = len(returns) > 1 or not isinstance(body[-1], ast.Return)
        if not early and not any(isinstance(n, (ast.Break, ast.Continue))
                                 for s in body for n in ast.walk(s)):
            return body
        if early and returns:
            self.returned = self.fresh("_returned")
            shapes = {_literal_shape(r.value) for r in returns}
            self.shape = shapes.pop() if len(shapes) == 1 else structures.LEAF
            # tuples and dicts of one shape written out are returned leaf by leaf, a name each
            self.value = [self.fresh(f"_return_value{k}")
                          for k in range(len(structures.paths(self.shape)))] \
                if self.shape is not structures.LEAF else self.fresh("_return_value")
            body, _ = self.block(body, loop=None)
            start = [self.synthetic(_set(self.returned, False, body[0]))]
            value = structures.unflatten_node(self.shape, [load(v) for v in self.value]) \
                if isinstance(self.value, list) else load(self.value)
            return start + body + [ast.copy_location(ast.Return(value), returns[-1])]
        body, _ = self.block(body, loop=None)
        return body

    def block(self, stmts, loop):
        """(lowered statements, flags they may set). ``loop``: (break, continue) flag names of
        the innermost loop, or None outside loops."""
        out, exits = [], set()
        for k, stmt in enumerate(stmts):
            lowered, flags = self.statement(stmt, loop)
            out.extend(lowered)
            if flags:
                exits |= flags
                rest, rest_flags = self.block(stmts[k + 1:], loop)
                exits |= rest_flags
                if rest:
                    test = ast.UnaryOp(ast.Not(), _any(sorted(flags)))
                    out.append(self.synthetic(ast.If(test, rest, [])))
                return out, exits
        return out, exits

    def statement(self, stmt, loop):
        if isinstance(stmt, ast.Return) and self.returned:
            value = stmt.value if stmt.value is not None else ast.Constant(None)
            target = store(self.value)
            if isinstance(self.value, list):
                target = ast.Tuple([store(v) for v in self.value], ast.Store())
                value = ast.copy_location(ast.Tuple(_literal_leaves(value), ast.Load()), value)
            out = [ast.copy_location(ast.Assign([target], value), stmt),
                   _set(self.returned, True, stmt)]
            flags = {self.returned}
            if loop:
                out.append(_set(loop[0], True, stmt))
                flags.add(loop[0])
            return out, flags
        if isinstance(stmt, ast.Break) and loop:
            return [_set(loop[0], True, stmt)], {loop[0]}
        if isinstance(stmt, ast.Continue) and loop:
            return [_set(loop[1], True, stmt)], {loop[1]}
        if isinstance(stmt, ast.If):
            body, a = self.block(stmt.body, loop)
            orelse, b = self.block(stmt.orelse, loop)
            return [_copy(ast.If(stmt.test, body or [ast.Pass()], orelse), stmt)], a | b
        if isinstance(stmt, (ast.For, ast.While)):
            return self.loop(stmt, loop)
        return [stmt], set()

    def loop(self, stmt, outer):
        """A loop with its body lowered; it gets a break flag if its body breaks or returns
        (a return inside also stops the enclosing loop ``outer``)."""
        level = [n for s in stmt.body for n in _same_loop_nodes(s)]
        returns = bool(self.returned) and any(isinstance(n, ast.Return)
                                              for s in stmt.body for n in ast.walk(s))
        breaks = returns or any(isinstance(n, ast.Break) for n in level)
        continues = any(isinstance(n, ast.Continue) for n in level)
        flags = (self.fresh("_break") if breaks else None,
                 self.fresh("_continue") if continues else None)
        self.lowered.loop_flags |= {flag for flag in flags if flag}
        body, exits = self.block(stmt.body, flags)
        start = [self.synthetic(_set(flag, False, stmt)) for flag in flags if flag]
        new = _copy(type(stmt)(**{**{f: getattr(stmt, f) for f in stmt._fields},
                                  "body": start + body}), stmt)
        self.lowered.breaks[id(new)] = new, flags[0]
        out, exits = [new], exits & {self.returned}
        if exits and outer and outer[0]:
            stop = ast.If(load(self.returned), [_set(outer[0], True, stmt)], [])
            out.append(self.synthetic(stop))
            exits = exits | {outer[0]}
        return out, exits


def _same_loop_nodes(node):
    """Nodes under ``node`` that belong to the same loop level (not inside nested loops)."""
    yield node
    if isinstance(node, (ast.For, ast.While)):
        return
    for child in ast.iter_child_nodes(node):
        yield from _same_loop_nodes(child)


def _set(name, value, where):
    return ast.copy_location(ast.Assign([store(name)], ast.Constant(value)), where)


def _literal_shape(node):
    """The treedef (structures.py) of a tuple, list or dict written out in ``node``; a leaf
    for anything else."""
    if isinstance(node, (ast.Tuple, ast.List)) and node.elts \
            and not any(isinstance(e, ast.Starred) for e in node.elts):
        return "tuple", tuple(_literal_shape(e) for e in node.elts)
    if isinstance(node, ast.Dict) and node.keys and all(
            isinstance(k, ast.Constant) and isinstance(k.value, str) for k in node.keys):
        return "dict", tuple(k.value for k in node.keys), tuple(map(_literal_shape, node.values))
    return structures.LEAF


def _literal_leaves(node):
    """The leaf expressions of ``node``, in the order of its ``_literal_shape``."""
    shape = _literal_shape(node)
    if shape is structures.LEAF:
        return [node]
    items = node.elts if shape[0] == "tuple" else node.values
    return [leaf for item in items for leaf in _literal_leaves(item)]


def _any(flags):
    return load(flags[0]) if len(flags) == 1 else ast.BoolOp(ast.Or(), [load(f) for f in flags])


def _copy(new, old):
    return ast.copy_location(new, old)


def lower(function_node):
    """Lower ``function_node``'s body in place (see the module docstring); return what the
    lowering made."""
    taken = {n.id for n in ast.walk(function_node) if isinstance(n, ast.Name)}
    lowering = Lowering(taken)
    function_node.body = lowering.function(function_node.body)
    lowering.lowered.return_value = lowering.value
    ast.fix_missing_locations(function_node)
    return lowering.lowered
