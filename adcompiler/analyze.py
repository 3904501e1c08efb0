"""Stage 3: which values carry derivatives, and which are known to be scalars.

A value is *varied* if it depends differentiably on a ``wrt`` input, *useful* if the output
depends differentiably on it; only values both varied and useful (*active*) get adjoint code.
Integers, flags and shapes come from operations without derivative, so they are never active.
"""
import ast

from .ir import OpKind, walk_loops

SCALAR, ARRAY = 0, None     # a kind is a value's rank (ndim): 0 a scalar, None not known


def varied(program, seeds, integers=()):
    """Names that depend differentiably on any of ``seeds`` (integers never do). Loops feed
    values back, so the sweep repeats until nothing changes."""
    out, ops = set(seeds), program.ops
    while True:
        size = len(out)
        for op in ops:
            if op.kind is not OpKind.CONST and any(name in out for name in op.inputs):
                out.update(t for t in op.targets if t not in integers)
        if len(out) == size:
            return out


def useful(program, seeds):
    """Names on which any of ``seeds`` depends differentiably."""
    out, ops = set(seeds), program.ops[::-1]
    while True:
        size = len(out)
        for op in ops:
            if op.kind is not OpKind.CONST and any(t in out for t in op.targets):
                out.update(op.inputs)
        if len(out) == size:
            return out


def active(program, wrt, of, integers=()):
    """Names whose adjoints the derivative of ``of`` with respect to ``wrt`` needs."""
    return varied(program, wrt, integers) & useful(program, of)


def result_names(program):
    """Names of the returned values (the atoms of the return expression)."""
    result = program.result
    atoms = result.elts if isinstance(result, ast.Tuple) else [result]
    return [a.id for a in atoms if isinstance(a, ast.Name)]


def types(program, param_types):
    """Name -> (rank, is_integer), from the parameters' (rank 0: a scalar; None: not known)."""
    known = dict(param_types)
    known.update({loop.index: (SCALAR, True) for loop in walk_loops(program.body) if loop.index})

    def of(node):
        if isinstance(node, ast.Constant):
            return SCALAR, isinstance(node.value, int)
        if isinstance(node, ast.Name):
            return known.get(node.id, (ARRAY, False))
        return ARRAY, False

    ops = program.ops
    while True:
        before = dict(known)
        _type_sweep(ops, known, of)
        if known == before:
            return known


def _type_sweep(ops, known, of):
    for op in ops:
        if not op.targets:
            continue
        if op.kind is OpKind.CALL:
            inner = types(op.callee, {p: of(a) for p, a in zip(op.callee.params, op.args)})
            result = op.callee.result
            atoms = result.elts if isinstance(result, ast.Tuple) else [result]
            for target, atom in zip(op.targets, atoms):
                known[target] = of(atom) if isinstance(atom, ast.Constant) else \
                    inner.get(atom.id, (ARRAY, False))
            continue
        if op.kind is OpKind.SETITEM or isinstance(op.expr, ast.List):
            continue                        # the array keeps its type; a new stack has none
        if op.kind is OpKind.PUSH:               # a stack has the type of what it holds
            stack, value = op.targets[0], of(op.expr)
            known[stack] = value if stack not in known else _join(known[stack], value)
            continue
        if op.kind is OpKind.POP:
            result = known.get(op.inputs[0], (ARRAY, False))
        elif op.kind is OpKind.COPY:
            result = of(op.expr)
        elif op.kind is OpKind.CONST and op.rule is None:
            result = _const_type(op.expr, of)
        else:
            result = _rule_type(op, of)
        for target in op.targets:
            previous = known.get(target)
            known[target] = result if previous is None else _join(previous, result)


def _join(a, b):
    """The type of a name assigned both ``a`` and ``b`` (in a loop or two branches)."""
    return (a[0] if a[0] == b[0] else ARRAY), a[1] and b[1]


def integers(type_map):
    return {name for name, (_, integer) in type_map.items() if integer}


def kinds(type_map):
    return {name: kind for name, (kind, _) in type_map.items()}


def _operands(expr):
    return [n for n in ast.walk(expr) if isinstance(n, (ast.Name, ast.Constant))]


def _const_type(expr, of):
    """Shapes, flags and counts are integer scalars (a call without derivative has its rule)."""
    if isinstance(expr, (ast.Name, ast.Constant)):
        return of(expr)
    if isinstance(expr, (ast.Compare, ast.BoolOp, ast.UnaryOp, ast.BinOp)):
        ranks = [of(n)[0] for n in _operands(expr)]
        return (None if None in ranks else max(ranks, default=0)), True
    if isinstance(expr, ast.Attribute):
        return (ARRAY if expr.attr == "shape" else 0), expr.attr != "dtype"
    return 0, True                          # an index into a shape


def _rule_type(op, of):
    return op.rule.result_rank(op.args, of), op.rule.integer_result(op.args, of)
