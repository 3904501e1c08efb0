"""Each stage on its own, on small functions: normalization, liveness, activity and types, tape
planning. The derivatives themselves are checked against finite differences elsewhere."""
import ast

import numpy as np
import pytest

import adcompiler as adc
from adcompiler import analyze
from adcompiler.assembly import Module
from adcompiler.ir import If, Loop, Op, OpKind, walk_loops
from adcompiler.liveness import live_at_loop_heads
from adcompiler.normalize import Library, normalize
from adcompiler.parse import parse_function
from adcompiler.reverse import Writer
from adcompiler.spec import GRAD, Spec

import corpus_control as corpus

ARRAY, SCALAR = analyze.ARRAY, analyze.SCALAR


def weighted_sum(w, x1, w2, x2, b):
    z = w * x1 + w2 * x2 + b
    z = z * 2.0
    return z


def test_expressions_become_three_address_code_and_rebound_names_new_versions():
    program = normalize(weighted_sum)
    assert [(op.targets, ast.unparse(op.expr)) for op in program.ops] == [
        (("t1",), "w * x1"), (("t2",), "w2 * x2"), (("t3",), "t1 + t2"), (("z",), "t3 + b"),
        (("z_1",), "z * 2.0")]
    assert all(op.kind is OpKind.RULE for op in program.ops)
    assert program.final["z"] == "z_1"


def branchy(x):
    if x > 0.0:
        y = x * 2.0
    else:
        y = x * 3.0
    return y


def test_a_branch_ends_each_side_copying_into_one_merged_version():
    program = normalize(branchy)
    branch = next(node for node in program.body if isinstance(node, If))
    ends = [side[-1] for side in (branch.body, branch.orelse)]
    assert all(op.kind is OpKind.COPY for op in ends)
    assert ends[0].targets == ends[1].targets == (program.final["y"],)
    assert ends[0].expr.id != ends[1].expr.id


def accumulate(x, n):
    s = 0.0
    for i in range(n):
        t = x * i               # a temporary of one iteration
        s = s + t
    return s


def test_a_loop_carries_only_the_variables_live_at_its_head():
    node = parse_function(accumulate).node
    loop = next(n for n in ast.walk(node) if isinstance(n, ast.For))
    live = live_at_loop_heads(node)[id(loop)]
    assert "s" in live and "t" not in live
    program = normalize(accumulate)
    (loop,) = list(walk_loops(program.body))
    assert set(loop.carried) == {"s"}
    assert loop.body[-1].resets and loop.body[-1].targets == (loop.carried["s"],)


def mixed(x, n):
    k = n * 2
    y = x * k
    z = np.sum(np.ones(3))
    unused = np.sin(x)
    return y + z


def test_only_values_both_varied_and_useful_are_active():
    program = normalize(mixed)
    types = analyze.types(program, {"x": (SCALAR, False), "n": (SCALAR, True)})
    active = analyze.active(program, ["x"], analyze.result_names(program),
                            analyze.integers(types))
    final = program.final
    assert final["y"] in active and "x" in active
    assert final["k"] not in active          # an integer: no derivative
    assert final["z"] not in active          # does not depend on x
    assert final["unused"] not in active     # the output does not depend on it


def shapes(a, b):
    c = a @ b
    d = c[0]
    e = np.stack((d, d))
    f = np.zeros((2, 3))
    m = len(a)
    g = np.sum(e, axis=0)
    return np.sum(g) + np.sum(f) * m


@pytest.mark.parametrize("name, rank, integer", [
    ("c", 2, False), ("d", 1, False), ("e", 2, False), ("f", 2, False), ("m", SCALAR, True),
    ("g", 1, False)])
def test_types_come_from_the_rules(name, rank, integer):
    program = normalize(shapes)
    types = analyze.types(program, {"a": (2, False), "b": (2, False)})
    assert types[program.final[name]] == (rank, integer)


def tapes_of(func, param_types):
    library = Library()
    program = normalize(func, library)
    writer = Writer(Module(library), program, Spec((program.params[0],), None, GRAD),
                    param_types)
    writer.function(f"{program.name}_grad")
    return program, [writer.tapes[id(loop)] for loop in walk_loops(program.body)]


def test_a_loop_whose_adjoint_recomputes_everything_records_nothing():
    scalars = {"x": (SCALAR, False), "n": (SCALAR, True)}
    _, (tape,) = tapes_of(corpus.for_range_sum_sin, scalars)
    assert tape.lists == {} and tape.reads == {}


def test_a_loop_records_the_carried_values_its_adjoint_reads():
    scalars = {"x": (SCALAR, False), "n": (SCALAR, True)}
    program, (tape,) = tapes_of(corpus.for_range_product, scalars)
    (loop,) = list(walk_loops(program.body))
    assert set(tape.lists) == {loop.carried["p"]}
    assert set(tape.slots.values()) == {loop.carried["p"]}     # scalars of a range loop: an
                                                               # array of trip-count length


def newton(x):
    y = x
    while abs(y * y - x) > 1e-10:
        y = 0.5 * (y + x / y)
    return y


def test_a_while_loop_keeps_its_float_scalars_in_arrays_made_once_with_lists_past_them():
    program, (tape,) = tapes_of(newton, {"x": (SCALAR, False)})
    (loop,) = list(walk_loops(program.body))
    assert isinstance(loop, Loop) and loop.kind == "while"
    assert set(tape.lists) == {loop.carried["y"]}
    assert set(tape.slots.values()) == {loop.carried["y"]}
    assert set(tape.overflow) == set(tape.slots)


def test_a_recurrence_reads_its_new_value_as_the_next_start_value():
    scalars = {"w": (SCALAR, False), "xs": (1, False)}
    program, (tape,) = tapes_of(corpus.for_range_recurrence_tanh, scalars)
    (loop,) = list(walk_loops(program.body))
    (end,) = tape.ends
    (copy_back,) = [op for op in loop.body if isinstance(op, Op) and op.resets]
    assert copy_back.expr.id == end and tape.ends[end] == tape.lists[copy_back.targets[0]]
    source = adc.grad(corpus.for_range_recurrence_tanh).source_for(0.5, np.ones(3))
    code = [line for line in source.splitlines() if not line.strip().startswith("#")]
    assert sum("np.tanh(" in line for line in code) == 1       # in the forward sweep only


def test_a_reverse_iteration_does_not_recompute_a_write_it_does_not_repeat():
    source = adc.grad(corpus.write_heat_equation).source_for(np.ones(5), 3)
    lines = source.splitlines()
    sweep = next(k for k, line in enumerate(lines) if "adjoint sweep" in line)
    reading = [k for k, line in enumerate(lines)        # the stencil's values
               if " = previous[" in line and not line.strip().startswith("#")]
    assert reading and max(reading) < sweep
