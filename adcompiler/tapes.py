"""Tape planning for the adjoint function: what a reverse iteration recomputes and what the
forward sweep records for it, which values the forward sweep must compute, and which tapes of
in-place writes no adjoint reads back (they are removed with their pushes and restores).
"""
import ast
from dataclasses import dataclass

from .analyze import SCALAR
from .dataflow import (closure, control_reads, exposed_reads, header_reads, reads,
                       reads_shape_only, statements, value_reads)
from .ir import If, Op, OpKind, compound_nodes, ops_with_loops, top_loops, walk_ops
from .nodes import assign, call, has_code, load


@dataclass
class LoopTape:
    """What a loop records for its adjoint: its trip count and, per carried variable whose
    value at the start of an iteration the adjoint needs, a list of those values."""
    trips: str
    lists: dict                 # carried name -> list name
    reads: dict = None          # recorded value (read of an array the loop overwrites) -> list
    slots: dict = None          # array -> carried scalar stored in it rather than in a list,
    slot: str = None            # at this counter: for a range loop, whose trip count is known
                                # first, arrays of that length made before it runs; for others,
    overflow: dict = None       # arrays made at the function's start (the counter runs on
                                # across runs of the loop), each with a list (array -> list)
                                # taking the values past its room
    ends: dict = None           # value a carried scalar takes at an iteration's end -> that
                                # scalar's array, where it is the next start value (the array
                                # has room for the value after the last iteration too)

    def slot_records(self):
        """The statements storing an iteration's scalars in the arrays (or, past their room, in
        their lists), then moving the counter on."""
        stores = [ast.Assign([ast.Subscript(load(name), load(self.slot), ast.Store())],
                             load(v)) for name, v in self.slots.items()]
        if self.overflow:
            stores = [ast.If(self.room(next(iter(self.slots))), stores, [
                ast.Expr(call(f"{self.overflow[name]}.append", load(v)))
                for name, v in self.slots.items()])]
        return stores + [ast.AugAssign(ast.Name(self.slot, ast.Store()), ast.Add(),
                                       ast.Constant(1))]

    def popped_slots(self):
        """A reverse iteration's restore of the scalars a loop of unknown trip count stored:
        the counter steps back, then each value comes from its array, or from its list if it
        was stored past the array's room."""
        out = [ast.AugAssign(ast.Name(self.slot, ast.Store()), ast.Sub(), ast.Constant(1))]
        for name, v in self.slots.items():
            out.append(assign(v, ast.IfExp(self.room(name), ast.Subscript(
                load(name), load(self.slot), ast.Load()), call(f"{self.overflow[name]}.pop"))))
        return out

    def room(self, name):
        """``slot < name.shape[0]``: the counter is inside the array ``name``."""
        return ast.Compare(load(self.slot), [ast.Lt()], [ast.Subscript(ast.Attribute(
            load(name), "shape", ast.Load()), ast.Constant(0), ast.Load())])


class Marks:
    """Generated statements that push to or restore from a tape, and those that recompute a
    loop's values in its reverse iterations (each kept with its mark, so its id stays its own)."""

    def __init__(self):
        self.tapes = {}             # id(statement) -> (statement, tape name)
        self.recomputes = {}        # id(statement) -> (statement, id(loop))

    def tape(self, statement, tape):
        self.tapes[id(statement)] = statement, tape
        return statement

    def recompute(self, statement, loop):
        self.recomputes[id(statement)] = statement, id(loop)

    def tape_of(self, statement):
        return self.tapes.get(id(statement), (None, None))[1]

    def loop_recomputed(self, statement):
        """id(loop) of a statement that recomputes that loop's values, else None."""
        return self.recomputes.get(id(statement), (None, None))[1]


def copied_when_recorded(var, written, sharing):
    """True for a carried array that the forward sweep records and then replaces by a copy for
    the iteration to write into: another name of its group is written in the iteration (a
    branch's copy, whose write a recomputation repeats), and the recorded array keeps its
    value. Its reverse iteration then starts from that value, and repeats its writes."""
    return any(w != var and sharing.of(w) == sharing.of(var) for w in written)


