"""Rewrites of a random program's source around one of its locals, for checking ``of=`` and
``wrt=`` a local against finite differences: return it instead, or nudge it where it is bound
(in ``f``'s own body, not in the functions defined in it)."""
import ast
import re

import numpy as np


def _function_f(tree):
    return next(node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "f")


def _own_nodes(f):
    """The nodes of ``f``'s body, not those of the functions defined in it (their returns and
    locals are their own)."""
    stack = list(f.body)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))


def local_names(source):
    """Float-looking locals of ``f``: names it assigns, other than parameters, loop variables
    and while-loop counters."""
    f = _function_f(ast.parse(source))
    params = {a.arg for a in f.args.args}
    loops = {n.id for node in _own_nodes(f) if isinstance(node, ast.For)
             for n in ast.walk(node.target) if isinstance(n, ast.Name)}
    stored = {n.id for node in _own_nodes(f) if isinstance(node, (ast.Assign, ast.AugAssign))
              for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
              for n in ast.walk(target) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return sorted(n for n in stored - params - loops if not re.fullmatch(r"k\d+", n))


def returning(source, name):
    """``source`` with every ``return`` of ``f`` returning ``name`` instead."""
    tree = ast.parse(source)
    for node in _own_nodes(_function_f(tree)):
        if isinstance(node, ast.Return):
            node.value = ast.Name(name, ast.Load())
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def nudged(source, name):
    """``source`` with ``name = _nudge(name)`` after every statement of ``f`` that binds
    ``name`` or writes into it."""
    tree = ast.parse(source)

    def binds(stmt):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else \
            [stmt.target] if isinstance(stmt, ast.AugAssign) else []
        return any(isinstance(n, ast.Name) and n.id == name for t in targets for n in ast.walk(t))

    def rewrite(block):
        out = []
        for stmt in block:
            if isinstance(stmt, ast.FunctionDef):       # its locals are its own
                out.append(stmt)
                continue
            for field in ("body", "orelse"):
                if isinstance(getattr(stmt, field, None), list):
                    setattr(stmt, field, rewrite(getattr(stmt, field)))
            out.append(stmt)
            if binds(stmt):
                out.append(ast.parse(f"{name} = _nudge({name})").body[0])
        return out
    f = _function_f(tree)
    f.body = rewrite(f.body)
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


class Nudge:
    """Counts the bindings of a local; adds ``delta`` to the one numbered ``at``."""
    def __init__(self):
        self.count, self.at, self.delta, self.last = 0, None, None, None

    def __call__(self, value):
        self.count += 1
        self.last = value
        if self.count != self.at:
            return value
        if isinstance(value, np.ndarray):
            return (value + self.delta).astype(value.dtype)
        return type(value)(value + self.delta)
