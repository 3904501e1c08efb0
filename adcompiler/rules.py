"""The derivative-rule registry: one Rule per primitive, shared by built-ins, runtime and users.

A Rule holds everything known about its primitive: how generated code calls it, how a call's
arguments bind to its parameters, the rank and integer-ness of its result, which arguments are
read only for their shape, and its derivatives (an adjoint template or builder, a tangent
template, or a structure from which the transforms derive them). Rules are written with the
helpers of define.py; user primitives with those of primitives.py.
"""
import ast
import copy
import inspect
from dataclasses import dataclass
from enum import Enum

from .nodes import substitute

RESULT = "y"            # conventional name of the result in templates (any first param works)


class Structure(Enum):
    """What the transforms may assume of a primitive's derivative."""
    GENERAL = "general"             # nothing: its templates say it all
    ELEMENTWISE = "elementwise"     # maps each element on its own (a scalar for scalars): its
                                    # tangent follows from its adjoint, the Jacobian is diagonal
    BROADCASTING = "broadcasting"   # element-wise over operands broadcast to one shape: a
                                    # share is summed back to its operand's shape
    LINEAR = "linear"               # linear in its differentiable parameters: its tangent is
                                    # the primitive applied to the tangents
    BILINEAR = "bilinear"           # linear in each differentiable parameter: its tangent is
                                    # the sum over its operands (a_dot @ b + a @ b_dot)
    ZERO = "zero"                   # no derivative (sign, floor, comparisons, shapes)


KEPT = "kept"           # ``integer``: the result is an integer when its operands are


@dataclass
class Rule:
    """How to emit, and how to differentiate, one primitive."""
    name: str                       # canonical call in generated code, e.g. "np.sin"
    params: list                    # template parameters after the result
    defaults: dict                  # their defaults
    structure: Structure = Structure.GENERAL
    template: list = None           # adjoint template statements (or None with a builder)
    result: str = RESULT            # the template's name for the result
    builder: object = None          # callable(Instance) -> (prelude, shares), instead of template
    tangent: ast.expr = None        # forward-mode template: the right-hand side of y_dot = ...
    differentiable: tuple = None    # params that carry derivatives (default: those with shares)
    key: str = ""                   # short name for helpers in generated code ("mul", "sin")
    operator: type = None           # ast operator class when the primitive is an operator
    primal: str = None              # helper that computes the primal inside numba, if not `name`
    impl: object = None             # a user primitive: the function generated code calls
    arguments: object = None        # callable(positional args) -> them in the rule's order
    constants: tuple = ()           # params that must be literals in the user's code (axis)
    reduces: bool = False           # a reduction over ``axis`` (a scalar for axis=None)
    rank: object = None             # the result's rank: a number, the parameter whose rank it
                                    # keeps, or callable(args, type_of) -> rank or None
    integer: object = False         # the result is an integer: True, False or KEPT
    view: bool = False              # the result may share memory with operand x (a[1:], .T)
    shape_only: tuple = ()          # params read only for their shape or dtype (zeros_like's x)
    same_type_as: str = None        # the param whose shape and dtype the result has (copy's x)
    sequences: tuple = ()           # params that may be a tuple of values (stack's arrays)
    folds: bool = False             # more arguments fold pairwise: max(a, b, c) is
                                    # max(max(a, b), c)

    @property
    def elementwise(self):
        return self.structure in (Structure.ELEMENTWISE, Structure.BROADCASTING)

    @property
    def broadcast(self):
        return self.structure is Structure.BROADCASTING

    @property
    def linear(self):
        return self.structure is Structure.LINEAR

    @property
    def bilinear(self):
        return self.structure is Structure.BILINEAR

    @property
    def nondiff(self):
        return self.structure is Structure.ZERO

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

    def bind(self, args, kwargs):
        """The call's arguments (atoms) by parameter, defaults filled in; TypeError if they do
        not fit the primitive's signature."""
        if self.arguments is not None:
            args = self.arguments(args)
        signature = inspect.Signature([
            inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                              default=self.defaults.get(p, inspect.Parameter.empty))
            for p in self.params])
        bound = dict(signature.bind(*args, **kwargs).arguments)
        for p, default in self.defaults.items():
            bound.setdefault(p, ast.Constant(default))
        return bound

    def render(self, args, kwargs, bound):
        """The call as generated code writes it: ``a + b``, ``x[i]``, ``reduce_sum(x, 0,
        False)``, or the user's own call."""
        if self.operator is not None:
            if len(self.params) == 1:
                return ast.UnaryOp(self.operator(), bound[self.params[0]])
            return ast.BinOp(bound["a"], self.operator(), bound["b"])
        if self.name == "[]":
            return ast.Subscript(bound["x"], bound["index"], ast.Load())
        optional = [p for p in self.params if p in self.defaults]
        defaults_only = all(isinstance(bound[p], ast.Constant)
                            and bound[p].value == self.defaults[p] for p in optional)
        if self.reduces and defaults_only:
            required = [bound[p] for p in self.params if p not in self.defaults]
            return ast.Call(ast.parse(self.name, mode="eval").body, required, [])
        if self.primal:
            return ast.Call(ast.Name(self.primal, ast.Load()), [bound[p] for p in self.params],
                            [])
        return ast.Call(ast.parse(self.name, mode="eval").body, args,
                        [ast.keyword(k, v) for k, v in kwargs.items()])

    def result_rank(self, args, type_of):
        """The rank of the result for arguments ``args`` (param -> atom), from ``type_of(atom)
        -> (rank, is_integer)``; None when not known."""
        ranks = {p: type_of(a)[0] for p, a in args.items()
                 if isinstance(a, (ast.Name, ast.Constant))}
        if callable(self.rank):
            return self.rank(args, type_of)
        if self.rank is not None:
            return ranks.get(self.rank) if isinstance(self.rank, str) else self.rank
        if self.elementwise:
            return None if None in ranks.values() else max(ranks.values(), default=0)
        if self.reduces:
            x, axis, keepdims = ranks.get("x"), args.get("axis"), args.get("keepdims")
            if isinstance(keepdims, ast.Constant) and keepdims.value:
                return x
            if isinstance(axis, ast.Constant) and axis.value is None:
                return 0
            return None if x is None else max(x - 1, 0)
        return None

    def integer_result(self, args, type_of):
        """True if the result is an integer for arguments ``args``."""
        if self.integer != KEPT:
            return self.integer
        values = [e for p in self.diff_params() for e in
                  (args[p].elts if isinstance(args[p], ast.Tuple) else [args[p]])]
        return all(type_of(v)[1] for v in values)


def _shares_to(body, param):
    return any(isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name)
               and s.target.id == param + "_bar" for s in body)


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


def alias(obj, of, name=None, as_operator=False, **facts):
    """Register ``obj`` with the rule of ``of``, called as ``name`` in generated code (or
    written as ``of``'s operator: numba has ``a @ b`` but not ``np.matmul``); ``facts`` are
    the Rule fields in which it differs."""
    rule = lookup(of)
    register([obj], Rule(**{**rule.__dict__, "name": name or canonical_name(obj),
                            "operator": rule.operator if as_operator else None, **facts}))


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


def additive_terms(expr):
    """``expr`` as a list of (sign, term) over its top-level ``+`` and ``-``."""
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Add, ast.Sub)):
        right = [(sign if isinstance(expr.op, ast.Add) else -sign, term)
                 for sign, term in additive_terms(expr.right)]
        return additive_terms(expr.left) + right
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub):
        return [(-sign, term) for sign, term in additive_terms(expr.operand)]
    return [(1, expr)]