class Planner:
    """What each loop's reverse iterations need and record, for one adjoint function."""

    def __init__(self, program, marks, tapes):
        self.program, self.marks = program, marks
        self.tapes = tapes          # id(loop) -> LoopTape, for the loops already planned
        self.recompute_reads = {}   # id(loop) -> arrays its recomputation reads for values

    def needed(self, loop, adjoint, top_level, replayed, ends=None):
        """(names, recorded reads): the names a reverse iteration must have — what its adjoint
        reads before binding them, what its branches and inner loops read to run again and what
        the inner loops record, and, transitively, what computes those in the body (not this
        loop's copy-backs, which would overwrite the values restored from the tape, nor the
        writes a recomputation leaves out: those into arrays other than ``replayed``) — and the
        reads to record rather than recompute. ``top_level``: the loop is not inside another
        loop. ``ends``: values copied into carried scalars at the iteration's end -> the
        scalars; those the adjoint reads are taken from the scalar's next start value rather
        than recomputed (the scalars join the names needed, and ``ends`` keeps just those)."""
        own_copy_backs = {id(n) for n in loop.body if isinstance(n, Op) and n.resets}
        needed, control = exposed_reads(adjoint, set()), set()
        for end in [e for e in ends or {} if e not in needed]:
            del ends[end]
        needed |= set((ends or {}).values())
        ops = [op for op in walk_ops(loop.body) if id(op) not in own_copy_backs and (
            op.kind is not OpKind.SETITEM or op.targets[0] in replayed)
            and not set(op.targets) & set(ends or {})]
        for node in compound_nodes(loop.body):     # what decides the control flow
            control |= control_reads(node)
            if not isinstance(node, If):
                tape = self.tapes.get(id(node))
                if tape is not None:
                    needed |= set(tape.lists) | set(tape.reads)
                if node.flag:                       # its run ends where the flag is set
                    control.add(node.flag)
        needed = closure(needed | control, ops)
        values = closure(self.value_reads(adjoint) | control, ops)
        recorded = self.recorded_reads(loop, values - set(ends or {}), top_level)
        self.recompute_reads[id(loop)] = {
            a for op in ops if set(op.targets) & values and op.kind is not OpKind.SETITEM
            and not reads_shape_only(op) for a in reads([op.expr])}
        return needed, recorded

    def next_start_values(self, loop, carried, kinds):
        """For a range loop whose scalars go to arrays: value computed in the body and copied
        into a carried scalar at the iteration's end -> that scalar. Its reverse iteration
        reads such a value from the array, as the next iteration's start value, instead of
        computing it again (h = tanh(w * h + x[t]) needs no tanh)."""
        if loop.kind != "range" or loop.flag:
            return {}
        ops = list(walk_ops(loop.body))
        computed = {t for op in ops if op.kind in (OpKind.RULE, OpKind.CALL) for t in op.targets}
        copy_backs = [op for op in ops if op.resets]
        # a scalar the body reads as it started is bound when the loop starts (else refused)
        read = reads([op.expr for op in ops]) | {
            name for node in compound_nodes(loop.body) for name in control_reads(node)}
        once = {v for v in carried & read if sum(op.targets[0] == v for op in copy_backs) == 1}
        return {op.expr.id: op.targets[0] for op in loop.body
                if isinstance(op, Op) and op.resets and op.targets[0] in once
                and kinds.get(op.targets[0]) == SCALAR
                and isinstance(op.expr, ast.Name) and op.expr.id in computed}

    def recorded_reads(self, loop, needed, top_level):
        """A reverse iteration recomputes from the array as the iteration left it, so a needed
        read of an array the same iteration writes afterwards (or a nested loop around the read
        writes) cannot be recomputed. Such a read is recorded during the forward sweep when it
        is a line of the body of a loop the forward sweep runs; otherwise it is refused.
        Returns the operations to record."""
        recorded = []
        order = list(ops_with_loops(loop.body))
        for k, (op, around) in enumerate(order):
            if op.kind is OpKind.SETITEM or not set(op.targets) & needed \
                    or reads_shape_only(op):
                continue
            for array in reads([op.expr]):
                later = any(o.kind is OpKind.SETITEM and o.targets[0] == array
                            for o, _ in order[k + 1:])
                inner = any(o.kind is OpKind.SETITEM and o.targets[0] == array
                            for inner_loop in around for o in walk_ops(inner_loop.body))
                if (later or inner) and top_level and op in loop.body and op not in recorded:
                    recorded.append(op)
                elif later or inner:
                    raise self.program.parsed.error(
                        op.origin, f"the derivative needs the value of {array!r} read here, "
                        "but the same loop overwrites it afterwards; read from a copy made "
                        f"before the writes (e.g. {array}_old = {array}.copy())")
        return recorded

    def forward_needs(self, tapes, sweep):
        """Names the forward sweep must compute: what ``sweep`` (the adjoint sweep and the
        result) reads, what the loops record, and, transitively, what those are computed
        from. ``tapes``: id(loop or write) -> its tape."""
        program = self.program
        needed = exposed_reads(sweep, set())
        for op in program.ops:                      # writes that record what they overwrite
            if op.kind is OpKind.SETITEM and id(op) in tapes:
                needed.add(op.targets[0])
            if not op.targets:                      # print(...) runs as in the function
                needed |= reads([op.expr])
        for node in top_loops(program.body):        # loops the forward sweep records
            tape = tapes.get(id(node))
            if tape is not None:
                needed |= set(tape.lists) | set(tape.reads)
            if node.kind == "while" and tape is not None:
                needed |= header_reads(node)
            needed |= reads(list(node.bounds))
            if node.flag:
                needed.add(node.flag)
        ops = program.ops
        while True:     # a kept write needs its value and index; a kept loop, its bounds
            size = len(needed)
            needed = closure(needed, [op for op in ops if op.kind is not OpKind.SETITEM])
            for op in ops:
                if op.kind is OpKind.SETITEM and op.targets[0] in needed:
                    needed |= reads([op.expr, op.args["index"]])
            for node in compound_nodes(program.body):
                inside = walk_ops(node.body + (node.orelse if isinstance(node, If) else []))
                # a loop whose index or carried values are read after it runs (as the primal
                # emitter keeps it), though its body may rebind none of them
                read_after = not isinstance(node, If) and bool(
                    {node.index, *node.carried.values()} & needed)
                if not read_after and not any(set(op.targets) & needed or not op.targets
                                              for op in inside):
                    continue
                needed |= control_reads(node)
                if not isinstance(node, If):
                    needed |= {node.flag} - {None}
            if len(needed) == size:
                return needed

    def unread_tapes(self, adjoint, write_sites, sharing):
        """The tapes of in-place writes (``write_sites``: (array, tape) pairs) whose restored
        elements no statement that may run after the restore reads."""
        return {tape for array, tape in write_sites
                if not self.read_after_restore(adjoint, tape, sharing.names(array))}

    def read_after_restore(self, adjoint, tape, arrays):
        """True if some statement that can run after a restore from ``tape`` reads the values
        of the array it restores (under any of the names ``arrays`` that share its memory): a
        later statement of an enclosing block, or any statement of an enclosing loop (its next
        iterations). Recomputations count through the arrays their loop's needed values are
        read from."""
        def reads_array(block):
            out = self.value_reads(block)
            for statement in statements(block):
                loop = self.marks.loop_recomputed(statement)
                if loop is not None:
                    out |= self.recompute_reads.get(loop, set())
            return bool(arrays & out)

        def search(block):
            """(found a restore in block, its later statements and loops read the array)."""
            for k, statement in enumerate(block):
                if self.marks.tape_of(statement) == tape:
                    return True, reads_array(block[k + 1:])
                for field in ("body", "orelse"):
                    inner = getattr(statement, field, None)
                    if not inner:
                        continue
                    found, read = search(inner)
                    if found:
                        loop = isinstance(statement, (ast.For, ast.While))
                        return True, read or reads_array(block[k + 1:]) or (
                            loop and reads_array(inner))
            return False, False
        return search(adjoint)[1]

    def value_reads(self, block):
        """Names whose values ``block`` (an adjoint) uses: not those read only for a shape, nor
        those read by tapes and recomputations (their own needs are followed through the
        operations)."""
        out = set()
        for statement in block:
            if self.marks.tape_of(statement) is not None \
                    or self.marks.loop_recomputed(statement) is not None:
                continue
            if isinstance(statement, (ast.If, ast.While)):
                out |= value_reads([statement.test])
                out |= self.value_reads(statement.body + statement.orelse)
            elif isinstance(statement, ast.For):
                out |= value_reads([statement.iter]) | self.value_reads(statement.body)
            else:
                out |= value_reads([statement])
        return out

    def without_tapes(self, block, tapes):
        """``block`` without the statements that push to or restore from ``tapes`` (a branch
        left with nothing but comments goes too)."""
        out = []
        for stmt in block:
            if self.marks.tape_of(stmt) in tapes:
                continue
            for field in ("body", "orelse"):
                if hasattr(stmt, field):
                    setattr(stmt, field, self.without_tapes(getattr(stmt, field), tapes))
            if isinstance(stmt, ast.If) and not has_code(stmt.body) \
                    and not has_code(stmt.orelse):
                continue
            out.append(stmt)
        return out


