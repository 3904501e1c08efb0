"""Functions defined inside the differentiated function, closing over its locals.

    def f(x, w):                        def g(t, w):            (a function of its own)
        def g(t):                           return np.tanh(w * t)
            return np.tanh(w * t)
        return g(x) + g(2 * x)          def f(x, w):
                                            return g(x, w=w) + g(2 * x, w=w)

Each definition at the top level of the function's body becomes a function of its own whose
parameters are followed by the variables it reads from the enclosing function (its free
variables); every call passes their values at the call, as Python's closures read them then. It
is then differentiated as any user function is. A nested function that calls another passes that
one's free variables on.
"""
import ast
import copy
import inspect

from .dataflow import names, stores
from .parse import ParsedFunction


def hoist(parsed):
    """Take the nested definitions out of ``parsed.node``'s body (in place), rewrite the calls
    to them, and return name -> ParsedFunction of each."""
    node = parsed.node
    defs = {s.name: s for s in node.body if isinstance(s, ast.FunctionDef)}
    for stmt in node.body:
        inner = [n for n in ast.walk(stmt) if isinstance(n, ast.FunctionDef)]
        if inner and inner[0] is not stmt:
            raise parsed.error(inner[0], "a function defined inside the differentiated "
                                         "function must be defined at the top level of its body")
    if not defs:
        return {}
    _check(parsed, defs)
    body = [s for s in node.body if not isinstance(s, ast.FunctionDef)]
    outer = set(parsed.params) | stores(body)
    free = {name: _reads(d) & outer for name, d in defs.items()}
    while True:                         # a call to a sibling reads that one's free variables
        grown = {name: free[name].union(*(free[c] for c in _called(d, defs))) & outer
                 for name, d in defs.items()}
        if grown == free:
            break
        free = grown
    free = {name: sorted(vs) for name, vs in free.items()}
    for tree in body + list(defs.values()):
        _pass_free_variables(tree, defs, free)
    node.body = body
    functions = {}
    functions.update({name: _parsed(parsed, d, free[name], functions) for name, d in defs.items()})
    return functions


def _check(parsed, defs):
    body = parsed.node.body
    for name, d in defs.items():
        if sum(isinstance(s, ast.FunctionDef) and s.name == name for s in body) > 1 \
                or name in parsed.params or name in stores(
                    [s for s in body if not isinstance(s, ast.FunctionDef)]):
            raise parsed.error(d, f"{name!r} is bound more than once: give the nested function "
                                  "a name of its own")
        args = d.args
        if d.decorator_list or args.vararg or args.kwarg or args.posonlyargs \
                or args.kwonlyargs:
            raise parsed.error(d, "a nested function takes plain parameters, without "
                                  "decorators, *args, **kwargs or keyword-only parameters")
        for default in args.defaults:
            try:
                ast.literal_eval(default)
            except ValueError:
                raise parsed.error(default, "a nested function's defaults must be "
                                            "constants") from None
    calls = {id(n.func) for n in ast.walk(parsed.node) if isinstance(n, ast.Call)}
    for n in ast.walk(parsed.node):
        if isinstance(n, ast.Name) and n.id in defs and id(n) not in calls:
            raise parsed.error(n, f"the nested function {n.id!r} can only be called")


def _reads(function):
    """Names a function reads that it does not bind itself."""
    own = {a.arg for a in function.args.args} | stores(function.body)
    return names(function) - own - {function.name}


def _called(function, defs):
    return {n.func.id for n in ast.walk(function)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in defs}


def _pass_free_variables(tree, defs, free):
    for n in ast.walk(tree):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in defs:
            n.keywords += [ast.keyword(v, ast.Name(v, ast.Load())) for v in free[n.func.id]]


def _parsed(parent, function, free, functions):
    """The nested ``function`` as a function of its own, taking its ``free`` variables after
    its parameters; it may call the nested ``functions`` (itself excluded: no recursion)."""
    function = copy.deepcopy(function)
    own = [a.arg for a in function.args.args]
    function.args.args += [ast.arg(v) for v in free]
    return ParsedFunction(None, function.name, function, own + free, parent.locator,
                          parent.closure, parent.globals, parent.text, functions, own)


def signature(parsed):
    """The signature a call of a nested function binds to: its parameters, then its free
    variables by keyword."""
    args = parsed.node.args
    own = args.args[:len(parsed.own_params)]
    defaults = [ast.literal_eval(d) for d in args.defaults]
    first_default = len(own) - len(defaults)
    kinds = inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY
    return inspect.Signature(
        [inspect.Parameter(a.arg, kinds[0], default=defaults[k - first_default]
                           if k >= first_default else inspect.Parameter.empty)
         for k, a in enumerate(own)]
        + [inspect.Parameter(v, kinds[1]) for v in parsed.params[len(own):]])
