"""The derivative-rule registry: one entry per primitive, shared by built-ins, runtime and users.

A rule is written as a template that reads as math::

    @adjoint(np.sin)
    def _(y, x):                    # y = np.sin(x)
        x_bar += y_bar * np.cos(x)

The first parameter names the result, the others the call's arguments (with the primitive's own
defaults). Each line ``x_bar += e`` states x's share of the adjoint. The reverse transform writes
each share with the call site's names (or, on arrays, as a call to a small helper holding ``e``)
and accumulates it. Rules easier written as code than as a template (indexing, stacking) give a
*builder* instead, which returns the same Shares.

Forward mode needs a tangent: an element-wise rule's comes from its adjoint (the Jacobian is
diagonal: ``x_bar += y_bar * g`` gives ``y_dot = x_dot * g``); a linear primitive's tangent is the
primitive applied to the tangents (``linear``), a multilinear one's the sum over its operands
(``multilinear``: ``a_dot @ b + a @ b_dot``); any other gives a template::

    @tangent(np.max)
    def _(y, x, axis=None, keepdims=False):
        y_dot = reduce_sum(x_dot * extremum_adjoint(ones_like(y), x, y, axis, keepdims), ...)

whose right-hand side is a sum of terms, each linear in one ``<parameter>_dot``.
"""
import ast
import builtins
import copy
import inspect
import textwrap
from dataclasses import dataclass

from . import support
from .nodes import substitute

RESULT = "y"            # conventional name of the result in templates (any first param works)


@dataclass
class Rule:
    """How to emit, and how to differentiate, one primitive."""
    name: str                       # canonical call in generated code, e.g. "np.sin"
    params: list                    # template parameters after the result
    defaults: dict                  # their defaults
    template: list = None           # adjoint template statements (or None with a builder)
    result: str = RESULT            # the template's name for the result
    builder: object = None          # callable(Instance) -> (prelude, shares), instead of template
    broadcast: bool = False         # elementwise over broadcast operands: unbroadcast shares
    primal: str = None              # helper that computes the primal inside numba, if not `name`
    differentiable: tuple = None    # params that carry derivatives (default: those with shares)
    reduces: bool = False           # result is a scalar when axis is None and not keepdims
    elementwise: bool = False       # result is a scalar when every operand is
    nondiff: bool = False           # zero derivative (sign, floor, comparisons)
    operator: type = None           # ast operator class when the primitive is an operator
    keeps_integers: bool = False    # integer operands give an integer result (+, sum, indexing)
    constants: tuple = ()           # params that must be literals in the user's code (axis)
    key: str = ""                   # short name for helpers in generated code ("mul", "sin")
    tangent: ast.expr = None        # forward-mode template: the right-hand side of y_dot = ...
    linear: bool = False            # linear in its differentiable parameters (sum, reshape)
    multilinear: bool = False       # linear in each differentiable parameter (matmul)
    impl: object = None             # a user primitive: the function generated code calls
    rank: object = None             # the result's rank: a number, or the parameter it keeps
    view: bool = False              # the result may share memory with operand x (a[1:], .T)
    arguments: object = None        # callable(positional args) -> them in the rule's order
    shape_only: tuple = ()          # params read only for their shape or dtype (zeros_like's x)

    def expression(self):
        """The primitive applied to its parameters' names: ``a + b``, ``np.sin(x)``."""
        roles = [ast.Name(p, ast.Load()) for p in self.params]
        if self.operator is not None:
            return ast.UnaryOp(self.operator(), roles[0]) if len(roles) == 1 else \
                ast.BinOp(roles[0], self.operator(), roles[1])
        return ast.Call(ast.parse(self.name, mode="eval").body, roles, [])

    def diff_params(self):
        if self.nondiff:
            return ()
        if self.differentiable is not None:
            return self.differentiable
        if self.template is not None:
            return tuple(p for p in self.params if _shares_to(self.template, p))
        return tuple(self.params)


_registry = {}
_by_name = {}


def lookup(obj):
    """The rule registered for ``obj`` (a function object or operator key), or None."""
    try:
        return _registry.get(obj)
    except TypeError:           # unhashable objects have no rule
        return None


def named(name):
    """The rule last registered under ``name``, how generated code calls it, or None."""
    return _by_name.get(name)


def register(objs, rule):
    for obj in objs:
        _registry[obj] = rule
    _by_name[rule.name] = rule


def alias(obj, of, name=None, as_operator=False):
    """Register ``obj`` with the rule of ``of``, called as ``name`` in generated code (or
    written as ``of``'s operator: numba has ``a @ b`` but not ``np.matmul``)."""
    rule = lookup(of)
    register([obj], Rule(**{**rule.__dict__, "name": name or canonical_name(obj),
                            "operator": rule.operator if as_operator else None}))


def canonical_name(obj):
    """How generated code spells a NumPy or math function, e.g. ``np.exp`` or ``math.exp``."""
    import math

    import numpy as np
    name = getattr(obj, "__name__", None)
    if name and getattr(np, name, None) is obj:
        return "np." + name
    if name and getattr(math, name, None) is obj:
        return "math." + name
    raise ValueError(f"no canonical name for {obj!r}; pass name=")