def backwards(bounds, trips):
    """range() arguments running ``range(start, stop, step)``'s ``trips`` values backwards:
    from ``start + (trips - 1) * step`` down to ``start`` (folded where they are numbers)."""
    start, _, step = bounds
    if isinstance(step, ast.Constant) and isinstance(start, ast.Constant):
        last = trips if step.value == 1 else \
            ast.BinOp(ast.BinOp(trips, ast.Sub(), ast.Constant(1)), ast.Mult(), step)
        offset = start.value - 1 if step.value == 1 else start.value
        if offset:
            last = ast.BinOp(last, ast.Add() if offset > 0 else ast.Sub(),
                             ast.Constant(abs(offset)))
        return last, ast.Constant(start.value - step.value), ast.Constant(-step.value)
    last = ast.BinOp(start, ast.Add(), ast.BinOp(ast.BinOp(trips, ast.Sub(), ast.Constant(1)),
                                                 ast.Mult(), step))
    return last, ast.BinOp(start, ast.Sub(), step), ast.UnaryOp(ast.USub(), step)


def position(bounds, index):
    """Which iteration of ``range(start, stop, step)`` has this index: ``(index - start) //
    step``, folded where start is 0 or step is 1."""
    start, _, step = bounds
    if not (isinstance(start, ast.Constant) and start.value == 0):
        index = ast.BinOp(index, ast.Sub(), start)
    if isinstance(step, ast.Constant) and step.value == 1:
        return index
    return ast.BinOp(index, ast.FloorDiv(), step)
