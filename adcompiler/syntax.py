"""Facts read off the user's syntax tree before normalization: which names have their elements
written, which may name the same array, which expressions are plain booleans, and which tests
are decided by constants."""
import ast
import operator

VIEW_FUNCTIONS = {"reshape", "transpose", "ravel", "squeeze", "expand_dims"}
STATIC_COMPARISONS = {ast.Is: operator.is_, ast.IsNot: operator.is_not, ast.Eq: operator.eq,
                      ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
                      ast.Gt: operator.gt, ast.GtE: operator.ge}
ORDERINGS = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
# arithmetic on numbers written in the code, which Python itself folds when it compiles
STATIC_ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
                     ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv,
                     ast.Mod: operator.mod, ast.Pow: operator.pow}
LARGEST_STATIC_EXPONENT = 64
UNKNOWN = object()          # a value that depends on the run


def written_arrays(stmt):
    """Names whose elements ``stmt`` (or a statement nested in it) writes: ``a[i] = v``."""
    return {t.value.id for n in ast.walk(stmt) if isinstance(n, (ast.Assign, ast.AugAssign))
            for t in (n.targets if isinstance(n, ast.Assign) else [n.target])
            if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name)}


def aliased_names(node, written):
    """Names that may refer to an array in ``written`` (``b = a``, ``v = a[1:]``,
    ``for row in a``): an argument reached under another name that is written is copied too."""
    pairs = [(n.targets[0].id, viewed(n.value)) for n in ast.walk(node)
             if isinstance(n, ast.Assign) and len(n.targets) == 1
             and isinstance(n.targets[0], ast.Name) and viewed(n.value)]
    pairs += [(n.target.id, n.iter.id) for n in ast.walk(node)
              if isinstance(n, ast.For) and isinstance(n.target, ast.Name)
              and isinstance(n.iter, ast.Name)]
    out = set(written)
    while True:
        size = len(out)
        for a, b in pairs:
            if a in out or b in out:
                out |= {a, b}
        if len(out) == size:
            return out - set(written)


def viewed(value):
    """The variable that ``value`` may be a view of (``a``, ``a[1:]``, ``a.T``,
    ``a.reshape(...)``, ``np.ravel(a)``), or None."""
    if isinstance(value, ast.Subscript) or isinstance(value, ast.Attribute) and value.attr == "T":
        value = value.value
    elif isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) \
            and value.func.attr in VIEW_FUNCTIONS:
        base = value.func.value
        if isinstance(base, ast.Name) and base.id in ("np", "numpy"):
            base = value.args[0] if value.args else None
        value = base
    return value.id if isinstance(value, ast.Name) else None


def is_list_method(node, method):
    """True for ``name.method(...)``."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
        and node.func.attr == method and isinstance(node.func.value, ast.Name)


def is_boolean(node):
    """True for a comparison, a negation, a boolean constant, and ``and``/``or`` of those."""
    if isinstance(node, ast.BoolOp):
        return all(map(is_boolean, node.values))
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, ast.Not)
    return isinstance(node, ast.Compare) or \
        isinstance(node, ast.Constant) and isinstance(node.value, bool)


def as_if_expression(node):
    """``a and b`` as ``b if a else a``, ``a or b`` as ``a if a else b``: Python's values."""
    first = node.values[0]
    rest = node.values[1] if len(node.values) == 2 else \
        ast.copy_location(ast.BoolOp(node.op, node.values[1:]), node)
    body, orelse = (rest, first) if isinstance(node.op, ast.And) else (first, rest)
    return ast.copy_location(ast.IfExp(first, body, orelse), node)


def static_value(node, value_of, length_of=None):
    """The value of an expression made of constants, names whose value ``value_of`` knows,
    unary ``-`` and ``+`` and arithmetic on numbers, ``not``, comparisons (chained too),
    ``and``/``or`` (which give one of their operands, as in Python) and conditional expressions
    whose test is decided, and ``len(t)`` of a tuple whose length ``length_of`` knows;
    UNKNOWN when it depends on the run."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Call) and length_of is not None and ast.unparse(node.func) == "len" \
            and len(node.args) == 1 and isinstance(node.args[0], ast.Name) and not node.keywords:
        return length_of(node.args[0].id)
    if isinstance(node, ast.Name):
        return value_of(node.id)
    if isinstance(node, ast.UnaryOp):
        value = static_value(node.operand, value_of, length_of)
        if value is UNKNOWN:
            return UNKNOWN
        if isinstance(node.op, ast.Not):
            return not value
        if isinstance(node.op, (ast.USub, ast.UAdd)) and _is_number(value):
            return -value if isinstance(node.op, ast.USub) else +value
        return UNKNOWN
    if isinstance(node, ast.BinOp) and type(node.op) in STATIC_ARITHMETIC:
        return _arithmetic(node.op, static_value(node.left, value_of, length_of),
                           static_value(node.right, value_of, length_of))
    if isinstance(node, ast.IfExp):
        truth = static_truth(node.test, value_of, length_of)
        return UNKNOWN if truth is UNKNOWN else \
            static_value(node.body if truth else node.orelse, value_of, length_of)
    if isinstance(node, ast.Compare) and all(type(op) in STATIC_COMPARISONS for op in node.ops):
        operands = [static_value(n, value_of, length_of) for n in [node.left] + node.comparators]
        result = True
        for op, left, right in zip(node.ops, operands, operands[1:]):
            if left is UNKNOWN or right is UNKNOWN or isinstance(op, ORDERINGS) and not (
                    _is_number(left) and _is_number(right)):
                return UNKNOWN
            result = STATIC_COMPARISONS[type(op)](left, right)
            if not result:
                return result
        return result
    if isinstance(node, ast.BoolOp):
        stops = (lambda v: not v) if isinstance(node.op, ast.And) else bool
        for operand in node.values[:-1]:
            value = static_value(operand, value_of, length_of)
            if value is UNKNOWN or stops(value):
                return value
        return static_value(node.values[-1], value_of, length_of)
    return UNKNOWN


def static_truth(node, value_of, length_of=None):
    """The truth of a test known before the run (True or False), or UNKNOWN. ``x or True`` is
    true whatever ``x`` is, though its value is not known."""
    if isinstance(node, ast.BoolOp):
        truths = [static_truth(v, value_of, length_of) for v in node.values]
        decisive = False if isinstance(node.op, ast.And) else True
        if decisive in truths:
            return decisive
        return UNKNOWN if UNKNOWN in truths else not decisive
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        truth = static_truth(node.operand, value_of, length_of)
        return truth if truth is UNKNOWN else not truth
    value = static_value(node, value_of, length_of)
    return value if value is UNKNOWN else bool(value)


def _arithmetic(op, left, right):
    """``left op right`` for two numbers, as Python computes it; UNKNOWN for anything else,
    a result that is not a real number, an error, or a power too large to compute now."""
    if not (_is_number(left) and _is_number(right)) or isinstance(op, ast.Pow) and \
            abs(right) > LARGEST_STATIC_EXPONENT:
        return UNKNOWN
    try:
        value = STATIC_ARITHMETIC[type(op)](left, right)
    except ArithmeticError:
        return UNKNOWN
    return value if _is_number(value) else UNKNOWN


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)
