"""Arrays reached under more than one name: views (``a[1:]``, ``a.T``, ``for row in a``) and
aliases (``b = a``), as NumPy has them.

Generated code keeps Python's reference semantics, so primal values are Python's. Derivatives
keep one adjoint or tangent per name, so a second name for an array that is written in place is
refused, and so is ``a op= v`` on an array another name shares (Python does it in place). A
temporary view (``a[1:] * x``) is consumed before any write, and a read of it counts as a read
of its array.
"""
from . import analyze


def root(program, name):
    """The array whose memory ``name`` may share (``name`` itself if it is no view)."""
    seen = set()
    while name in program.views and name not in seen:
        seen.add(name)
        name = program.views[name][0]
    return name


def sharing(program, array):
    """Every name that may share memory with ``array``, ``array`` included."""
    base = root(program, array)
    return {base} | {v for v in program.views if root(program, v) == base}


def check(program, kinds):
    """Refuse second names for arrays written in place, and in-place updates of arrays
    another name shares (generated code read back was checked as the user's code)."""
    if program.generated:
        return
    error = program.parsed.error
    written = {root(program, op.targets[0]) for op in program.ops if op.kind == "setitem"}
    named = {v: (base, origin) for v, (base, origin, is_named) in program.views.items()
             if is_named and kinds.get(v) != analyze.SCALAR}
    for version, (_, origin) in named.items():
        if root(program, version) in written:
            raise error(origin, f"{program.comments[id(origin)]!r} gives a second name to an "
                        "array that is written in place (a view or alias); derivatives follow "
                        "each array under one name: write through the original name, or take "
                        "a copy with .copy()")
    roots = {root(program, v) for v in named} | {base for base, _ in named.values()}
    for version, origin in program.augmented:
        if kinds.get(version) != analyze.SCALAR and root(program, version) in roots | set(named):
            raise error(origin, f"{program.comments[id(origin)]!r} changes an array in place "
                        "(as Python does for arrays) while another name refers to it; write "
                        "'a = a + ...' for a new array, or copy the other name with .copy()")
