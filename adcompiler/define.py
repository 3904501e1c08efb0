"""How derivative rules are written: templates that read as math, registered by helpers named
for what is known of the primitive::

    @elementwise(np.sin, math.sin)
    def _(y, x):                    # y = np.sin(x)
        x_bar += y_bar * np.cos(x)

The first parameter names the result, the others the call's arguments (with the primitive's own
defaults). Each line ``x_bar += e`` states x's share of the adjoint. The reverse transform writes
each share with the call site's names (or, on arrays, as a call to a small helper holding ``e``)
and accumulates it. Rules easier written as code than as a template (indexing, stacking) give a
*builder* and their signature instead, which returns the same Shares.

Forward mode needs a tangent: an element-wise rule's comes from its adjoint (the Jacobian is
diagonal: ``x_bar += y_bar * g`` gives ``y_dot = x_dot * g``); a linear primitive's tangent is the
primitive applied to the tangents, a bilinear one's the sum over its operands (``a_dot @ b + a @
b_dot``); any other gives a template::

    @tangent(np.max)
    def _(y, x, axis=None, keepdims=False):
        y_dot = reduce_sum(x_dot * extremum_adjoint(ones_like(y), x, y, axis, keepdims), ...)

whose right-hand side is a sum of terms, each linear in one ``<parameter>_dot``.
"""
import ast
import inspect
import textwrap

from .nodes import substitute
from .rules import KEPT, Rule, Structure, additive_terms, canonical_name, lookup, register


def adjoint(*objs, structure=Structure.GENERAL, name=None, signature=None, builder=None,
            keeps_integers=False, **facts):
    """Register the decorated template as the adjoint rule of ``objs`` (or, with ``builder=``
    and ``signature=`` such as ``"y, x, index"``, register it at once). ``name`` is how
    generated code calls it (default: ``np.<name>``/``math.<name>``); ``facts`` are further
    Rule fields (``primal``, ``reduces``, ``rank``, ``constants``, ``view``, ...)."""
    def decorate(func):
        names, defaults, body = adjoint_template(func) if func is not None else \
            _signature_of(signature)
        rule = Rule(name=name or canonical_name(objs[0]), key=facts.pop("key", None)
                    or _key(objs[0], name), params=names[1:], defaults=defaults,
                    structure=structure, template=None if builder else body, result=names[0],
                    builder=builder, integer=KEPT if keeps_integers else False, **facts)
        register(objs, rule)
        return func
    return decorate(None) if builder is not None else decorate


def elementwise(*objs, **facts):
    """An adjoint rule of a primitive that maps each element on its own."""
    return adjoint(*objs, structure=Structure.ELEMENTWISE, **facts)


def broadcasting(*objs, **facts):
    """An adjoint rule of an element-wise primitive whose operands broadcast to one shape."""
    return adjoint(*objs, structure=Structure.BROADCASTING, **facts)


def linear(*objs, **facts):
    """An adjoint rule of a primitive linear in its differentiable parameters."""
    return adjoint(*objs, structure=Structure.LINEAR, **facts)


def bilinear(*objs, **facts):
    """An adjoint rule of a primitive linear in each of its two differentiable parameters."""
    return adjoint(*objs, structure=Structure.BILINEAR, **facts)


def nondifferentiable(*objs, name=None, params=("x",), **facts):
    """Register ``objs`` as having zero derivative (their result is a constant to AD).
    ``facts`` state what their result is (``rank``, ``integer``), as for any rule."""
    for obj in objs:
        register([obj], Rule(name=name or canonical_name(obj), params=list(params), defaults={},
                             structure=Structure.ZERO, **facts))


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


def adjoint_template(func):
    """Parse an adjoint template function: (parameter names, defaults, body statements)."""
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


def _signature_of(text):
    """(parameter names, defaults, no body) of a signature such as ``"y, x, axis=0"``."""
    args = ast.parse(f"def _({text}): pass").body[0].args
    names = [a.arg for a in args.args]
    values = [ast.literal_eval(d) for d in args.defaults]
    return names, dict(zip(names[len(names) - len(values):], values)), None


def _key(obj, name):
    """A short identifier for a primitive: "mul" for *, "sin" for np.sin, "abs" for np.abs."""
    if name and name.replace(".", "").replace("_", "").isalnum():
        return name.split(".")[-1]
    return obj.__name__
