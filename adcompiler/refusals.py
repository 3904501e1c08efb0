"""The constructs outside the subset of Python that adcompiler differentiates, and what it says
of each. The normalizer asks ``refusal`` of every statement and expression it meets; other
refusals (aliases, variables that may be unbound) need the program's names and are told where
they are found."""
import ast

UNSUPPORTED_STATEMENTS = {
    ast.AsyncFor: "'async for' loops", ast.Try: "'try' statements", ast.With: "'with' statements",
    ast.AsyncWith: "'async with' statements", ast.Global: "'global' declarations",
    ast.Nonlocal: "'nonlocal' declarations", ast.Import: "imports inside the function",
    ast.ImportFrom: "imports inside the function", ast.Delete: "'del' statements",
    ast.Raise: "'raise' statements", ast.Assert: "'assert' statements",
    ast.ClassDef: "class definitions", ast.AsyncFunctionDef: "nested async functions",
}
if hasattr(ast, "Match"):
    UNSUPPORTED_STATEMENTS[ast.Match] = "'match' statements"
if hasattr(ast, "TryStar"):
    UNSUPPORTED_STATEMENTS[ast.TryStar] = "'try' statements"

UNSUPPORTED_EXPRESSIONS = {
    ast.Lambda: "lambda expressions",
    ast.ListComp: "list comprehensions other than those summed by sum() or np.sum(), or given "
                  "to np.array() or np.stack() over range() of numbers",
    ast.SetComp: "set comprehensions", ast.DictComp: "dict comprehensions",
    ast.GeneratorExp: "generator expressions other than those summed by sum()",
    ast.Set: "set literals", ast.JoinedStr: "f-strings",
    ast.Await: "'await'", ast.Yield: "generators ('yield')", ast.YieldFrom: "generators",
    ast.NamedExpr: "assignment expressions (':=')",
    ast.Starred: "starred expressions (other than a tuple's values passed to a call, f(*t))",
}
SUPPORTED_STATEMENTS = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Pass, ast.If,
                        ast.For, ast.While)         # and the return that ends the function
WHERE = "in a differentiated function"
COMPREHENSION_PLACES = "summed by sum() or np.sum(), or given to np.array() or np.stack() " \
                       "over range() of numbers"


def comprehension_refusal(what):
    """Why a comprehension used as ``what`` is refused."""
    return f"{what} is not supported; a comprehension can be {COMPREHENSION_PLACES} (or " \
           "write the loop that fills an array)"


def refusal(node):
    """(the node to point at, why) if ``node``, a statement or an expression, is outside the
    supported subset; else None. Its children are asked when the normalizer meets them."""
    kind = type(node)
    if kind in UNSUPPORTED_EXPRESSIONS:
        return node, f"{UNSUPPORTED_EXPRESSIONS[kind]} are not supported {WHERE}"
    if isinstance(node, ast.stmt) and not isinstance(node, SUPPORTED_STATEMENTS) \
            or isinstance(node, ast.AnnAssign) and node.value is None:
        what = UNSUPPORTED_STATEMENTS.get(kind, f"'{kind.__name__}' statements")
        return node, f"{what} are not supported {WHERE}"
    if isinstance(node, (ast.For, ast.While)) and node.orelse:
        return node, f"'{'for' if isinstance(node, ast.For) else 'while'} ... else' is not " \
                     "supported"
    if isinstance(node, ast.AugAssign) and not isinstance(node.target, (ast.Name, ast.Subscript)):
        return node.target, "augmented assignment to " \
                            f"{type(node.target).__name__.lower()}s is not supported"
    if isinstance(node, ast.Call) and any(k.arg is None for k in node.keywords):
        return node, "'**' arguments are not supported"
    return None


def rule_arguments(rule, bound):
    """Why a primitive's call with arguments ``bound`` (param -> atom) is refused, or None."""
    for p in rule.constants:
        value = bound[p]
        if not (isinstance(value, ast.Constant) or isinstance(value, ast.Tuple) and all(
                isinstance(e, ast.Constant) for e in value.elts)):
            return f"{rule.name}: {p!r} must be a constant (a literal, or a number from " \
                   "globals or the closure)"
    if rule.reduces and isinstance(bound.get("axis"), ast.Tuple):
        return f"{rule.name}: axis must be one int or None; reduce one axis at a time " \
               "(np.sum(np.sum(x, axis=1), axis=0))"
    for p in rule.diff_params():
        if isinstance(bound[p], ast.Tuple) and p not in rule.sequences:
            return f"{rule.name}: a tuple cannot be differentiated as argument {p!r}"
    return None


def assignment(target):
    """Why an assignment to ``target`` (other than a name, a tuple of names or an element of
    a local array) is refused."""
    return f"assignment to {_described(target)} is not supported {WHERE}"


def _described(target):
    if isinstance(target, ast.Subscript):
        return f"'{ast.unparse(target)}' (an array element or slice)"
    if isinstance(target, ast.Attribute):
        return f"attribute '{ast.unparse(target)}'"
    return f"'{ast.unparse(target)}'"
