"""The derivative-rule registry: one entry per primitive, shared by built-ins, runtime and users.

A rule is written as a template that reads as math::

    @adjoint(np.sin)
    def _(y, x):                    # y = np.sin(x)
        x_bar += y_bar * np.cos(x)

The first parameter names the result, the others the call's arguments (with the primitive's own
defaults). ``x_bar += e`` states x's share of the adjoint; any other statement is a helper line.
The reverse transform substitutes the real names and accumulates each share. Rules that are easier
written as code than as a template (indexing, stacking) give a *builder* instead.
"""
import ast
import copy
import inspect
import textwrap
from dataclasses import dataclass, field

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

    def diff_params(self):
        if self.nondiff:
            return ()
        if self.differentiable is not None:
            return self.differentiable
        if self.template is not None:
            return tuple(p for p in self.params if _shares_to(self.template, p))
        return tuple(self.params)


_registry = {}


def lookup(obj):
    """The rule registered for ``obj`` (a function object or operator key), or None."""
    try:
        return _registry.get(obj)
    except TypeError:           # unhashable objects have no rule
        return None


def register(objs, rule):
    for obj in objs:
        _registry[obj] = rule


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
    body = [s for s in fdef.body if not (isinstance(s, ast.Expr)
                                         and isinstance(s.value, ast.Constant))]
    return names, defaults, body


def _shares_to(body, param):
    return any(isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name)
               and s.target.id == param + "_bar" for s in body)


def adjoint(*objs, name=None, broadcast=False, primal=None, differentiable=None,
            reduces=False, elementwise=None, operator=None, builder=None, keeps_integers=False,
            constants=()):
    """Register the decorated template (or, with ``builder=``, the signature) as the rule of
    ``objs``. ``name`` is how generated code calls it (default: ``np.<name>``/``math.<name>``)."""
    def decorate(func):
        names, defaults, body = _template_of(func)
        rule = Rule(name=name or canonical_name(objs[0]), params=names[1:], defaults=defaults,
                    template=None if builder else body, result=names[0], builder=builder,
                    broadcast=broadcast, primal=primal, differentiable=differentiable,
                    reduces=reduces, elementwise=broadcast if elementwise is None else elementwise,
                    operator=operator, keeps_integers=keeps_integers, constants=constants)
        register(objs, rule)
        return func
    return decorate


def nondifferentiable(*objs, name=None, params=("x",)):
    """Register ``objs`` as having zero derivative (their result is a constant to AD)."""
    for obj in objs:
        register([obj], Rule(name=name or canonical_name(obj), params=list(params), defaults={},
                             nondiff=True))


# --------------------------------------------------------------------------- instantiation

@dataclass
class Instance:
    """A rule applied at one call site: the names the template's parameters stand for."""
    rule: Rule
    target: ast.expr                # the result (a Name)
    args: dict                      # param -> ast expression at the call site
    bar: object                     # callable(name: str) -> adjoint variable name
    fresh: object                   # callable(hint: str) -> a new unique name
    shares: list = field(default_factory=list)

    def result_bar(self):
        return ast.Name(self.bar(self.target.id), ast.Load())


class _Substitute(ast.NodeTransformer):
    def __init__(self, mapping):
        self.mapping = mapping

    def visit_Name(self, node):
        if node.id in self.mapping:
            new = copy.deepcopy(self.mapping[node.id])
            if isinstance(new, ast.Name):
                new.ctx = node.ctx
            return new
        return node


def instantiate(inst):
    """(prelude statements, [(arg Name, share expression)]) for one call site."""
    rule = inst.rule
    if rule.builder is not None:
        return rule.builder(inst)
    mapping = dict(inst.args)
    mapping[rule.result] = inst.target
    mapping[rule.result + "_bar"] = inst.result_bar()
    locals_ = {t.id for s in rule.template if isinstance(s, ast.Assign) for t in s.targets
               if isinstance(t, ast.Name)}
    for name in sorted(locals_):
        mapping[name] = ast.Name(inst.fresh(f"{inst.target.id}_{name}"), ast.Load())
    prelude, shares = [], []
    for stmt in rule.template:
        if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name) \
                and stmt.target.id.endswith("_bar") and stmt.target.id[:-4] in rule.params:
            arg = inst.args.get(stmt.target.id[:-4])
            if isinstance(arg, ast.Name):
                shares.append((arg, _Substitute(mapping).visit(copy.deepcopy(stmt.value))))
        else:
            prelude.append(_Substitute(mapping).visit(copy.deepcopy(stmt)))
    return prelude, shares
