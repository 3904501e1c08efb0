"""Builders of the syntax-tree nodes that generated code is made of, and rewriting of trees."""
import ast
import copy


def load(id_):
    return ast.Name(id_, ast.Load())


def store(id_):
    return ast.Name(id_, ast.Store())


def assign(target, value):
    """``target = value`` for a target name."""
    return ast.Assign([store(target)], value)


def call(func, *args):
    """``func(*args)``; ``func`` is a name or a dotted method such as ``"tape.pop"``."""
    return ast.Call(load(func), list(args), [])


def expression(text):
    return ast.parse(text, mode="eval").body


def function(name, params, body):
    """``def name(params): body`` (``pass`` for an empty body)."""
    args = ast.arguments(posonlyargs=[], args=[ast.arg(p) for p in params], vararg=None,
                         kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])
    if "type_params" in ast.FunctionDef._fields:
        return ast.FunctionDef(name, args, body or [ast.Pass()], [], None, type_params=[])
    return ast.FunctionDef(name, args, body or [ast.Pass()], [], None)


class Comment(ast.Expr):
    """A statement that renders as a ``#`` comment line."""
    _fields = ("value",)


def comment(text):
    return Comment(ast.Constant(text))


def has_code(block):
    """True if ``block`` holds a statement other than comments."""
    return any(not isinstance(s, Comment) for s in block)


def replace_by_identity(node, swap):
    """A copy of ``node`` in which each subtree ``swap`` gives a replacement for is replaced
    (``swap`` sees the original nodes, so operands are told apart even when they share a name)."""
    new = swap(node)
    if new is not None:
        return new
    fields = {}
    for field, value in ast.iter_fields(node):
        if isinstance(value, list):
            fields[field] = [replace_by_identity(v, swap) if isinstance(v, ast.AST) else v
                             for v in value]
        elif isinstance(value, ast.AST):
            fields[field] = replace_by_identity(value, swap)
        else:
            fields[field] = value
    return type(node)(**fields)


def substitute(node, mapping):
    """A copy of ``node`` with each name in ``mapping`` replaced by (a copy of) its value."""
    return _Substitute(mapping).visit(copy.deepcopy(node))


class _Substitute(ast.NodeTransformer):
    def __init__(self, mapping):
        self.mapping = mapping

    def visit_Name(self, node):
        if node.id in self.mapping:
            new = copy.deepcopy(self.mapping[node.id])
            if isinstance(new, ast.Name):
                new.ctx = node.ctx
            return new
        return node


def has_arithmetic(expr):
    """True if evaluating ``expr`` on arrays would be an inline array expression."""
    return any(isinstance(n, (ast.BinOp, ast.UnaryOp, ast.Compare)) for n in ast.walk(expr))
