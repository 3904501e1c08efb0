"""Stage 3: which values carry derivatives, and which are known to be scalars.

A value is *varied* if it depends differentiably on a ``wrt`` input, *useful* if the output
depends differentiably on it; only values both varied and useful (*active*) get adjoint code.
Integers, flags and shapes come from operations without derivative, so they are never active.
"""
import ast

SCALAR, ARRAY = "scalar", "array"       # ARRAY means "may be an array"


def varied(program, seeds, integers=()):
    """Names that depend differentiably on any of ``seeds`` (integers never do). Loops feed
    values back, so the sweep repeats until nothing changes."""
    out, ops = set(seeds), program.ops
    while True:
        size = len(out)
        for op in ops:
            if op.kind != "const" and any(name in out for name in op.inputs):
                out.update(t for t in op.targets if t not in integers)
        if len(out) == size:
            return out


def useful(program, seeds):
    """Names on which any of ``seeds`` depends differentiably."""
    out, ops = set(seeds), program.ops[::-1]
    while True:
        size = len(out)
        for op in ops:
            if op.kind != "const" and any(t in out for t in op.targets):
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
    """Name -> (SCALAR or ARRAY, is_integer), from the parameters' (unknown: (ARRAY, False))."""
    known = dict(param_types)
    known.update({index: (SCALAR, True) for index in loop_indices(program.body)})

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
        if op.kind == "call":
            inner = types(op.callee, {p: of(a) for p, a in zip(op.callee.params, op.args)})
            result = op.callee.result
            atoms = result.elts if len(op.targets) > 1 else [result]
            for target, atom in zip(op.targets, atoms):
                known[target] = of(atom) if isinstance(atom, ast.Constant) else \
                    inner.get(atom.id, (ARRAY, False))
            continue
        if op.kind == "setitem":
            continue                        # the array keeps its type
        if op.kind == "copy":
            result = of(op.expr)
        elif op.kind == "const":
            result = _const_type(op.expr, of)
        else:
            result = _rule_type(op, of)
        for target in op.targets:
            previous = known.get(target)
            known[target] = result if previous is None else _join(previous, result)


def _join(a, b):
    """The type of a name assigned both ``a`` and ``b`` (in a loop or two branches)."""
    return (SCALAR if a[0] == b[0] == SCALAR else ARRAY), a[1] and b[1]


def integers(type_map):
    return {name for name, (_, integer) in type_map.items() if integer}


def kinds(type_map):
    return {name: kind for name, (kind, _) in type_map.items()}


def _operands(expr):
    return [n for n in ast.walk(expr) if isinstance(n, (ast.Name, ast.Constant))]


def loop_indices(body):
    """The index names of the range loops in a structured body, nested ones included."""
    from .normalize import If, Loop
    out = []
    for node in body:
        if isinstance(node, If):
            out += loop_indices(node.body) + loop_indices(node.orelse)
        elif isinstance(node, Loop):
            out += ([node.index] if node.index else []) + loop_indices(node.body)
    return out


def _const_type(expr, of):
    """Shapes, flags and counts: integers; a comparison of scalars is a scalar."""
    if isinstance(expr, (ast.Name, ast.Constant)):
        return of(expr)
    if isinstance(expr, (ast.Compare, ast.BoolOp, ast.UnaryOp, ast.BinOp)):
        scalar = all(of(n)[0] == SCALAR for n in _operands(expr))
        return (SCALAR if scalar else ARRAY), True
    return ARRAY, isinstance(expr, (ast.Attribute, ast.Subscript)) or _is_integer_call(expr)


def _is_integer_call(expr):
    return isinstance(expr, ast.Call) and ast.unparse(expr.func) in (
        "len", "int", "np.argmax", "np.argmin", "np.shape", "np.ndim", "np.size", "round",
        "math.floor", "math.ceil")


def _rule_type(op, of):
    rule, args = op.rule, op.args
    operands = [of(a) for a in args.values() if isinstance(a, (ast.Name, ast.Constant))]
    values = [e for p in rule.diff_params() for e in
              (args[p].elts if isinstance(args[p], ast.Tuple) else [args[p]])]
    integer = rule.keeps_integers and all(of(v)[1] for v in values)
    if rule.reduces:
        axis, keepdims = args.get("axis"), args.get("keepdims")
        whole = isinstance(axis, ast.Constant) and axis.value is None
        flat = isinstance(keepdims, ast.Constant) and not keepdims.value
        scalar = (whole and flat) or of(args["x"])[0] == SCALAR
    elif rule.elementwise:
        scalar = all(k == SCALAR for k, _ in operands)
    else:
        scalar = False
    return (SCALAR if scalar else ARRAY), integer
