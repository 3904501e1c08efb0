"""The primal code of a normalized body, as the forward sweep and the reverse iterations run it.

The forward sweep of an adjoint function runs the primal operations and records on tapes what
the reverse sweep needs (a loop's carried values, the elements an in-place write overwrites); a
reverse iteration recomputes what its adjoint reads. Both keep only the operations whose results
are needed. The tangent function runs the primal operations as they are.
"""
import ast
from collections import Counter

from . import aliases, analyze
from .ir import If, Op, OpKind, walk_ops
from .nodes import Comment, assign, call, comment, load, replace_by_identity
from .tapes import copied_when_recorded


class Primal:
    """Renders a structured body as primal code. ``tapes`` (id(loop) -> LoopTape) makes loops
    record what their adjoint needs (``marks`` notes the statements pushing to a write's tape);
    ``needed`` (a set of names) keeps only the operations that compute them, as a reverse
    iteration recomputes its body."""

    def __init__(self, program, kinds, module, tapes=None, recording=True, integers=None,
                 replay=frozenset(), marks=None, splits=None):
        self.program, self.kinds, self.module, self.marks = program, kinds, module, marks
        self.splits = splits or {}      # id(call op) -> (forward, backward, saved): pullbacks.py
        self.integers = integers        # integer-typed names, when the types are known
        self.replay = replay            # arrays made in the iteration a recomputation
                                        # repeats: their element writes are repeated too
        self.tapes = tapes or {}
        self.recording = recording      # False when a reverse iteration recomputes
        self.ops_per_line = Counter(id(op.origin) for op in program.ops)

    def block(self, nodes, needed=None, top=False, origin=None, taped=True, forward=False):
        """``top``: ``nodes`` is the body of the loop being reversed, whose copy-backs stay out.
        ``origin``: the statement of the enclosing branch or loop (not repeated as a comment).
        ``taped``: loops at this level record their tapes (a nested loop's tape is filled by
        its parent's reverse iteration, which runs it again, not by the forward sweep).
        ``forward``: the forward sweep, which keeps the writes to arrays in ``needed``."""
        out, last_origin = [], origin
        for node in nodes:
            if isinstance(node, Op):
                write, effect = node.kind is OpKind.SETITEM, not node.targets   # print(...)
                kept_write = write and needed is not None and node.targets[0] in needed \
                    and (forward or node.targets[0] in self.replay)
                if needed is not None and (top and node.resets
                                           or write and not kept_write
                                           or effect and not forward
                                           or not write and not effect
                                           and not self.results(node) & needed):
                    continue
                if node.origin is not last_origin and not node.bookkeeping:
                    last_origin = node.origin
                    if self.ops_per_line[id(node.origin)] > 1:
                        out.append(comment(self.program.comments[id(node.origin)]))
                out.extend(self.operation(node))
            elif isinstance(node, If):
                body = self.block(node.body, needed, origin=node.origin, taped=taped,
                                  forward=forward)
                orelse = self.block(node.orelse, needed, origin=node.origin, taped=taped,
                                    forward=forward)
                if body or orelse:
                    if node.origin is not last_origin:
                        out.append(comment(self.program.comments[id(node.origin)]))
                    out.append(ast.If(node.test, body or [ast.Pass()], orelse))
                last_origin = node.origin
            else:
                out.extend(self.loop(node, needed, taped, forward))
                last_origin = None
        return out

    def results(self, op):
        """The names ``op`` binds: its targets, and the values a split call saves."""
        split = self.splits.get(id(op))
        return set(op.targets) | ({split[2]} if split else set())

    @staticmethod
    def record(name, var, copy=False):
        """The statement recording ``var`` (``copy``: a copy of it) on the list ``name``."""
        value = call("copy_of", load(var)) if copy else load(var)
        return ast.Expr(call(f"{name}.append", value))

    def operation(self, op):
        if not op.targets:
            return [ast.Expr(op.expr)]
        if op.kind is OpKind.PUSH:
            return [ast.Expr(call(f"{op.targets[0]}.append", op.expr))]
        if op.kind is OpKind.SETITEM:
            array, index = load(op.targets[0]), op.args["index"]
            out = []
            tape = self.tapes.get(id(op))
            if tape is not None and self.recording:     # keep what it overwrites, for the adjoint
                push = ast.Expr(call(f"{tape}.append", call(
                    "copy_of", ast.Subscript(array, index, ast.Load()))))
                out.append(self.marks.tape(push, tape))
            out.append(ast.Assign([ast.Subscript(load(op.targets[0]), index, ast.Store())],
                                  op.expr))
            return out
        if id(op) in self.splits:       # the result and the values the backward reads
            forward, _, saved = self.splits[id(op)]
            names = list(op.targets) + [saved]
            return [ast.Assign([ast.Tuple([ast.Name(n, ast.Store()) for n in names],
                                          ast.Store())], call(forward, *op.args))]
        one = len(op.targets) == 1 and not (op.kind is OpKind.CALL       # (t,) = f(...)
                                            and isinstance(op.callee.result, ast.Tuple))
        target = ast.Name(op.targets[0], ast.Store()) if one else \
            ast.Tuple([ast.Name(t, ast.Store()) for t in op.targets], ast.Store())
        expr, args = op.expr, op.args
        if self.widens(op):
            scalar = self.kinds.get(op.targets[0]) == analyze.SCALAR
            expr = call("float" if scalar else "as_float", expr)
        if op.kind is OpKind.RULE and op.rule.broadcast:
            expr, args = self.weak_numbers(op)
        if self.module.use_helpers and op.kind is OpKind.RULE and op.rule.elementwise \
                and not op.rule.primal \
                and self.kinds.get(op.targets[0], analyze.ARRAY) != analyze.SCALAR:
            expr = _primal_helper_call(op.rule, args, self.module)
        out = [ast.Assign([target], expr)]
        tape = self.tapes.get(id(op))
        if tape is not None and self.recording:         # a read the loop overwrites later
            view = self.kinds.get(op.targets[0], analyze.ARRAY) != analyze.SCALAR
            out.append(self.record(tape.reads[op.targets[0]], op.targets[0], copy=view))
        return out

    def widens(self, op):
        """True for a copy of an integer into a variable that also holds floats (an
        accumulator started from an int literal, np.arange multiplied in a loop): the copy
        converts, so the variable has one type."""
        if self.integers is None or self.program.generated \
                or op.kind not in (OpKind.COPY, OpKind.CONST) \
                or not isinstance(op.expr, (ast.Name, ast.Constant)):
            return False        # (generated code read back: tape values have unknown types)
        target, source = op.targets[0], op.expr
        integer = source.id in self.integers if isinstance(source, ast.Name) else \
            type(source.value) is int
        return integer and target not in self.integers and target in self.kinds

    def weak_numbers(self, op):
        """(expression, arguments) of an element-wise operation on an array with the numbers
        written in the code typed as NumPy 2 types them (``weak``)."""
        like = next((op.args[p] for p in op.rule.diff_params()
                     if isinstance(op.args.get(p), ast.Name)
                     and self.kinds.get(op.args[p].id, analyze.ARRAY) != analyze.SCALAR), None)
        numbers = {id(a): call("weak", a, like) for a in op.args.values()
                   if isinstance(a, ast.Constant) and type(a.value) in (int, float)}
        if like is None or not numbers:
            return op.expr, op.args
        args = {p: numbers.get(id(a), a) for p, a in op.args.items()}
        return replace_by_identity(op.expr, lambda node: numbers.get(id(node))), args

    def loop(self, loop, needed, taped, forward):
        tape = self.tapes.get(id(loop)) if taped else None
        body = self.block(loop.body, needed, origin=loop.origin, taped=False, forward=forward)
        # the loop's index or carried values are read after it: it must run
        read_after = needed is not None and bool({loop.index, *loop.carried.values()} & needed)
        if needed is not None and not body and tape is None and not read_after:
            return []
        if tape is not None and loop.kind == "range" and not loop.flag \
                and not tape.lists and not tape.reads and not _has_work(body) \
                and not read_after:
            return [assign(tape.trips, call("trip_count", *loop.bounds))]
        out, after = [comment(self.program.comments[id(loop.origin)])], []
        counted = tape is not None and (loop.kind == "while" or loop.flag)
        if tape is not None:
            # a carried array is recorded as it is (the undo of the iteration's writes into it
            # restores its elements), but one written under another name (a branch's copy,
            # whose write a recomputation repeats) is recorded and then replaced by a copy for
            # the iteration to write into: the recorded array, which other names may share,
            # keeps its value
            sharing = aliases.Sharing(self.program)
            written = {op.targets[0] for op in walk_ops(loop.body) if op.kind is OpKind.SETITEM}
            records = []
            for var, name in tape.lists.items():
                if name in tape.slots:
                    continue
                records.append(self.record(name, var))
                if copied_when_recorded(var, written, sharing):
                    records.append(assign(var, call("copy_of", load(var))))
            if tape.slots:
                records += tape.slot_records()
            body = records + body
            if counted:
                out.append(assign(tape.trips, ast.Constant(0)))
                body.insert(0, ast.AugAssign(ast.Name(tape.trips, ast.Store()), ast.Add(),
                                             ast.Constant(1)))
            else:
                out.append(assign(tape.trips, call("trip_count", *loop.bounds)))
            if tape.slots and not tape.overflow:
                ends = set((tape.ends or {}).values())
                out += [assign(name, call("tape_for", ast.BinOp(
                    load(tape.trips), ast.Add(), ast.Constant(1)) if name in ends else
                    load(tape.trips), load(var))) for name, var in tape.slots.items()]
                out.append(assign(tape.slot, ast.Constant(0)))
                after = [ast.Assign([ast.Subscript(load(name), load(tape.slot), ast.Store())],
                                    load(tape.slots[name])) for name in sorted(ends)]
        if loop.flag:
            body.append(ast.If(load(loop.flag), [ast.Break()], []))
        if loop.kind == "range":
            return out + [ast.For(ast.Name(loop.index, ast.Store()), call("range", *loop.bounds),
                                  body or [ast.Pass()], [])] + after
        header = self.block(loop.header)
        return out + header + [ast.While(loop.test, body + header, [])]


def _primal_helper_call(rule, args, module):
    body = rule.expression()
    name = module.helper(rule.key, rule.params, body, f"{ast.unparse(body)}, element-wise")
    return call(name, *[args[p] for p in rule.params])


def _has_work(block):
    """True if ``block`` does more than copy values (which a loop run for nothing would)."""
    return any(not (isinstance(s, ast.Assign) and isinstance(s.value, ast.Name))
               for s in block if not isinstance(s, Comment))
