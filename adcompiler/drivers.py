"""Jacobian drivers: a generated function that fills a Jacobian column by column with a tangent
function (forward mode, one sweep per input) or row by row with a pullback (reverse mode, one
sweep per output). Forward mode wins when there are fewer inputs than outputs, reverse mode when
there are more. The driver returns the value and the (outputs, inputs) matrix."""
import ast

from .naming import unique_name
from .nodes import comment

FORWARD = '''
def {name}({params}):
    {y} = {primal}({params})
    {jac} = jacobian_buffer({y}, {x})
    for {k} in range({jac}.shape[1]):
        {y}, {y_dot} = {core}({params}, unit_like({x}, {k}))
        store_column({jac}, {k}, {y_dot})
    return {y}, {jac}
'''

REVERSE = '''
def {name}({params}):
    {y} = {primal}({params})
    {jac} = jacobian_buffer({y}, {x})
    for {k} in range({jac}.shape[0]):
        {x_bar} = {core}({params}, unit_like({y}, {k}))
        store_row({jac}, {k}, {x_bar})
    return {y}, {jac}
'''

EXPLAIN = {FORWARD: "column k of the Jacobian is the tangent along the k-th unit vector of {x}",
           REVERSE: "row k of the Jacobian is the gradient of the k-th output"}


def jacobian(module, program, core, wrt, forward):
    """The FunctionDef of the driver named ``program.name + '_jacobian'`` over the tangent or
    pullback function ``core`` of ``program`` with respect to the parameter ``wrt``."""
    template = FORWARD if forward else REVERSE
    taken = set(program.params)
    names = {hint: unique_name(hint, taken) for hint in ("y", "jac", "k", "y_dot", "x_bar")}
    text = template.format(name=module.unique(program.name + "_jacobian"),
                           params=", ".join(program.params), primal=program.name, core=core,
                           x=wrt, **names)
    function = ast.parse(text).body[0]
    function.body.insert(0, comment(EXPLAIN[template].format(x=wrt)))
    return function
