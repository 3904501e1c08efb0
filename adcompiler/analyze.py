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
            atoms = result.elts if len(op.targets) > 1 else [result]
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


CREATIONS = {"np.zeros", "np.ones", "np.empty", "np.full"}
CREATIONS_LIKE = {"np.zeros_like", "np.ones_like", "np.empty_like", "np.full_like",
                  "zeros_like", "ones_like"}


def _const_type(expr, of):
    """Shapes, flags and counts are integer scalars; created arrays have their shape's rank."""
    if isinstance(expr, (ast.Name, ast.Constant)):
        return of(expr)
    if isinstance(expr, (ast.Compare, ast.BoolOp, ast.UnaryOp, ast.BinOp)):
        ranks = [of(n)[0] for n in _operands(expr)]
        return (None if None in ranks else max(ranks, default=0)), True
    if isinstance(expr, ast.Call):
        name = ast.unparse(expr.func)
        if name in CREATIONS and expr.args:
            return _rank_of_shape(expr.args[0], of), False
        if name in CREATIONS_LIKE and expr.args:
            return of(expr.args[0])[0], False
        if name == "np.arange":
            return 1, True
        if name == "tape_for":              # a loop's tape in generated code
            return 1, False
        return (0 if _is_integer_call(expr) else ARRAY), _is_integer_call(expr)
    if isinstance(expr, ast.Attribute):
        return (ARRAY if expr.attr == "shape" else 0), expr.attr != "dtype"
    return 0, True                          # an index into a shape


def _rank_of_shape(shape, of):
    if isinstance(shape, ast.Tuple):
        return len(shape.elts)
    return 1 if of(shape)[0] == 0 else ARRAY


def _is_integer_call(expr):
    return isinstance(expr, ast.Call) and ast.unparse(expr.func) in (
        "len", "int", "np.argmax", "np.argmin", "np.ndim", "np.size", "round",
        "math.floor", "math.ceil", "trip_count")


def _rule_type(op, of):
    rule, args = op.rule, op.args
    values = [e for p in rule.diff_params() for e in
              (args[p].elts if isinstance(args[p], ast.Tuple) else [args[p]])]
    integer = rule.keeps_integers and all(of(v)[1] for v in values)
    return _rule_rank(rule, args, of), integer


def _max_rank(ranks):
    return None if None in ranks else max(ranks, default=0)


def _rule_rank(rule, args, of):
    """The rank of a rule's result, from its operands' ranks (None when not known)."""
    rank = {p: of(a)[0] for p, a in args.items() if isinstance(a, (ast.Name, ast.Constant))}
    if rule.rank is not None:
        return rank.get(rule.rank) if isinstance(rule.rank, str) else rule.rank
    if rule.elementwise:
        return _max_rank(list(rank.values()))
    x = rank.get("x")
    if rule.reduces:
        axis, keepdims = args.get("axis"), args.get("keepdims")
        if isinstance(keepdims, ast.Constant) and keepdims.value:
            return x
        if isinstance(axis, ast.Constant) and axis.value is None:
            return 0
        return None if x is None else max(x - 1, 0)
    key = rule.key
    if key == "getitem":
        return index_rank(x, args["index"], of)
    if key in ("matmul", "dot"):
        a, b = rank.get("a"), rank.get("b")
        if a is None or b is None:
            return None
        return max(a, b) if 0 in (a, b) else a + b - 2
    if key == "tensordot":
        a, b, k = rank.get("a"), rank.get("b"), args.get("axes")
        if a is None or b is None or not isinstance(k, ast.Constant):
            return None
        return a + b - 2 * k.value
    if key in ("transpose", "copy"):
        return x
    if key in ("ravel",):
        return 1
    if key == "outer":
        return 2
    if key == "expand_dims":
        return None if x is None else x + 1
    if key == "reshape":
        shape = args.get("shape")
        if isinstance(shape, ast.Tuple):
            return len(shape.elts)
        return 1 if isinstance(shape, ast.Constant) else None
    if key in ("stack", "concatenate"):
        ranks = [of(e)[0] for e in args["arrays"].elts]
        inner = None if None in ranks or len(set(ranks)) != 1 else ranks[0]
        return None if inner is None else inner + (key == "stack")
    return None


def index_rank(rank, index, of):
    """Rank of ``x[index]`` for ``x`` of ``rank``: each integer index removes an axis."""
    if rank is None:
        return None
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    removed = 0
    for part in parts:
        if isinstance(part, ast.Slice):
            continue
        if isinstance(part, (ast.Name, ast.Constant)) and of(part) == (0, True):
            removed += 1
        else:
            return None
    return max(rank - removed, 0)
