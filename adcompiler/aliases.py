"""Arrays reached under more than one name: views (``a[1:]``, ``a.T``, ``for row in a``) and
aliases (``b = a``), as NumPy has them.

Generated code keeps Python's reference semantics, so primal values are Python's. Derivatives
keep one adjoint or tangent per name, so a second name for an array that is written in place is
refused, and so is ``a op= v`` on an array another name shares (Python does it in place). A
temporary view (``a[1:] * x``) is consumed before any write, and a read of it counts as a read
of its array.
"""
import ast

from . import analyze
from .ir import OpKind


class Sharing:
    """The names of one program that may share memory: views, aliases, and the copies that
    carry a value into a loop or out of a branch (``a_1 = a``), as groups under one
    representative."""

    def __init__(self, program):
        parent = {}

        def find(name):
            while parent.get(name, name) != name:
                name = parent[name]
            return name
        pairs = [(v, base) for v, (bases, _, _) in program.views.items() for base in bases]
        pairs += [(op.targets[0], op.expr.id) for op in program.ops
                  if op.kind in (OpKind.COPY, OpKind.CONST) and isinstance(op.expr, ast.Name)]
        for a, b in pairs:
            parent[find(a)] = find(b)
        self.group = {name: find(name) for pair in pairs for name in pair}

    def of(self, name):
        """The representative of ``name``'s group."""
        return self.group.get(name, name)

    def names(self, array):
        """Every name that may share memory with ``array``, ``array`` included."""
        base = self.of(array)
        return {array} | {name for name, group in self.group.items() if group == base}


def returned_parameters(program):
    """Per returned value, the parameters whose memory it may be (``return p[1:]``, or a value
    that is ``p`` on some path): a caller's write into it would change those arguments."""
    sharing = Sharing(program)
    result = program.result
    out = []
    for atom in result.elts if isinstance(result, ast.Tuple) else [result]:
        group = sharing.of(atom.id) if isinstance(atom, ast.Name) else None
        out.append(tuple(p for p in program.params if sharing.of(p) == group))
    return out


def check(program, kinds, sharing):
    """Refuse second names for arrays written in place, and in-place updates of arrays
    another name shares (generated code read back was checked as the user's code)."""
    if program.generated:
        return
    error = program.parsed.error
    written = {sharing.of(op.targets[0]) for op in program.ops if op.kind is OpKind.SETITEM}
    named = {v: (base, origin) for v, (base, origin, is_named) in program.views.items()
             if is_named and kinds.get(v) != analyze.SCALAR}
    for version, (_, origin) in named.items():
        if sharing.of(version) in written:
            raise error(origin, f"{program.comments[id(origin)]!r} gives a second name to an "
                        "array that is written in place (a view or alias); derivatives follow "
                        "each array under one name: write through the original name, or take "
                        "a copy with .copy()")
    for op in (op for op in program.ops if op.kind is OpKind.CALL):
        inside = Sharing(op.callee)         # in a loop, 'p op= v' updates p's loop copy
        updated = {inside.of(v) for v, _ in op.callee.augmented}
        changed = {p for p in op.callee.params if inside.of(p) in updated}
        for param, atom in zip(op.callee.params, op.args):
            if param in changed and isinstance(atom, ast.Name) and \
                    kinds.get(atom.id) != analyze.SCALAR:
                name = op.callee.parsed.name
                raise error(op.origin, f"{name}() changes its argument {param!r} in place "
                            f"({param} op= ...), which in Python changes the caller's array; "
                            f"write '{param} = {param} * ...' (a new array) in {name}()")
    shared = {sharing.of(v) for v in named}
    for version, origin in program.augmented:
        if kinds.get(version) != analyze.SCALAR and sharing.of(version) in shared:
            raise error(origin, f"{program.comments[id(origin)]!r} changes an array in place "
                        "(as Python does for arrays) while another name refers to it; write "
                        "'a = a + ...' for a new array, or copy the other name with .copy()")
