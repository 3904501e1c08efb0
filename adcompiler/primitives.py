"""User primitives: functions that derivatives call as they are, with the rules ``defvjp`` and
``defjvp`` give them, instead of differentiating their bodies. Generated modules carry a copy of
each primitive they call."""
import ast
import builtins
import inspect
import textwrap

from . import support
from .define import adjoint_template, tangent_template
from .naming import unique_name
from .rules import IMPORTS, Rule, Structure, lookup, register

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
        structure = Structure.BROADCASTING if elementwise else Structure.GENERAL
        rule = Rule(name=name, key=name, params=params, defaults=defaults, structure=structure,
                    impl=f)
        register([f], rule)
        PRIMITIVES[name] = node, rule
        return f
    return make if func is None else make(func)


def _unique_primitive_name(name):
    return unique_name(name, set(PRIMITIVES) | set(support.__all__) | set(IMPORTS)
                       | {"np", "math"})


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
        names, _, body = adjoint_template(template)
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