def _template_of(func):
    """Parse a template function: (parameter names, defaults, body statements)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    fdef = tree.body[0]
    sig = inspect.signature(func)
    names = list(sig.parameters)
    defaults = {k: p.default for k, p in sig.parameters.items()
                if p.default is not inspect.Parameter.empty}
    body = [s for s in fdef.body if not (isinstance(s, (ast.Expr, ast.Pass))
                                         and not isinstance(getattr(s, "value", None), ast.Call))]
    for stmt in body:
        if not (isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name)
                and stmt.target.id[:-4] in names[1:] and stmt.target.id.endswith("_bar")):
            raise ValueError(f"rule template {func.__qualname__}: every line must be "
                             f"'<parameter>_bar += <expression>', not {ast.unparse(stmt)!r}")
    return names, defaults, body


def _shares_to(body, param):
    return any(isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name)
               and s.target.id == param + "_bar" for s in body)


def adjoint(*objs, name=None, broadcast=False, primal=None, differentiable=None,
            reduces=False, elementwise=None, operator=None, builder=None, keeps_integers=False,
            constants=(), key=None, linear=False, multilinear=False, rank=None, view=False,
            arguments=None):
    """Register the decorated template (or, with ``builder=``, the signature) as the rule of
    ``objs``. ``name`` is how generated code calls it (default: ``np.<name>``/``math.<name>``);
    ``arguments`` puts a call's positional arguments in the template's order."""
    def decorate(func):
        names, defaults, body = _template_of(func)
        rule = Rule(name=name or canonical_name(objs[0]), key=key or _key(objs[0], name),
                    params=names[1:], defaults=defaults,
                    template=None if builder else body, result=names[0], builder=builder,
                    broadcast=broadcast, primal=primal, differentiable=differentiable,
                    reduces=reduces, elementwise=broadcast if elementwise is None else elementwise,
                    operator=operator, keeps_integers=keeps_integers, constants=constants,
                    linear=linear, multilinear=multilinear, rank=rank, view=view,
                    arguments=arguments)
        register(objs, rule)
        return func
    return decorate


def tangent(*objs):
    """Give the rule of ``objs`` (registered already) the decorated forward-mode template, one
    line ``<result>_dot = <sum of terms, each linear in one <parameter>_dot>``."""
    def decorate(func):
        rule = lookup(objs[0])
        if rule is None:
            raise ValueError(f"{objs[0]!r} has no rule: register its adjoint first")
        rule.tangent = tangent_template(func, rule)
        return func
    return decorate


def tangent_template(func, rule):
    """The right-hand side of the decorated template, checked against ``rule``'s parameters."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    names = list(inspect.signature(func).parameters)
    body = [s for s in tree.body[0].body if not (isinstance(s, ast.Expr)
                                                 and isinstance(s.value, ast.Constant))]
    where = f"tangent template {func.__qualname__}"
    if names[1:] != list(rule.params):
        raise ValueError(f"{where}: parameters {names[1:]} differ from the rule's {rule.params}")
    if len(body) != 1 or not (isinstance(body[0], ast.Assign) and len(body[0].targets) == 1
                              and isinstance(body[0].targets[0], ast.Name)
                              and body[0].targets[0].id == names[0] + "_dot"):
        raise ValueError(f"{where}: the body must be one line '{names[0]}_dot = <expression>'")
    expr = substitute(body[0].value, {names[0]: ast.Name(rule.result, ast.Load())})
    for term in additive_terms(expr):
        dots = {n.id for n in ast.walk(term[1]) if isinstance(n, ast.Name)
                and n.id.endswith("_dot") and n.id[:-4] in rule.params}
        if len(dots) != 1:
            raise ValueError(f"{where}: each term must be linear in one '<parameter>_dot', not "
                             f"{ast.unparse(term[1])!r}")
    return expr


def additive_terms(expr):
    """``expr`` as a list of (sign, term) over its top-level ``+`` and ``-``."""
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Add, ast.Sub)):
        right = [(sign if isinstance(expr.op, ast.Add) else -sign, term)
                 for sign, term in additive_terms(expr.right)]
        return additive_terms(expr.left) + right
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub):
        return [(-sign, term) for sign, term in additive_terms(expr.operand)]
    return [(1, expr)]


def _key(obj, name):
    """A short identifier for a primitive: "mul" for *, "sin" for np.sin, "abs" for np.abs."""
    if name and name.replace(".", "").replace("_", "").isalnum():
        return name.split(".")[-1]
    return obj.__name__


def nondifferentiable(*objs, name=None, params=("x",)):
    """Register ``objs`` as having zero derivative (their result is a constant to AD)."""
    for obj in objs:
        register([obj], Rule(name=name or canonical_name(obj), params=list(params), defaults={},
                             nondiff=True))


IMPORTS = {}        # name in generated code -> module it is imported from (runtime kernels)


