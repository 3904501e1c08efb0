"""Stage 4: the reverse-mode (adjoint) transform.

For a normalized function it writes one Python function: the primal operations, then, in reverse
order, each active operation's adjoint statements under a comment with the user's line. The adjoint
of ``x`` is ``x_bar``. The first share of an adjoint assigns it; later shares add to it; a share
written at an index goes into a buffer the function owns (copied first if it might be shared).
"""
import ast
from collections import Counter
from dataclasses import dataclass

from . import aliases, analyze, drivers, support
from .codegen import _Comment, comment
from .ir import If, Loop, Op, walk_ops
from .normalize import unique_name
from .rules import Instance, instantiate

GRAD, VALUE_AND_GRAD, VJP, ADJOINTS, JVP = "grad", "value_and_grad", "vjp", "adjoints", "jvp"
JACOBIAN_FORWARD, JACOBIAN_REVERSE = "jacobian_forward", "jacobian_reverse"
RESERVED = {"np", "math", "abs", "pow", "max", "min", "float", "int", "len", "range", "round",
            "print", "sum"} | set(support.__all__)


@dataclass(frozen=True)
class Spec:
    """What to differentiate: ``of`` (None: the return value) with respect to ``wrt`` (names;
    a parameter name means its input value, a local name its last value)."""
    wrt: tuple
    of: str = None
    output: str = GRAD          # GRAD, VALUE_AND_GRAD, VJP (cotangents given) or ADJOINTS


def _name(id_):
    return ast.Name(id_, ast.Load())


def _assign(target, value):
    return ast.Assign([ast.Name(target, ast.Store())], value)


def _call(func, *args):
    return ast.Call(_name(func), list(args), [])


def _parse_expr(text):
    return ast.parse(text, mode="eval").body


class Module:
    """The functions of one generated module, in a deterministic order."""

    def __init__(self, library, use_helpers=True):
        self.use_helpers = use_helpers
        self.helper_calls = 0
        self.used = set(library.used_names) | RESERVED
        for program in library.programs.values():       # locals would shadow module helpers
            self.used |= {n.id for n in ast.walk(program.parsed.node) if isinstance(n, ast.Name)}
            self.used |= {t for op in program.ops for t in op.targets}
        self.helpers = []           # ast.FunctionDef of the array helpers, in order of first use
        self.helper_names = {}      # (hint, body dump) -> name
        self.functions = []         # ast.FunctionDef, in order of completion
        self.primals = {}           # Program -> written
        self.vjps = {}              # (Program, wrt params) -> function name
        self.jvps = {}              # (Program, wrt params) -> function name

    def helper(self, hint, params, body, doc):
        """The name of a module-level function ``def NAME(params): return body``, written once.
        Array code calls these instead of inlining array expressions: numba compiles each once
        per type signature, which keeps compile time low (docs/how-it-works.md)."""
        key = (hint, tuple(params), ast.dump(body))
        self.helper_calls += 1
        if key not in self.helper_names:
            name = self.helper_names[key] = self.unique(hint)
            statements = [comment(doc), ast.Return(body)]
            self.helpers.append(_function(name, list(params), statements))
        return self.helper_names[key]

    def unique(self, name):
        return unique_name(name, self.used)

    def primal(self, program):
        """Write ``program`` as a plain function (for callees), once."""
        if program in self.primals:
            return
        self.primals[program] = True
        for callee in program.callees:
            self.primal(callee)
        body = Primal(program, {}, self).block(program.body) + [ast.Return(program.result)]
        self.functions.append(_function(program.name, program.params, body))

    def vjp(self, program, wrt):
        """The name of ``program``'s pullback for parameters ``wrt``, written once."""
        key = (program, tuple(wrt))
        if key not in self.vjps:
            suffix = "_vjp" if tuple(wrt) == tuple(program.params) else "_vjp_" + "_".join(wrt)
            self.vjps[key] = self.unique(program.name + suffix)
            function = Writer(self, program, Spec(tuple(wrt), None, VJP), {}).function(
                self.vjps[key])
            self.functions.append(function)
        return self.vjps[key]


    def jvp(self, program, wrt):
        """The name of ``program``'s tangent function for parameters ``wrt``, written once."""
        from .forward import TangentWriter
        key = (program, tuple(wrt))
        if key not in self.jvps:
            suffix = "_jvp" if tuple(wrt) == tuple(program.params) else "_jvp_" + "_".join(wrt)
            self.jvps[key] = self.unique(program.name + suffix)
            function = TangentWriter(self, program, wrt, {}).function(
                self.jvps[key])
            self.functions.append(function)
        return self.jvps[key]


def _function(name, params, body):
    args = ast.arguments(posonlyargs=[], args=[ast.arg(p) for p in params], vararg=None,
                         kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])
    return ast.FunctionDef(name, args, body or [ast.Pass()], [], None, type_params=[]) \
        if "type_params" in ast.FunctionDef._fields else \
        ast.FunctionDef(name, args, body or [ast.Pass()], [], None)


