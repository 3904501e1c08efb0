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


def _groups(program):
    """Name -> a representative of the names that may share its memory: views, aliases, and
    the copies that carry a value into a loop or out of a branch (``a_1 = a``)."""
    parent = {}

    def find(name):
        while parent.get(name, name) != name:
            name = parent[name]
        return name
    pairs = [(v, base) for v, (base, _, _) in program.views.items()]
    pairs += [(op.targets[0], op.expr.id) for op in program.ops
              if op.kind in ("copy", "const") and isinstance(op.expr, ast.Name)]
    for a, b in pairs:
        parent[find(a)] = find(b)
    return {name: find(name) for pair in pairs for name in pair}


def sharing(program, array):
    """Every name that may share memory with ``array``, ``array`` included."""
    groups = _groups(program)
    base = groups.get(array, array)
    return {array} | {name for name, group in groups.items() if group == base}


def check(program, kinds):
    """Refuse second names for arrays written in place, and in-place updates of arrays
    another name shares (generated code read back was checked as the user's code)."""
    if program.generated:
        return
    error = program.parsed.error
    groups = _groups(program)
    written = {groups.get(op.targets[0], op.targets[0]) for op in program.ops
               if op.kind == "setitem"}
    named = {v: (base, origin) for v, (base, origin, is_named) in program.views.items()
             if is_named and kinds.get(v) != analyze.SCALAR}
    for version, (_, origin) in named.items():
        if groups.get(version, version) in written:
            raise error(origin, f"{program.comments[id(origin)]!r} gives a second name to an "
                        "array that is written in place (a view or alias); derivatives follow "
                        "each array under one name: write through the original name, or take "
                        "a copy with .copy()")
    shared = {groups.get(v, v) for v in named}
    for version, origin in program.augmented:
        if kinds.get(version) != analyze.SCALAR and groups.get(version, version) in shared:
            raise error(origin, f"{program.comments[id(origin)]!r} changes an array in place "
                        "(as Python does for arrays) while another name refers to it; write "
                        "'a = a + ...' for a new array, or copy the other name with .copy()")
