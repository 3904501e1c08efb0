"""Which names a piece of code reads and stores: the one set of these questions every stage asks,
of the user's statements, of normalized operations and of generated statements."""
import ast

from . import rules
from .ir import If, Loop, OpKind, compound_nodes, walk_loops, walk_ops


def reads(nodes):
    """Names read (loaded) anywhere in ``nodes`` (statements or expressions; None skipped)."""
    return {n.id for node in nodes if node is not None for n in ast.walk(node)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def stores(nodes):
    """Names stored (assigned) anywhere in ``nodes``."""
    return {n.id for node in nodes for n in ast.walk(node)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def names(node):
    """Every name in ``node``, read or stored."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def value_reads(nodes):
    """Like ``reads``, but without the arguments that a helper reads only for their shape or
    dtype (its rule's ``shape_only`` parameters)."""
    out = set()

    def visit(node):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            out.add(node.id)
        skip = _shape_only_positions(node.func.id) \
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) else ()
        for field, value in ast.iter_fields(node):
            items = value if isinstance(value, list) else [value]
            for k, item in enumerate(items):
                if isinstance(item, ast.AST) and not (field == "args" and k in skip):
                    visit(item)
    for node in nodes:
        visit(node)
    return out


def _shape_only_positions(func):
    rule = rules.named(func)
    return {rule.params.index(p) for p in rule.shape_only} if rule is not None else ()


def statements(block):
    """Every statement in ``block``, nested ones included."""
    for stmt in block:
        yield stmt
        for field in ("body", "orelse"):
            yield from statements(getattr(stmt, field, []))


def exposed_reads(block, assigned):
    """Names ``block`` reads before assigning them (what must exist when it starts)."""
    out = set()
    for statement in block:
        if isinstance(statement, ast.If):
            out |= reads([statement.test]) - assigned
            then, other = set(assigned), set(assigned)
            out |= exposed_reads(statement.body, then) | exposed_reads(statement.orelse, other)
            assigned |= then & other
        elif isinstance(statement, (ast.For, ast.While)):
            head = statement.iter if isinstance(statement, ast.For) else statement.test
            out |= reads([head]) - assigned
            inner = set(assigned) | (stores([statement.target])
                                     if isinstance(statement, ast.For) else set())
            out |= exposed_reads(statement.body, inner)
        else:
            out |= reads([statement]) - assigned
            assigned |= stores([statement])
    return out


# --------------------------------------------------------------------------- normalized code

def defined(ops):
    """Names that ``ops`` define (an in-place write changes an array, it defines nothing)."""
    return {t for op in ops if op.kind is not OpKind.SETITEM for t in op.targets}


def bound_once(program):
    """Names bound by one operation outside every loop, and parameters never rebound: each
    keeps one array (its elements may change, its shape and dtype do not)."""
    counts = {}
    for op in program.ops:
        if op.kind is not OpKind.SETITEM:
            for target in op.targets:
                counts[target] = counts.get(target, 0) + 1
    in_loops = defined(op for node in walk_loops(program.body)
                       for op in walk_ops((node.header or []) + node.body))
    return {name for name, count in counts.items() if count == 1 and name not in in_loops} \
        | (set(program.params) - set(counts))


def closure(names_, ops):
    """``names_`` and, transitively, what the ops defining them read (a write into an array:
    its value and its index)."""
    out = set(names_)
    while True:
        size = len(out)
        for op in ops:
            if set(op.targets) & out:
                out |= reads([op.expr, op.args["index"]] if op.kind is OpKind.SETITEM
                             else [op.expr])
        if len(out) == size:
            return out


def header_reads(loop):
    """Names a while loop's test reads, through the operations of its header."""
    header = loop.header or []
    return reads([loop.test] + [op.expr for op in walk_ops(header)] +
                 [node.test for node in compound_nodes(header) if isinstance(node, If)])


def control_reads(node):
    """Names that decide whether a branch's sides or a loop's iterations run."""
    if isinstance(node, If):
        return reads([node.test])
    assert isinstance(node, Loop)
    return reads(list(node.bounds)) | header_reads(node)


def reads_shape_only(op):
    """True for ``a.shape`` and the like: they do not depend on the elements of ``a``."""
    expr = op.expr
    return isinstance(expr, ast.Attribute) and expr.attr in ("shape", "ndim", "size", "dtype")