class Primal:
    """Renders a structured body as primal code. ``tapes`` (id(loop) -> LoopTape) makes loops
    record what their adjoint needs; ``needed`` (a set of names) keeps only the operations that
    compute them, as a reverse iteration recomputes its body."""

    def __init__(self, program, kinds, module, tapes=None, recording=True, integers=None,
                 replay=frozenset()):
        self.program, self.kinds, self.module = program, kinds, module
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
                write, effect = node.kind == "setitem", not node.targets   # print(...)
                kept_write = write and needed is not None and node.targets[0] in needed \
                    and (forward or node.targets[0] in self.replay)
                if needed is not None and (top and node.resets
                                           or write and not kept_write
                                           or effect and not forward
                                           or not write and not effect
                                           and not set(node.targets) & needed):
                    continue
                if node.origin is not last_origin and not _bookkeeping(node):
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

    @staticmethod
    def record(tape, name, var, copy=False):
        """The statement recording ``var`` (``copy``: a copy of it) on the tape ``name``."""
        value = _call("copy_of", _name(var)) if copy else _name(var)
        if name in (tape.slots or {}):
            return ast.Assign([ast.Subscript(_name(name), _name(tape.slot), ast.Store())],
                              value)
        return ast.Expr(_call(f"{name}.append", value))

    def operation(self, op):
        if not op.targets:
            return [ast.Expr(op.expr)]
        if op.kind == "push":
            return [ast.Expr(_call(f"{op.targets[0]}.append", op.expr))]
        if op.kind == "setitem":
            array, index = _name(op.targets[0]), op.args["index"]
            out = []
            tape = self.tapes.get(id(op))
            if tape is not None and self.recording:     # keep what it overwrites, for the adjoint
                push = ast.Expr(_call(f"{tape}.append", _call(
                    "copy_of", ast.Subscript(array, index, ast.Load()))))
                push.adc_tape = tape
                out.append(push)
            out.append(ast.Assign([ast.Subscript(_name(op.targets[0]), index, ast.Store())],
                                  op.expr))
            return out
        target = ast.Name(op.targets[0], ast.Store()) if len(op.targets) == 1 else \
            ast.Tuple([ast.Name(t, ast.Store()) for t in op.targets], ast.Store())
        expr, args = op.expr, op.args
        if self.widens(op):
            scalar = self.kinds.get(op.targets[0]) == analyze.SCALAR
            expr = _call("float" if scalar else "as_float", expr)
        if op.kind == "rule" and op.rule.broadcast:
            expr, args = self.weak_numbers(op)
        if self.module.use_helpers and op.kind == "rule" and op.rule.elementwise \
                and not op.rule.primal \
                and self.kinds.get(op.targets[0], analyze.ARRAY) != analyze.SCALAR:
            expr = _primal_helper_call(op.rule, args, self.module)
        out = [ast.Assign([target], expr)]
        tape = self.tapes.get(id(op))
        if tape is not None and self.recording:         # a read the loop overwrites later
            view = self.kinds.get(op.targets[0], analyze.ARRAY) != analyze.SCALAR
            out.append(self.record(tape, tape.reads[op.targets[0]], op.targets[0], copy=view))
        return out

    def widens(self, op):
        """True for a copy of an integer into a variable that also holds floats (an
        accumulator started from an int literal, np.arange multiplied in a loop): the copy
        converts, so the variable has one type."""
        if self.integers is None or self.program.generated or op.kind not in ("copy", "const") \
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
        numbers = {id(a): _call("weak", a, like) for a in op.args.values()
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
            return [_assign(tape.trips, _call("trip_count", *loop.bounds))]
        out = [comment(self.program.comments[id(loop.origin)])]
        counted = tape is not None and (loop.kind == "while" or loop.flag)
        if tape is not None:
            # a carried array is recorded as it is (the undo of the iteration's writes into it
            # restores its elements), but one written under another name (a branch's copy,
            # whose write a recomputation repeats) is recorded and then replaced by a copy for
            # the iteration to write into: the recorded array, which other names may share,
            # keeps its value
            sharing = aliases.Sharing(self.program)
            written = {op.targets[0] for op in walk_ops(loop.body) if op.kind == "setitem"}
            records = []
            for var, name in tape.lists.items():
                records.append(self.record(tape, name, var))
                if copied_when_recorded(var, written, sharing):
                    records.append(_assign(var, _call("copy_of", _name(var))))
            body = records + body
            if tape.slots:
                body.insert(len(records), ast.AugAssign(ast.Name(tape.slot, ast.Store()),
                                                        ast.Add(), ast.Constant(1)))
            if counted:
                out.append(_assign(tape.trips, ast.Constant(0)))
                body.insert(0, ast.AugAssign(ast.Name(tape.trips, ast.Store()), ast.Add(),
                                             ast.Constant(1)))
            else:
                out.append(_assign(tape.trips, _call("trip_count", *loop.bounds)))
            for name, var in (tape.slots or {}).items():
                out.append(_assign(name, _call("tape_for", _name(tape.trips), _name(var))))
            if tape.slots:
                out.append(_assign(tape.slot, ast.Constant(0)))
        if loop.flag:
            body.append(ast.If(_name(loop.flag), [ast.Break()], []))
        if loop.kind == "range":
            return out + [ast.For(ast.Name(loop.index, ast.Store()), _call("range", *loop.bounds),
                                  body or [ast.Pass()], [])]
        header = self.block(loop.header)
        return out + header + [ast.While(loop.test, body + header, [])]


def copied_when_recorded(var, written, sharing):
    """True for a carried array that the forward sweep records and then replaces by a copy for
    the iteration to write into: another name of its group is written in the iteration (a
    branch's copy, whose write a recomputation repeats), and the recorded array keeps its
    value. Its reverse iteration then starts from that value, and repeats its writes."""
    return any(w != var and sharing.of(w) == sharing.of(var) for w in written)


@dataclass
class LoopTape:
    """What a loop records for its adjoint: its trip count and, per carried variable whose
    value at the start of an iteration the adjoint needs, a list of those values."""
    trips: str
    lists: dict                 # carried name -> list name
    reads: dict = None          # recorded value (read of an array the loop overwrites) -> list
    slots: dict = None          # of those, scalars stored in an array of trip-count length,
    slot: str = None            # by this counter (a range loop's trip count is known first)


@dataclass
class Scope:
    """A branch or loop body being reversed: adjoints of variables defined outside it get
    prepared (zeroed, or given their value's type) before it, so every path leaves them typed."""
    defined: set
    prepare: list
    loop: bool = False


def _primal_helper_call(rule, args, module):
    body = rule.expression()
    name = module.helper(rule.key, rule.params, body, f"{ast.unparse(body)}, element-wise")
    return _call(name, *[args[p] for p in rule.params])


def replace_by_identity(node, swap):
    """A copy of ``node`` in which each subtree ``swap`` gives a replacement for is replaced
    (``swap`` sees the original nodes, so operands are told apart even when they share a name)."""
    new = swap(node)
    if new is not None:
        return new
    fields = {}
    for field, value in ast.iter_fields(node):
        if isinstance(value, list):
            fields[field] = [replace_by_identity(v, swap) if isinstance(v, ast.AST) else v
                             for v in value]
        elif isinstance(value, ast.AST):
            fields[field] = replace_by_identity(value, swap)
        else:
            fields[field] = value
    return type(node)(**fields)


def _has_arithmetic(expr):
    """True if evaluating ``expr`` on arrays would be an inline array expression."""
    return any(isinstance(n, (ast.BinOp, ast.UnaryOp, ast.Compare)) for n in ast.walk(expr))


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
        self.suffix = "_adj" if any(n.endswith("_bar") for n in taken) else "_bar"
        self.taken = taken
        self.counter = 0
        self.initialized = set()
        self.owned = set()
        self.scopes = []
        self.tapes = {}             # id(loop or recorded read) -> LoopTape; id(write) -> name
        self.write_sites = []       # (array, tape name) of every in-place write
        self.recompute_reads = {}   # id(loop) -> arrays its recomputation reads for values
        self.loop_needed = {}       # id(loop) -> names its reverse iterations need
        self.wrt = [self.version(w, input_value=True) for w in spec.wrt]
        if spec.output == VJP or spec.of is None:
            self.outputs = program.result
        else:
            self.outputs = _name(self.version(spec.of))
        out_names = [a.id for a in self._output_atoms() if isinstance(a, ast.Name)]
        for op in program.ops:
            if op.kind in ("push", "pop"):
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

    def bar(self, name):
        return name + self.suffix

    def fresh(self, hint):
        while True:
            self.counter += 1
            name = f"{hint}_{self.counter}" if hint[-1].isdigit() else f"{hint}{self.counter}"
            if name not in self.taken:
                self.taken.add(name)
                return name

    def _output_atoms(self):
        out = self.outputs
        return out.elts if isinstance(out, ast.Tuple) else [out]

    # ------------------------------------------------------------------ accumulation
    def outer(self, name, in_place=False):
        """For an adjoint accumulated inside a branch or loop that does not define ``name``:
        make sure it exists before the outermost such scope (zeros), and is a buffer of our own
        if it is to be updated in place. True if ``name`` is outer to the innermost scope."""
        outside = [scope for scope in self.scopes if name not in scope.defined]
        if not outside:
            return False
        bar = self.bar(name)
        if name not in self.initialized:
            outside[0].prepare.append(_assign(bar, _call("zeros_like", _name(name))))
            self.initialized.add(name)
            self.owned.add(name)
        elif in_place and name not in self.owned:
            outside[0].prepare.append(_assign(bar, _parse_expr(f"np.copy({bar})")))
            self.owned.add(name)
        return name not in self.scopes[-1].defined

    def accumulate(self, name, expr, out):
        bar = self.bar(name)
        if self.outer(name):
            out.append(_assign(bar, _call("add_like", _name(bar), expr)))
        elif name in self.initialized:
            out.append(_assign(bar, ast.BinOp(_name(bar), ast.Add(), expr)))
            self.owned.add(name)
        else:
            out.append(_assign(bar, expr))
            self.initialized.add(name)

    def accumulate_at(self, name, index, expr, out):
        bar = self.bar(name)
        if not self.outer(name, in_place=True):
            if name not in self.initialized:
                out.append(_assign(bar, _call("zeros_like", _name(name))))
                self.initialized.add(name)
            elif name not in self.owned:
                out.append(_assign(bar, _parse_expr(f"np.copy({bar})")))
            self.owned.add(name)
        target = ast.Subscript(_name(bar), index, ast.Store())
        out.append(ast.AugAssign(target, ast.Add(), expr))

    # ------------------------------------------------------------------ the function
    def function(self, name):
        program, spec = self.program, self.spec
        for callee in program.callees:
            self.module.primal(callee)
        seeds = self.seed()
        adjoint = self.adjoint_block(program.body)
        value = self.captured_value()
        returned = ast.Return(self.returned())
        body = Primal(program, self.kinds, self.module, self.tapes,
                      integers=self.integers).block(
            program.body, self.forward_needs(value + seeds + adjoint + [returned]),
            forward=True)
        unneeded = {tape for array, tape in self.write_sites
                    if not _read_after_restore(adjoint, tape, self.sharing.names(array),
                                               self.recompute_reads)}
        adjoint, body = _without_tapes(adjoint, unneeded), _without_tapes(body, unneeded)
        lists = [tape for _, tape in self.write_sites if tape not in unneeded]
        # every tape empties as the reverse sweep pops it, so each list is made once, here
        loop_tapes = {id(t): t for t in self.tapes.values() if isinstance(t, LoopTape)}
        for tape in loop_tapes.values():
            lists += [name for name in list(tape.lists.values()) + list(tape.reads.values())
                      if name not in tape.slots]
        body = [_assign(tape, ast.List([], ast.Load())) for tape in lists] + body
        body += value + seeds + adjoint
        body.append(returned)
        params = list(program.params) + (self.seed_params if spec.output == VJP else [])
        return _function(name, params, body)

    def forward_needs(self, statements):
        """Names the forward sweep must compute: what the adjoint sweep and the result read,
        what the loops record, and, transitively, what those are computed from."""
        needed = _exposed_reads(statements, set())
        for op in self.program.ops:                 # writes that record what they overwrite
            if op.kind == "setitem" and id(op) in self.tapes:
                needed.add(op.targets[0])
            if not op.targets:                      # print(...) runs as in the function
                needed |= _reads([op.expr])
        for node in _top_loops(self.program.body):  # loops the forward sweep records
            tape = self.tapes.get(id(node))
            if tape is not None:
                needed |= set(tape.lists) | set(tape.reads)
            if node.kind == "while" and tape is not None:
                needed |= _header_reads(node)
            needed |= _reads(list(node.bounds))
            if node.flag:
                needed.add(node.flag)
        ops = self.program.ops
        while True:     # a kept write needs its value and index; a kept loop, its bounds
            size = len(needed)
            needed = _closure(needed, [op for op in ops if op.kind != "setitem"])
            for op in ops:
                if op.kind == "setitem" and op.targets[0] in needed:
                    needed |= _reads([op.expr, op.args["index"]])
            for node in _compound_nodes(self.program.body):
                inside = walk_ops(node.body + (node.orelse if isinstance(node, If) else []))
                # a loop whose index or carried values are read after it runs (as the primal
                # emitter keeps it), though its body may rebind none of them
                read_after = not isinstance(node, If) and bool(
                    {node.index, *node.carried.values()} & needed)
                if not read_after and not any(set(op.targets) & needed or not op.targets
                                              for op in inside):
                    continue
                if isinstance(node, If):
                    needed |= _reads([node.test])
                else:
                    needed |= _reads(list(node.bounds)) | _header_reads(node)
                    needed |= {node.flag} - {None}
            if len(needed) == size:
                return needed

    def seed(self):
        """Statements that start the adjoint sweep (or, for VJP, its cotangent parameters)."""
        atoms = self._output_atoms()
        self.seed_params = []
        out = []
        if self.spec.output == VJP:
            for k, atom in enumerate(atoms):
                if isinstance(atom, ast.Name) and atom.id not in self.initialized:
                    self.seed_params.append(self.bar(atom.id))
                    self.initialized.add(atom.id)
                else:
                    param = self.fresh(f"out{k}{self.suffix}")
                    self.seed_params.append(param)
                    if isinstance(atom, ast.Name):
                        self.accumulate(atom.id, _name(param), out)
            return out
        if len(atoms) != 1 or isinstance(self.outputs, ast.Tuple):
            raise self.program.parsed.error(
                self.program.parsed.node, f"{self.program.parsed.name!r} returns a tuple: choose "
                "the output to differentiate with of='name' or use vjp")
        atom = atoms[0]
        if isinstance(atom, ast.Name):
            out.append(comment("adjoint sweep: d(output)/d(output) = 1"))
            scalar = self.kinds.get(atom.id, analyze.ARRAY) == analyze.SCALAR
            self.accumulate(atom.id, ast.Constant(1.0) if scalar else
                            _call("ones_like", _name(atom.id)), out)
            self.owned.add(atom.id)
        return out

    def captured_value(self):
        """For value_and_grad: the output copied as the forward sweep leaves it (the reverse
        sweep restores loop variables and overwritten elements), returned in ``outputs``."""
        if self.spec.output != VALUE_AND_GRAD or not isinstance(self.outputs, ast.Name):
            return []
        name = self.fresh("value")
        statement = _assign(name, _call("copy_of", self.outputs))
        self.outputs = _name(name)
        return [statement]

    def returned(self):
        grads = []
        for w in self.wrt:
            if w in self.initialized:
                grads.append(_call("cast_like", _name(self.bar(w)), _name(w)))
            else:
                grads.append(_call("zeros_like", _name(w)))
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
                if node.kind == "setitem":
                    statements = self.write_adjoint(node)
                elif node.kind == "const" or not any(t in self.active for t in node.targets):
                    continue
                else:
                    statements = self.adjoint_of(node)
                if statements and node.origin is not last_origin and not _bookkeeping(node):
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
        self.scopes.append(scope)
        for name in carried:
            self.outer(name)
        try:
            adjoints = [self.adjoint_block(nodes, origin) for nodes in blocks]
        finally:
            self.scopes.pop()
        return scope.prepare, adjoints

    def if_adjoint(self, node, last_origin):
        ops = list(walk_ops(node.body + node.orelse))
        inside = {id(op) for op in ops}
        elsewhere = _defined(op for op in self.program.ops if id(op) not in inside)
        # a variable first bound in a loop keeps one name: a branch that rebinds it (a
        # copy-back) may write a name that is bound outside the branch too
        defined = _defined(ops) - (_defined(op for op in ops if op.resets) & elsewhere)
        prepare, (body, orelse) = self.scoped([node.body, node.orelse], defined, node.origin)
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
        defined = _defined(ops) - carried
        written = {op.targets[0] for op in ops if op.kind == "setitem"}
        prepare, (body,) = self.scoped([loop.body], defined, loop.origin, loop=True,
                                       carried=sorted((carried | written) & self.active))
        if not body:
            return prepare
        needed, recorded = self.needed(loop, body)
        kept = {op.targets[0] for op in recorded}
        # a reverse iteration repeats the writes into the arrays made in the iteration, and into
        # a carried array recorded before the iteration wrote into a copy of it
        copied = {v for v in carried & needed & written
                  if copied_when_recorded(v, written, self.sharing)}
        recompute = Primal(self.program, self.kinds, self.module, self.tapes, recording=False,
                           integers=self.integers, replay=(written & defined) | copied).block(
            loop.body, needed - kept, top=True, origin=loop.origin)
        for statement in recompute:
            statement.adc_recompute = id(loop)
        tape = LoopTape(self.fresh("trips"), {v: self.fresh(f"{v}_tape")
                                              for v in sorted(carried & needed)},
                        {op.targets[0]: self.fresh(f"{op.targets[0]}_tape") for op in recorded})
        self.tapes[id(loop)] = tape
        for op in recorded:
            self.tapes[id(op)] = tape
        k = self.fresh("k")
        recorded_values = list(tape.lists.items()) + list(tape.reads.items())
        tape.slots = {name: v for v, name in tape.lists.items() if loop.kind == "range"
                      and not loop.flag and self.kinds.get(v) == analyze.SCALAR}
        tape.slot = self.fresh("slot") if tape.slots else None
        restore = [_assign(v, ast.Subscript(_name(name), _name(k), ast.Load()))
                   if name in tape.slots else _assign(v, _call(f"{name}.pop"))
                   for v, name in recorded_values]
        if loop.kind == "range" and loop.index in needed:
            restore.insert(0, _assign(loop.index, _nth(loop.bounds, _name(k))))
        reverse = ast.For(ast.Name(k, ast.Store()),
                          _call("range", ast.BinOp(_name(tape.trips), ast.Sub(), ast.Constant(1)),
                                ast.Constant(-1), ast.Constant(-1)),
                          restore + recompute + body, [])
        text = self.program.comments[id(loop.origin)]
        return prepare + [comment(f"{text}  (reversed)"), reverse]

    def needed(self, loop, adjoint):
        """(names, recorded reads): the names a reverse iteration must have — what its adjoint
        reads, what its branches and inner loops read to run again, and, transitively, what
        computes those in the body (not this loop's copy-backs, which would overwrite the values
        restored from the tape) — and the reads to record rather than recompute."""
        own_copy_backs = {id(n) for n in loop.body if isinstance(n, Op) and n.resets}
        ops = [op for op in walk_ops(loop.body) if id(op) not in own_copy_backs]
        needed, control = _reads(adjoint), set()
        for node in _compound_nodes(loop.body):     # what decides the control flow
            if isinstance(node, If):
                control |= _reads([node.test])
            else:
                control |= _reads(list(node.bounds)) | _header_reads(node)
                needed |= self.loop_needed.get(id(node), set())
                if node.flag:                       # its run ends where the flag is set
                    control.add(node.flag)
        needed = _closure(needed | control, ops)
        values = _closure(_adjoint_value_reads(adjoint) | control,
                          [op for op in ops if op.kind != "setitem"])
        recorded = self.recorded_reads(loop, values)
        self.recompute_reads[id(loop)] = {
            a for op in ops if set(op.targets) & values and op.kind != "setitem"
            and not _reads_shape_only(op) for a in _reads([op.expr])}
        self.loop_needed[id(loop)] = needed
        return needed, recorded

    def recorded_reads(self, loop, needed):
        """A reverse iteration recomputes from the array as the iteration left it, so a needed
        read of an array the same iteration writes afterwards (or a nested loop around the read
        writes) cannot be recomputed. Such a read is recorded during the forward sweep when it
        is a line of the body of a loop the forward sweep runs; otherwise it is refused.
        Returns the operations to record."""
        recorded = []
        top_level = not any(scope.loop for scope in self.scopes)
        order = list(_ops_with_loops(loop.body))
        for k, (op, around) in enumerate(order):
            if op.kind == "setitem" or not set(op.targets) & needed or _reads_shape_only(op):
                continue
            for array in _reads([op.expr]):
                later = any(o.kind == "setitem" and o.targets[0] == array
                            for o, _ in order[k + 1:])
                inner = any(o.kind == "setitem" and o.targets[0] == array
                            for inner_loop in around for o in walk_ops(inner_loop.body))
                if (later or inner) and top_level and op in loop.body and op not in recorded:
                    recorded.append(op)
                elif later or inner:
                    raise self.program.parsed.error(
                        op.origin, f"the derivative needs the value of {array!r} read here, "
                        "but the same loop overwrites it afterwards; read from a copy made "
                        f"before the writes (e.g. {array}_old = {array}.copy())")
        return recorded

    # ------------------------------------------------------------------ in-place writes
    def write_adjoint(self, op):
        """``a[index] = value``: the value's share is a_bar[index], which the write then clears;
        finally the overwritten elements come back from the write's tape, so adjoints of earlier
        lines read ``a`` as it was (tape and restore go if no adjoint reads ``a``)."""
        array, index, value = op.targets[0], op.args["index"], op.expr
        out = []
        if array in self.initialized and array in self.active:
            bar = _name(self.bar(array))
            held = None
            if isinstance(value, ast.Name) and value.id in self.active:
                slot = ast.Subscript(bar, index, ast.Load())
                element = analyze.SCALAR == self.kinds.get(value.id) == analyze.index_rank(
                    self.kinds.get(array), index, self.types_of)
                share = slot if element else \
                    _call("unbroadcast", _call("copy_of", slot), value)
                if value.id in self.sharing.names(array):
                    held = self.fresh(f"{value.id}_share")      # u[:] = u: added to u_bar
                    out.append(_assign(held, share))            # once the write is cleared
                else:
                    self.accumulate(value.id, share, out)
            self.own(array, out)
            out.append(ast.Assign([ast.Subscript(_name(self.bar(array)), index, ast.Store())],
                                  ast.Constant(0.0)))
            if held is not None:
                self.accumulate(value.id, _name(held), out)
        tape = self.tapes[id(op)] = self.fresh(f"{array}_overwritten")
        restore = ast.Assign([ast.Subscript(_name(array), index, ast.Store())],
                             _call(f"{tape}.pop"))
        restore.adc_tape = tape
        self.write_sites.append((array, tape))
        return out + [restore]

    def own(self, name, out):
        """Make ``name``'s adjoint a buffer this function may update in place."""
        if self.outer(name, in_place=True):
            return
        if name not in self.owned:
            out.append(_assign(self.bar(name), _parse_expr(f"np.copy({self.bar(name)})")))
            self.owned.add(name)

    # ------------------------------------------------------------------ one operation
    def adjoint_of(self, op):
        out = []
        if op.kind == "copy":
            target, source = op.targets[0], op.expr.id
            if target in self.initialized:
                if source in self.active:
                    self.accumulate(source, _name(self.bar(target)), out)
                if op.resets:           # the iteration's start value is another value
                    self.outer(target)
                    bar = self.bar(target)
                    out.append(_assign(bar, _call("zeros_like", _name(bar))))
        elif op.kind == "rule":
            self.rule_adjoint(op, out)
        elif op.kind == "call":
            self.call_adjoint(op, out)
        return out

    def rule_adjoint(self, op, out):
        target = op.targets[0]
        if target not in self.initialized:
            return
        if op.rule.template is None and op.rule.builder is None:
            raise self.program.parsed.error(op.origin, f"{op.rule.name} has no adjoint rule "
                                            "(reverse mode); give it one with adcompiler.defvjp")
        inst = Instance(op.rule, _name(target), op.args, self.bar, self.fresh)
        prelude, shares = instantiate(inst)
        shares = [s for s in shares if s.arg.id in self.active]
        if not shares:
            return
        out.extend(prelude)
        for share in shares:
            expr = self.share_expression(inst, share)
            if op.rule.broadcast and self.needs_unbroadcast(share.arg, op.args):
                expr = _call("unbroadcast", expr, _name(share.arg.id))
            if share.index is not None:
                self.accumulate_at(share.arg.id, share.index, expr, out)
            else:
                self.accumulate(share.arg.id, expr, out)

    def share_expression(self, inst, share):
        """The share in call-site names: inline for scalars, a helper call for arrays."""
        rule = inst.rule
        if not self.module.use_helpers or not _has_arithmetic(share.expr) \
                or self.kinds.get(inst.target.id, analyze.ARRAY) == analyze.SCALAR:
            return inst.substitute(share.expr)
        used = {n.id for n in ast.walk(share.expr) if isinstance(n, ast.Name)}
        roles = [r for r in [rule.result + "_bar", rule.result] + rule.params if r in used]
        doc = f"{rule.result} = {ast.unparse(rule.expression())}: " \
              f"{share.role}_bar += {ast.unparse(share.expr)}"
        name = self.module.helper(f"{rule.key}_adjoint_{share.role}", roles, share.expr, doc)
        mapping = inst.mapping()
        return _call(name, *[mapping[r] for r in roles])

    def needs_unbroadcast(self, arg, args):
        """True unless no other operand can broadcast ``arg`` up to the result's shape."""
        others = [a for a in args.values() if isinstance(a, ast.Name) and a.id != arg.id]
        return any(self.kinds.get(o.id, analyze.ARRAY) != analyze.SCALAR for o in others)

    def call_adjoint(self, op, out):
        callee = op.callee
        wrt = [p for p, a in zip(callee.params, op.args)
               if isinstance(a, ast.Name) and a.id in self.active]
        if not wrt:
            return
        vjp = self.module.vjp(callee, wrt)
        seeds = [_name(self.bar(t)) if t in self.initialized else _call("zeros_like", _name(t))
                 for t in op.targets]
        results = [(p, a) for p, a in zip(callee.params, op.args) if p in wrt]
        temps = [self.fresh(f"{a.id}_from_{callee.name}") for _, a in results]
        store = ast.Name(temps[0], ast.Store()) if len(temps) == 1 else \
            ast.Tuple([ast.Name(t, ast.Store()) for t in temps], ast.Store())
        out.append(ast.Assign([store], _call(vjp, *op.args, *seeds)))
        for (_, arg), temp in zip(results, temps):
            self.accumulate(arg.id, _name(temp), out)


def _has_work(block):
    """True if ``block`` does more than copy values (which a loop run for nothing would)."""
    return any(not (isinstance(s, ast.Assign) and isinstance(s.value, ast.Name))
               for s in block if not isinstance(s, _Comment))


def _bookkeeping(op):
    """A copy made by a branch or loop (merging or carrying a value), not a user line."""
    return isinstance(op.origin, (ast.If, ast.For, ast.While)) and isinstance(op.expr, ast.Name)


def _statements(block):
    """Every statement in ``block``, nested ones included."""
    for stmt in block:
        yield stmt
        for field in ("body", "orelse"):
            yield from _statements(getattr(stmt, field, []))


def _without_tapes(block, tapes):
    """``block`` without the statements that push to or restore from ``tapes`` (a branch
    left with nothing but comments goes too)."""
    out = []
    for stmt in block:
        if getattr(stmt, "adc_tape", None) in tapes:
            continue
        for field in ("body", "orelse"):
            if hasattr(stmt, field):
                setattr(stmt, field, _without_tapes(getattr(stmt, field), tapes))
        if isinstance(stmt, ast.If) and not _has_code(stmt.body) \
                and not _has_code(stmt.orelse):
            continue
        out.append(stmt)
    return out


def _has_code(block):
    return any(not isinstance(s, _Comment) for s in block)


def _nth(bounds, k):
    """``start + k * step``, folded where start is 0 or step is 1."""
    start, _, step = bounds
    offset = k if isinstance(step, ast.Constant) and step.value == 1 else \
        ast.BinOp(k, ast.Mult(), step)
    if isinstance(start, ast.Constant) and start.value == 0:
        return offset
    return ast.BinOp(start, ast.Add(), offset)


def _reads(nodes):
    """Names read (loaded) anywhere in ``nodes`` (statements or expressions; None skipped)."""
    return {n.id for node in nodes if node is not None for n in ast.walk(node)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


SHAPE_ONLY = {"unbroadcast": {1}, "zeros_like": {0}, "ones_like": {0}, "cast_like": {1},
              "reshape_like": {1}, "sum_adjoint": {1}, "mean_adjoint": {1}}


def _value_reads(nodes):
    """Like _reads, but without arguments that helpers use only for their shape or dtype."""
    out = set()

    def visit(node):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            out.add(node.id)
        skip = SHAPE_ONLY.get(node.func.id, set()) \
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) else set()
        for field, value in ast.iter_fields(node):
            items = value if isinstance(value, list) else [value]
            for k, item in enumerate(items):
                if isinstance(item, ast.AST) and not (field == "args" and k in skip):
                    visit(item)
    for node in nodes:
        visit(node)
    return out


def _defined(ops):
    """Names that ``ops`` define (an in-place write changes an array, it defines nothing)."""
    return {t for op in ops if op.kind != "setitem" for t in op.targets}


def _reads_shape_only(op):
    """True for ``a.shape`` and the like: they do not depend on the elements of ``a``."""
    expr = op.expr
    return isinstance(expr, ast.Attribute) and expr.attr in ("shape", "ndim", "size", "dtype")


def _adjoint_value_reads(block):
    """Names whose values ``block`` (an adjoint) uses: not those read only for a shape, nor
    those read by recomputations (their own needs are followed through the operations)."""
    out = set()
    for statement in block:
        if hasattr(statement, "adc_tape") or getattr(statement, "adc_recompute", False):
            continue
        if isinstance(statement, (ast.If, ast.While)):
            out |= _value_reads([statement.test])
            out |= _adjoint_value_reads(statement.body + statement.orelse)
        elif isinstance(statement, ast.For):
            out |= _value_reads([statement.iter]) | _adjoint_value_reads(statement.body)
        else:
            out |= _value_reads([statement])
    return out


def _closure(names, ops):
    """``names`` and, transitively, what the ops defining them read."""
    names = set(names)
    while True:
        size = len(names)
        for op in ops:
            if set(op.targets) & names:
                names |= _reads([op.expr])
        if len(names) == size:
            return names


def _ops_with_loops(body, around=()):
    """(op, the nested loops containing it) for every op of ``body``, in program order."""
    for node in body:
        if isinstance(node, Op):
            yield node, around
        elif isinstance(node, If):
            yield from _ops_with_loops(node.body + node.orelse, around)
        else:
            yield from _ops_with_loops((node.header or []) + node.body, around + (node,))


def _read_after_restore(adjoint, tape, arrays, recompute_reads):
    """True if some statement that can run after a restore from ``tape`` reads the values of
    the array it restores (under any of the names ``arrays`` that share its memory): a later
    statement of an enclosing block, or any statement of an enclosing loop (its next
    iterations). Recomputations count through the arrays their loop's needed values are read
    from."""
    def reads(statements):
        out = _adjoint_value_reads(statements)
        for statement in _statements(statements):
            loop = getattr(statement, "adc_recompute", False)
            if loop is not False:
                out |= recompute_reads.get(loop, set())
        return bool(arrays & out)

    def search(block):
        """(found a restore in block, its later statements and loops read the array)."""
        for k, statement in enumerate(block):
            if getattr(statement, "adc_tape", None) == tape:
                return True, reads(block[k + 1:])
            for field in ("body", "orelse"):
                inner = getattr(statement, field, None)
                if not inner:
                    continue
                found, read = search(inner)
                if found:
                    loop = isinstance(statement, (ast.For, ast.While))
                    return True, read or reads(block[k + 1:]) or (loop and reads(inner))
        return False, False
    return search(adjoint)[1]


def _exposed_reads(block, assigned):
    """Names ``block`` reads before assigning them (what must exist when it starts)."""
    out = set()
    for statement in block:
        if isinstance(statement, ast.If):
            out |= _reads([statement.test]) - assigned
            then, other = set(assigned), set(assigned)
            out |= _exposed_reads(statement.body, then) | _exposed_reads(statement.orelse, other)
            assigned |= then & other
        elif isinstance(statement, (ast.For, ast.While)):
            head = statement.iter if isinstance(statement, ast.For) else statement.test
            out |= _reads([head]) - assigned
            inner = set(assigned) | (_stores([statement.target])
                                     if isinstance(statement, ast.For) else set())
            out |= _exposed_reads(statement.body, inner)
        else:
            out |= _reads([statement]) - assigned
            assigned |= _stores([statement])
    return out


def _stores(nodes):
    return {n.id for node in nodes for n in ast.walk(node)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _top_loops(body):
    """The loops of ``body`` that are not inside another loop (the forward sweep runs them)."""
    for node in body:
        if isinstance(node, If):
            yield from _top_loops(node.body + node.orelse)
        elif isinstance(node, Loop):
            yield node


def _header_reads(loop):
    """Names a while loop's test reads, through the operations of its header."""
    header = loop.header or []
    return _reads([loop.test] + [op.expr for op in walk_ops(header)] +
                  [node.test for node in _compound_nodes(header) if isinstance(node, If)])


def _compound_nodes(body):
    """The If and Loop nodes nested anywhere in ``body``."""
    for node in body:
        if isinstance(node, If):
            yield node
            yield from _compound_nodes(node.body)
            yield from _compound_nodes(node.orelse)
        elif isinstance(node, Loop):
            yield node
            yield from _compound_nodes(node.body)


HELPERS_PAY_OFF = 2    # call sites per distinct helper at which helpers beat inline code


def build(program, spec, param_types, library, name):
    """(functions, main name): the generated functions, callees first, computing ``spec``.
    ``param_types`` maps parameters to (rank, is_integer); rank None means not known.

    Array work goes through module helpers when they are shared enough to pay for their own
    compilation (numba compiles an inline array expression in ~0.1 s, a helper in ~0.15 s plus
    ~0.016 s per call); otherwise it is written inline."""
    for use_helpers in (True, False):
        module = Module(library, use_helpers)
        main_name = module.unique(name)
        functions = _main_functions(module, program, spec, param_types, main_name)
        if not module.helpers or module.helper_calls >= HELPERS_PAY_OFF * len(module.helpers):
            break
    return module.helpers + module.functions + functions, functions[-1].name


def _main_functions(module, program, spec, param_types, name):
    """The function computing ``spec`` (a Jacobian: the tangent function or pullback, then
    its driver); the module collects what they call."""
    from .forward import TangentWriter
    if spec.output in (JVP, JACOBIAN_FORWARD):
        main = TangentWriter(module, program, spec.wrt, param_types).function(name)
    else:
        output = VJP if spec.output == JACOBIAN_REVERSE else spec.output
        main = Writer(module, program, Spec(spec.wrt, spec.of, output), param_types).function(name)
    if spec.output in (VJP, JVP, JACOBIAN_FORWARD, JACOBIAN_REVERSE):
        module.primal(program)
    if spec.output not in (JACOBIAN_FORWARD, JACOBIAN_REVERSE):
        return [main]
    return [main, drivers.jacobian(module, program, name, spec.wrt[0],
                                  spec.output == JACOBIAN_FORWARD)]
