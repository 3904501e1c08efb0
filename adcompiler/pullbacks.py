"""The adjoint of a call of a user function: a call of its pullback, which either recomputes
the callee's forward sweep or, split, takes the values that sweep saved.

A call's pullback by default recomputes the callee's forward sweep (nothing is kept between the
sweeps), so a network of layers called from a loss would compute each layer's forward pass
once per level of calls. For a callee made of operations only (no branch, loop or in-place
write), called at the top level of a function that writes nothing in place, the forward sweep
calls ``f_forward``, which returns the result and the values its adjoint reads
(``f_saved``), and the reverse sweep calls ``f_backward`` with them:

    h, layer_saved1 = layer_forward(w, x)          # forward sweep
    ...
    w_from_layer1, x_from_layer2 = layer_backward(w, x, layer_saved1, h_bar)

Nothing between the two calls can change a saved value: the caller writes nothing in place,
and neither does the callee.
"""
import ast

from .ir import Op, OpKind, walk_ops
from .nodes import call, function, load


def call_wrt(writer, op):
    """The parameters of ``op``'s callee whose adjoints the call passes on."""
    return [p for p, a in zip(op.callee.params, op.args)
            if isinstance(a, ast.Name) and a.id in writer.active]


def call_adjoint(writer, op, out):
    """Append to ``out`` the statements adding the call ``op``'s shares to its arguments'
    adjoints."""
    callee = op.callee
    wrt = call_wrt(writer, op)
    if not wrt:
        return
    adjoints = writer.adjoints
    seeds = [load(adjoints.bar(t)) if t in adjoints.initialized
             else call("zeros_like", load(t)) for t in op.targets]
    results = [(p, a) for p, a in zip(callee.params, op.args) if p in wrt]
    temps = [writer.fresh(f"{a.id}_from_{callee.name}") for _, a in results]
    writer.call_results.update(temps)
    store = ast.Name(temps[0], ast.Store()) if len(temps) == 1 else \
        ast.Tuple([ast.Name(t, ast.Store()) for t in temps], ast.Store())
    if id(op) in writer.splits:
        _, backward, saved = writer.splits[id(op)]
        out.append(ast.Assign([store], call(backward, *op.args, load(saved), *seeds)))
    else:
        out.append(ast.Assign([store], call(writer.module.vjp(callee, wrt), *op.args, *seeds)))
    for (_, arg), temp in zip(results, temps):
        adjoints.accumulate(arg.id, load(temp), out)


def passed_on(statements, bar, call_results):
    """True if the adjoint ``bar`` is bound once in ``statements``, to a gradient a call's
    pullback returned, and read nowhere: a new array of its variable's type (a pullback returns
    each gradient cast, as a new array, or passed on by this same test) that no other name
    holds, so it is returned without another copy."""
    stores = loads = 0
    value = None
    for statement in statements:
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and node.id == bar:
                stores += isinstance(node.ctx, ast.Store)
                loads += not isinstance(node.ctx, ast.Store)
            elif isinstance(node, ast.Assign) and [getattr(t, "id", None)
                                                   for t in node.targets] == [bar]:
                value = node.value
    return stores == 1 and loads == 0 and isinstance(value, ast.Name) \
        and value.id in call_results


def splittable(program):
    """True if ``program`` can be split: operations only, none writing in place, one return."""
    return not program.returns_early and program.result_shape is None \
        and not program.written_params \
        and all(isinstance(node, Op) and node.kind not in (OpKind.SETITEM, OpKind.PUSH,
                                                           OpKind.POP) for node in program.body)


def plan(writer):
    """id(op) -> (forward name, backward name, saved name) for the calls ``writer``'s function
    splits: its active top-level calls of splittable callees, when it writes nothing in
    place."""
    program = writer.program
    if any(op.kind is OpKind.SETITEM for op in walk_ops(program.body)):
        return {}
    splits = {}
    for node in program.body:
        if not (isinstance(node, Op) and node.kind is OpKind.CALL and splittable(node.callee)
                and any(t in writer.active for t in node.targets)):
            continue
        wrt = call_wrt(writer, node)
        names = writer.module.split(node.callee, wrt) if wrt else None
        if names is not None:
            splits[id(node)] = names + (writer.fresh(f"{node.callee.name}_saved"),)
    return splits


def functions(writer, forward_name, backward_name):
    """(forward, backward) definitions of ``writer``'s program, or None when its adjoint reads
    no value of the forward sweep (the pullback then recomputes nothing anyway)."""
    program = writer.program
    reverse = writer.reverse_sweep()
    forward = writer.forward_sweep(needed=None)
    loaded = {n.id for s in reverse for n in ast.walk(s)
              if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    saved = [name for name in _stored(forward) if name in loaded
             and name not in program.params]
    if not saved:
        return None
    results = program.result.elts if isinstance(program.result, ast.Tuple) else \
        [program.result]
    values = ast.Tuple([load(name) for name in saved], ast.Load())
    forward_def = function(forward_name, program.params,
                           forward + [ast.Return(ast.Tuple(results + [values], ast.Load()))])
    parameter = writer.fresh("saved")
    unpack = ast.Assign([ast.Tuple([ast.Name(n, ast.Store()) for n in saved], ast.Store())],
                        load(parameter))
    backward_def = function(backward_name,
                            list(program.params) + [parameter] + writer.seed_params,
                            [unpack] + reverse)
    return forward_def, backward_def


def _stored(statements):
    """Names the statements bind, in order of first binding."""
    names = {}
    for statement in statements:
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.setdefault(node.id, None)
    return list(names)
