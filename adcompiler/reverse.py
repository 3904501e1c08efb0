"""The reverse-mode (adjoint) transform.

For a normalized function it writes one Python function: the forward sweep (the primal
operations, recording on tapes what the reverse sweep needs), then, in reverse order, each active
operation's adjoint statements under a comment with the user's line. Branches are reversed as
branches; a loop is reversed by a loop over its iterations backwards, each restoring the values
its adjoint needs from the tape and recomputing the rest (tapes.py). Adjoints accumulate as
adjoints.py describes; a primitive's adjoint comes from its rule.
"""
import ast

from . import aliases, analyze, pullbacks
from .adjoints import Adjoints, Scope
from .array_rules import index_rank
from .dataflow import bound_once, defined
from .ir import If, Op, OpKind, walk_ops
from .naming import Fresh
from .nodes import assign, call, comment, function, has_arithmetic, load
from .primal import Primal
from .rules import Instance, instantiate
from .spec import ADJOINTS, VALUE_AND_GRAD, VJP
from .tapes import LoopTape, Marks, Planner, backwards, copied_when_recorded, position


class Writer:
    """Writes the adjoint function of one program for one Spec."""

    def __init__(self, module, program, spec, param_types):
        self.module = module
        self.program = program
        self.spec = spec
        type_map = analyze.types(program, param_types)
        self.type_map = type_map
        self.kinds = analyze.kinds(type_map)
        self.integers = analyze.integers(type_map)
        taken = {n.id for n in ast.walk(program.parsed.node) if isinstance(n, ast.Name)}
        taken |= {t for op in program.ops for t in op.targets}
        self.fresh = Fresh(taken)
        once = bound_once(program)
        like = {op.targets[0]: op.args[op.rule.same_type_as].id for op in program.ops
                if op.kind is OpKind.RULE and op.rule.same_type_as
                and getattr(op.args.get(op.rule.same_type_as), "id", None) in once}
        self.adjoints = Adjoints("_adj" if any(n.endswith("_bar") for n in taken) else "_bar",
                                 like)
        self.marks = Marks()
        self.tapes = {}             # id(loop or recorded read) -> LoopTape; id(write) -> name
        self.planner = Planner(program, self.marks, self.tapes)
        self.write_sites = []       # (array, tape name) of every in-place write
        self.splits = {}            # id(call op) -> (forward, backward, saved) (pullbacks.py)
        self.call_results = set()   # names bound to gradients a call's pullback returned
        self.wrt = [self.version(w, input_value=True) for w in spec.wrt]
        if spec.output == VJP or spec.of is None:
            self.outputs = program.result
        else:
            self.outputs = load(self.version(spec.of))
        out_names = [a.id for a in self._output_atoms() if isinstance(a, ast.Name)]
        for op in program.ops:
            if op.kind in (OpKind.PUSH, OpKind.POP):
                raise program.parsed.error(op.origin, "reverse mode cannot differentiate a list "
                                           "used as a stack (append/pop); forward mode (jvp, "
                                           "hessian) can")
        self.active = analyze.active(program, self.wrt, out_names, self.integers)
        self.sharing = aliases.Sharing(program)
        aliases.check(program, self.kinds, self.sharing)

    def types_of(self, node):
        """(rank, is_integer) of an atom."""
        if isinstance(node, ast.Constant):
            return analyze.SCALAR, isinstance(node.value, int)
        return self.type_map.get(getattr(node, "id", None), (analyze.ARRAY, False))

    # ------------------------------------------------------------------ naming
    def version(self, name, input_value=False):
        if input_value and name in self.program.params:
            return name
        return self.program.final[name]

    def _output_atoms(self):
        out = self.outputs
        return out.elts if isinstance(out, ast.Tuple) else [out]

    # ------------------------------------------------------------------ the function
    def function(self, name):
        program, spec = self.program, self.spec
        for callee in program.callees:
            self.module.primal(callee)
        self.splits = pullbacks.plan(self)
        seeds = self.seed()
        adjoint = self.adjoint_block(program.body)
        value = self.captured_value()
        returned = ast.Return(self.returned(seeds + adjoint))
        needs = self.planner.forward_needs(self.tapes, value + seeds + adjoint + [returned])
        body = self.forward_sweep(needs)
        unneeded = self.planner.unread_tapes(adjoint, self.write_sites, self.sharing)
        adjoint = self.planner.without_tapes(adjoint, unneeded)
        body = self.planner.without_tapes(body, unneeded)
        lists = [tape for _, tape in self.write_sites if tape not in unneeded]
        # every tape empties as the reverse sweep pops it, so each list is made once, here
        loop_tapes = {id(t): t for t in self.tapes.values() if isinstance(t, LoopTape)}
        stacks = []
        for tape in loop_tapes.values():
            lists += [name for name in list(tape.lists.values()) + list(tape.reads.values())
                      if name not in tape.slots] + list((tape.overflow or {}).values())
            if tape.overflow:
                arguments = ast.Tuple([load(p) for p in program.params], ast.Load())
                stacks += [assign(name, call("scalar_tape", arguments)) for name in tape.slots]
                stacks.append(assign(tape.slot, ast.Constant(0)))
        body = [assign(tape, ast.List([], ast.Load())) for tape in lists] + stacks + body
        body += value + seeds + adjoint
        body.append(returned)
        params = list(program.params) + (self.seed_params if spec.output == VJP else [])
        return function(name, params, body)

    def forward_sweep(self, needed):
        """The primal operations computing ``needed`` (None: all), recording what the reverse
        sweep reads from tapes."""
        return Primal(self.program, self.kinds, self.module, self.tapes, integers=self.integers,
                      marks=self.marks, splits=self.splits).block(self.program.body, needed,
                                                                  forward=True)

    def reverse_sweep(self):
        """The seeds, adjoint and return of a pullback whose forward sweep is a function of
        its own (pullbacks.py)."""
        self.splits = pullbacks.plan(self)
        statements = self.seed() + self.adjoint_block(self.program.body)
        return statements + [ast.Return(self.returned(statements))]

    def seed(self):
        """Statements that start the adjoint sweep (or, for VJP, its cotangent parameters)."""
        atoms = self._output_atoms()
        self.seed_params = []
        out = []
        if self.spec.output == VJP:
            for k, atom in enumerate(atoms):
                if isinstance(atom, ast.Name) and atom.id not in self.adjoints.initialized:
                    self.seed_params.append(self.adjoints.bar(atom.id))
                    self.adjoints.initialized.add(atom.id)
                else:
                    param = self.fresh(f"out{k}{self.adjoints.suffix}")
                    self.seed_params.append(param)
                    if isinstance(atom, ast.Name):
                        self.adjoints.accumulate(atom.id, load(param), out)
            return out
        if self.spec.aux:               # (value, aux...): the value is differentiated
            if not isinstance(self.outputs, ast.Tuple) or len(atoms) < 2:
                raise self.program.parsed.error(
                    self.program.parsed.node, f"has_aux: {self.program.parsed.name!r} must "
                    "return a tuple (value, aux)")
            atoms = atoms[:1]
        elif len(atoms) != 1 or isinstance(self.outputs, ast.Tuple):
            raise self.program.parsed.error(
                self.program.parsed.node, f"{self.program.parsed.name!r} returns a tuple: choose "
                "the output to differentiate with of='name' or use vjp")
        atom = atoms[0]
        if isinstance(atom, ast.Name):
            out.append(comment("adjoint sweep: d(output)/d(output) = 1"))
            scalar = self.kinds.get(atom.id, analyze.ARRAY) == analyze.SCALAR
            self.adjoints.accumulate(atom.id, ast.Constant(1.0) if scalar else
                            call("ones_like", load(atom.id)), out)
            self.adjoints.owned.add(atom.id)
        return out

    def captured_value(self):
        """For value_and_grad: the output copied as the forward sweep leaves it (the reverse
        sweep restores loop variables and overwritten elements), returned in ``outputs``."""
        if self.spec.output != VALUE_AND_GRAD or not (
                self.spec.aux or isinstance(self.outputs, ast.Name)):
            return []
        atoms = self._output_atoms()            # has_aux: every returned value
        copies = [load(self.fresh("value")) if isinstance(a, ast.Name) else a for a in atoms]
        self.outputs = ast.Tuple(copies, ast.Load()) if self.spec.aux else copies[0]
        return [assign(c.id, call("copy_of", a)) for c, a in zip(copies, atoms)
                if isinstance(a, ast.Name)]

    def returned(self, statements):
        """The return value: the output (value_and_grad) and each gradient, cast to its
        variable's type in a new array unless it already is one (``pullbacks.passed_on``)."""
        grads = []
        for w in self.wrt:
            bar = self.adjoints.bar(w)
            if w in self.adjoints.initialized and pullbacks.passed_on(statements, bar,
                                                                       self.call_results):
                grads.append(load(bar))
            elif w in self.adjoints.initialized:
                grads.append(call("cast_like", load(bar), load(w)))
            else:
                grads.append(call("zeros_like", load(w)))
        if self.spec.output == ADJOINTS or len(grads) != 1:
            grads = ast.Tuple(grads, ast.Load())
        else:
            grads = grads[0]
        if self.spec.output == VALUE_AND_GRAD:
            return ast.Tuple([self.outputs, grads], ast.Load())
        return grads

    # ------------------------------------------------------------------ blocks
    def adjoint_block(self, nodes, origin=None):
        """The adjoint of a structured body: its nodes' adjoints in reverse order."""
        out, last_origin = [], origin
        for node in reversed(nodes):
            if isinstance(node, Op):
                if node.kind is OpKind.SETITEM:
                    statements = self.write_adjoint(node)
                elif node.kind is OpKind.CONST or not any(t in self.active for t in node.targets):
                    continue
                else:
                    statements = self.adjoint_of(node)
                if statements and node.origin is not last_origin and not node.bookkeeping:
                    out.append(comment(self.program.comments[id(node.origin)]))
                    last_origin = node.origin
                out.extend(statements)
                continue
            out.extend(self.if_adjoint(node, last_origin) if isinstance(node, If)
                       else self.loop_adjoint(node))
            last_origin = node.origin
        return out

    def scoped(self, blocks, defined, origin, loop=False, carried=()):
        """Reverse each of ``blocks`` inside one scope: (preparations, their adjoints).
        ``carried``: a loop's active carried values and arrays it writes, whose adjoints an
        iteration hands to the one before it; they start at zero before the reversed loop."""
        scope = Scope(defined, [], loop)
        self.adjoints.scopes.append(scope)
        for name in carried:
            self.adjoints.outer(name)
        try:
            reversed_blocks = [self.adjoint_block(nodes, origin) for nodes in blocks]
        finally:
            self.adjoints.scopes.pop()
        return scope.prepare, reversed_blocks

    def if_adjoint(self, node, last_origin):
        ops = list(walk_ops(node.body + node.orelse))
        ids = {id(op) for op in ops}
        elsewhere = defined(op for op in self.program.ops if id(op) not in ids)
        # a variable first bound in a loop keeps one name: a branch that rebinds it (a
        # copy-back) may write a name that is bound outside the branch too
        inside = defined(ops) - (defined(op for op in ops if op.resets) & elsewhere)
        prepare, (body, orelse) = self.scoped([node.body, node.orelse], inside, node.origin)
        if not body and not orelse:
            return prepare
        header = [] if node.origin is last_origin else \
            [comment(self.program.comments[id(node.origin)])]
        return prepare + header + [ast.If(node.test, body or [ast.Pass()], orelse)]

    def loop_adjoint(self, loop):
        """Reverse iterations: restore the carried values the adjoint needs from the loop's
        tape, recompute the body's needed values, then run the body's adjoint."""
        carried = set(loop.carried.values())
        ops = list(walk_ops((loop.header or []) + loop.body))
        inside = defined(ops) - carried
        written = {op.targets[0] for op in ops if op.kind is OpKind.SETITEM}
        prepare, (body,) = self.scoped([loop.body], inside, loop.origin, loop=True,
                                       carried=sorted((carried | written) & self.active))
        if not body:
            return prepare
        # a reverse iteration repeats the writes into the arrays made in the iteration, and into
        # a carried array recorded before the iteration wrote into a copy of it
        copies = {v for v in carried & written if copied_when_recorded(v, written, self.sharing)}
        ends = self.planner.next_start_values(loop, carried, self.kinds)
        needed, recorded = self.planner.needed(loop, body, not self.adjoints.in_loop(),
                                               (written & inside) | copies, ends)
        kept = {op.targets[0] for op in recorded} | set(ends)
        copied = copies & needed
        recompute = Primal(self.program, self.kinds, self.module, self.tapes, recording=False,
                           integers=self.integers, replay=(written & inside) | copied).block(
            loop.body, needed - kept, top=True, origin=loop.origin)
        for statement in recompute:
            self.marks.recompute(statement, loop)
        tape = LoopTape(self.fresh("trips"), {v: self.fresh(f"{v}_tape")
                                              for v in sorted(carried & needed)},
                        {op.targets[0]: self.fresh(f"{op.targets[0]}_tape") for op in recorded})
        self.tapes[id(loop)] = tape
        for op in recorded:
            self.tapes[id(op)] = tape
        k = self.fresh("k")
        recorded_values = list(tape.lists.items()) + list(tape.reads.items())
        known_trips = loop.kind == "range" and not loop.flag
        tape.slots = {name: v for v, name in tape.lists.items()
                      if self.kinds.get(v) == analyze.SCALAR
                      and (known_trips or v not in self.integers)}
        tape.slot = self.fresh("slot") if tape.slots else None
        tape.overflow = {} if known_trips else \
            {name: self.fresh(f"{v}_more") for name, v in tape.slots.items()}
        counter, steps, at_slot = k, (ast.BinOp(load(tape.trips), ast.Sub(), ast.Constant(1)),
                                      ast.Constant(-1), ast.Constant(-1)), []
        if loop.kind == "range" and loop.index in needed:
            # the reversed loop runs over the index itself, which numba then knows is in range
            counter, steps = loop.index, backwards(loop.bounds, load(tape.trips))
            nth = position(loop.bounds, load(loop.index))
            if isinstance(nth, ast.Name):
                k = loop.index
            elif tape.slots:
                at_slot = [assign(k, nth)]
        tape.ends = {end: tape.lists[v] for end, v in ends.items()}
        restore = at_slot + [assign(v, ast.Subscript(load(name), load(k), ast.Load()))
                             if name in tape.slots else assign(v, call(f"{name}.pop"))
                             for v, name in recorded_values if name not in tape.overflow]
        restore += [assign(end, ast.Subscript(load(name), ast.BinOp(
            load(k), ast.Add(), ast.Constant(1)), ast.Load())) for end, name in tape.ends.items()]
        if tape.overflow:
            restore = tape.popped_slots() + restore
        reverse = ast.For(ast.Name(counter, ast.Store()), call("range", *steps),
                          restore + recompute + body, [])
        text = self.program.comments[id(loop.origin)]
        return prepare + [comment(f"{text}  (reversed)"), reverse]

    # ------------------------------------------------------------------ in-place writes
    def write_adjoint(self, op):
        """``a[index] = value``: the value's share is a_bar[index], which the write then clears;
        finally the overwritten elements come back from the write's tape, so adjoints of earlier
        lines read ``a`` as it was (tape and restore go if no adjoint reads ``a``)."""
        array, index, value = op.targets[0], op.args["index"], op.expr
        out = []
        if array in self.adjoints.initialized and array in self.active:
            bar = load(self.adjoints.bar(array))
            held = None
            if isinstance(value, ast.Name) and value.id in self.active:
                slot = ast.Subscript(bar, index, ast.Load())
                element = analyze.SCALAR == self.kinds.get(value.id) == index_rank(
                    self.kinds.get(array), index, self.types_of)
                share = slot if element else \
                    call("unbroadcast", call("copy_of", slot), value)
                if value.id in self.sharing.names(array):
                    held = self.fresh(f"{value.id}_share")      # u[:] = u: added to u_bar
                    out.append(assign(held, share))            # once the write is cleared
                else:
                    self.adjoints.accumulate(value.id, share, out)
            self.adjoints.own(array, out)
            cleared = ast.Subscript(load(self.adjoints.bar(array)), index, ast.Store())
            out.append(ast.Assign([cleared], ast.Constant(0.0)))
            if held is not None:
                self.adjoints.accumulate(value.id, load(held), out)
        tape = self.tapes[id(op)] = self.fresh(f"{array}_overwritten")
        restore = ast.Assign([ast.Subscript(load(array), index, ast.Store())],
                             call(f"{tape}.pop"))
        self.marks.tape(restore, tape)
        self.write_sites.append((array, tape))
        return out + [restore]

    # ------------------------------------------------------------------ one operation
    def adjoint_of(self, op):
        out = []
        if op.kind is OpKind.COPY:
            target, source = op.targets[0], op.expr.id
            if target in self.adjoints.initialized:
                if source in self.active:
                    self.adjoints.accumulate(source, load(self.adjoints.bar(target)), out)
                if op.resets:           # the iteration's start value is another value
                    self.adjoints.outer(target)
                    bar = self.adjoints.bar(target)
                    out.append(assign(bar, call("zeros_like", load(bar))))
        elif op.kind is OpKind.RULE:
            self.rule_adjoint(op, out)
        elif op.kind is OpKind.CALL:
            pullbacks.call_adjoint(self, op, out)
        return out

    def rule_adjoint(self, op, out):
        target = op.targets[0]
        if target not in self.adjoints.initialized:
            return
        if op.rule.template is None and op.rule.builder is None:
            raise self.program.parsed.error(op.origin, f"{op.rule.name} has no adjoint rule "
                                            "(reverse mode); give it one with adcompiler.defvjp")
        inst = Instance(op.rule, load(target), op.args, self.adjoints.bar, self.fresh)
        prelude, shares = instantiate(inst)
        shares = [s for s in shares if s.arg.id in self.active]
        if not shares:
            return
        out.extend(prelude)
        for share in shares:
            expr = self.share_expression(inst, share)
            if op.rule.broadcast and self.needs_unbroadcast(share.arg, op.args):
                expr = call("unbroadcast", expr, load(share.arg.id))
            if share.index is not None:
                self.adjoints.accumulate_at(share.arg.id, share.index, expr, out)
            else:
                self.adjoints.accumulate(share.arg.id, expr, out)

    def share_expression(self, inst, share):
        """The share in call-site names: inline for scalars, a helper call for arrays."""
        rule = inst.rule
        if not self.module.use_helpers or not has_arithmetic(share.expr) \
                or self.kinds.get(inst.target.id, analyze.ARRAY) == analyze.SCALAR:
            return inst.substitute(share.expr)
        used = {n.id for n in ast.walk(share.expr) if isinstance(n, ast.Name)}
        roles = [r for r in [rule.result + "_bar", rule.result] + rule.params if r in used]
        doc = f"{rule.result} = {ast.unparse(rule.expression())}: " \
              f"{share.role}_bar += {ast.unparse(share.expr)}"
        name = self.module.helper(f"{rule.key}_adjoint_{share.role}", roles, share.expr, doc)
        mapping = inst.mapping()
        return call(name, *[mapping[r] for r in roles])

    def needs_unbroadcast(self, arg, args):
        """True unless no other operand can broadcast ``arg`` up to the result's shape."""
        others = [a for a in args.values() if isinstance(a, ast.Name) and a.id != arg.id]
        return any(self.kinds.get(o.id, analyze.ARRAY) != analyze.SCALAR for o in others)
