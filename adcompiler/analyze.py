"""Stage 3: which values carry derivatives, and which are known to be scalars.

A value is *varied* if it depends differentiably on a ``wrt`` input, *useful* if the output
depends differentiably on it; only values both varied and useful (*active*) get adjoint code.
Integers, flags and shapes come from operations without derivative, so they are never active.
"""
import ast

SCALAR, ARRAY = "scalar", "array"       # ARRAY means "may be an array"


def varied(program, seeds):
    """Names that depend differentiably on any of ``seeds``."""
    out = set(seeds)
    for op in program.ops:
        if op.kind != "const" and any(name in out for name in op.inputs):
            out.update(op.targets)
    return out


def useful(program, seeds):
    """Names on which any of ``seeds`` depends differentiably."""
    out = set(seeds)
    for op in reversed(program.ops):
        if op.kind != "const" and any(t in out for t in op.targets):
            out.update(op.inputs)
    return out


def active(program, wrt, of):
    """Names whose adjoints the derivative of ``of`` with respect to ``wrt`` needs."""
    return varied(program, wrt) & useful(program, of)


def result_names(program):
    """Names of the returned values (the atoms of the return expression)."""
    result = program.result
    atoms = result.elts if isinstance(result, ast.Tuple) else [result]
    return [a.id for a in atoms if isinstance(a, ast.Name)]


def kinds(program, param_kinds):
    """Name -> SCALAR or ARRAY, from the parameters' kinds (ARRAY when unknown)."""
    kind = dict(param_kinds)

    def of(node):
        if isinstance(node, ast.Constant):
            return SCALAR
        if isinstance(node, ast.Name):
            return kind.get(node.id, ARRAY)
        return ARRAY

    for op in program.ops:
        if not op.targets:
            continue
        if op.kind == "copy":
            result = of(op.expr)
        elif op.kind == "const":
            result = _const_kind(op.expr, of)
        elif op.kind == "call":
            inner = kinds(op.callee, {p: of(a) for p, a in zip(op.callee.params, op.args)})
            callee_result = op.callee.result
            atoms = callee_result.elts if isinstance(callee_result, ast.Tuple) \
                else [callee_result]
            for target, atom in zip(op.targets, atoms if len(op.targets) > 1 else [callee_result]):
                kind[target] = SCALAR if isinstance(atom, ast.Constant) else \
                    inner.get(getattr(atom, "id", None), ARRAY)
            continue
        else:
            result = _rule_kind(op, of)
        for target in op.targets:
            kind[target] = result
    return kind


def _const_kind(expr, of):
    if isinstance(expr, (ast.Compare, ast.BoolOp, ast.UnaryOp, ast.BinOp)):
        operands = [n for n in ast.walk(expr) if isinstance(n, (ast.Name, ast.Constant))]
        return SCALAR if all(of(n) == SCALAR for n in operands) else ARRAY
    return ARRAY


def _rule_kind(op, of):
    rule, args = op.rule, op.args
    if rule.reduces:
        axis, keepdims = args.get("axis"), args.get("keepdims")
        whole = isinstance(axis, ast.Constant) and axis.value is None
        flat = isinstance(keepdims, ast.Constant) and not keepdims.value
        return SCALAR if (whole and flat) or of(args["x"]) == SCALAR else ARRAY
    if rule.elementwise:
        return SCALAR if all(of(a) == SCALAR for a in args.values()
                             if isinstance(a, (ast.Name, ast.Constant))) else ARRAY
    return ARRAY