def importable(*funcs):
    """Let generated code call ``funcs`` (module-level functions, numba dispatchers or functions
    with an ``@overload`` twin) by their names, imported from their modules."""
    for func in funcs:
        name = func.__name__
        if IMPORTS.get(name, func.__module__) != func.__module__:
            raise ValueError(f"{name!r} is importable from {IMPORTS[name]} already")
        IMPORTS[name] = func.__module__
    return funcs[0] if len(funcs) == 1 else funcs


# --------------------------------------------------------------------------- instantiation

@dataclass
class Share:
    """One input's share of a result's adjoint, written in the template's own names."""
    role: str                       # the parameter it belongs to ("x", "a", "arrays")
    arg: ast.Name                   # the variable at the call site that receives it
    expr: ast.expr                  # in terms of the result, its adjoint and the parameters
    index: ast.expr = None          # given: the share goes into arg_bar[index] (call-site names)


@dataclass
class Instance:
    """A rule applied at one call site: the names the template's parameters stand for."""
    rule: Rule
    target: ast.Name                # the result
    args: dict                      # param -> ast expression at the call site
    bar: object                     # callable(name: str) -> adjoint variable name
    fresh: object                   # callable(hint: str) -> a new unique name

    def mapping(self):
        """Template name -> call-site expression."""
        out = dict(self.args)
        out[self.rule.result] = self.target
        out[self.rule.result + "_bar"] = ast.Name(self.bar(self.target.id), ast.Load())
        return out

    def substitute(self, node):
        """``node`` (in template names) rewritten in call-site names."""
        return substitute(node, self.mapping())


def instantiate(inst):
    """(prelude statements in call-site names, [Share]) for one call site."""
    rule = inst.rule
    if rule.builder is not None:
        return rule.builder(inst)
    shares = []
    for stmt in rule.template:
        role = stmt.target.id[:-4]
        arg = inst.args.get(role)
        if isinstance(arg, ast.Name):
            shares.append(Share(role, arg, copy.deepcopy(stmt.value)))
    return [], shares


# --------------------------------------------------------------------------- user primitives

PRIMITIVES = {}     # name in generated code -> (definition copied into modules, Rule)


def primitive(func=None, *, elementwise=False):
    """Make ``func`` a primitive: derivatives call it as it is and use the rules that
    ``defvjp`` and ``defjvp`` give it, instead of differentiating its body. Its body may use
    NumPy (as ``np``), ``math`` and builtins; compiled code runs it with numba.
    ``elementwise=True`` declares that it maps each element on its own (broadcasting its
    operands): forward mode then derives its tangent from its adjoint."""
    def make(f):
        if lookup(f) is not None:
            raise ValueError(f"{f.__qualname__} already has a rule")
        tree = ast.parse(textwrap.dedent(inspect.getsource(f)))
        node = tree.body[0]
        node.decorator_list = []
        params = list(inspect.signature(f).parameters)
        local = set(params) | {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
                               and isinstance(n.ctx, ast.Store)}
        free = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
                and isinstance(n.ctx, ast.Load)} - local - {"np", "math"} - set(vars(builtins))
        if free:
            raise ValueError(f"primitive {f.__qualname__} reads {sorted(free)}: a primitive may "
                             "use only its arguments, NumPy as np, math and builtins")
        name = _unique_primitive_name(f.__name__)
        node.name = name
        defaults = {k: p.default for k, p in inspect.signature(f).parameters.items()
                    if p.default is not inspect.Parameter.empty}
        rule = Rule(name=name, key=name, params=params, defaults=defaults,
                    elementwise=elementwise, broadcast=elementwise, impl=f)
        register([f], rule)
        PRIMITIVES[name] = node, rule
        return f
    return make if func is None else make(func)


def _unique_primitive_name(name):
    taken = set(PRIMITIVES) | set(support.__all__) | set(IMPORTS) | {"np", "math"}
    candidate, k = name, 1
    while candidate in taken:
        k += 1
        candidate = f"{name}_{k}"
    return candidate


def _primitive_rule(prim):
    rule = lookup(prim)
    if rule is None or rule.impl is None:
        raise ValueError(f"{getattr(prim, '__qualname__', prim)!r} is not a primitive: "
                         "decorate it with adcompiler.primitive first")
    return rule


def defvjp(prim):
    """Give the primitive ``prim`` its adjoint, a template in the built-in rules' style::

        @defvjp(softplus)
        def _(y, x):
            x_bar += y_bar * sigmoid_of(x)
    """
    rule = _primitive_rule(prim)

    def decorate(template):
        names, _, body = _template_of(template)
        if names[1:] != rule.params:
            raise ValueError(f"adjoint template {template.__qualname__}: parameters "
                             f"{names[1:]} differ from the primitive's {rule.params}")
        rule.template, rule.result = body, names[0]
        return template
    return decorate


def defjvp(prim):
    """Give the primitive ``prim`` its tangent: ``y_dot = <terms, each linear in one
    <parameter>_dot>``."""
    rule = _primitive_rule(prim)

    def decorate(template):
        rule.tangent = tangent_template(template, rule)
        return template
    return decorate
