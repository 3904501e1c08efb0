"""Stage 2: a parsed function as a list of three-address operations.

Every call or operator result gets its own name (``t1``, ``t2``, ...); augmented assignment is
desugared; tuple unpacking is explicit; a rebound name gets a new version (``x``, ``x_1``, ...), so
each name holds one value and the adjoint can read it back. Each operation remembers the user's
statement it came from, for comments in generated code and for error messages.
"""
import ast
import copy
import inspect
import operator

import numpy as np

from . import aliases, builtin_rules, fold, rules, support, syntax
from .ir import If, Loop, Op, OpKind, Program, walk_ops
from .dataflow import names, stores
from .liveness import live_at_loop_heads
from .lower import lower
from .naming import Fresh, unique_name
from .parse import _MISSING, parse_function
from .rules import lookup

BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "truediv",
          ast.Pow: "pow", ast.MatMult: "matmul", ast.Mod: "mod"}
INTEGER_BINOPS = (ast.FloorDiv, ast.LShift, ast.RShift, ast.BitAnd, ast.BitOr, ast.BitXor)

UNSUPPORTED_STATEMENTS = {
    ast.AsyncFor: "'async for' loops", ast.Try: "'try' statements", ast.With: "'with' statements",
    ast.AsyncWith: "'async with' statements", ast.Global: "'global' declarations",
    ast.Nonlocal: "'nonlocal' declarations", ast.Import: "imports inside the function",
    ast.ImportFrom: "imports inside the function", ast.Delete: "'del' statements",
    ast.Raise: "'raise' statements", ast.Assert: "'assert' statements",
    ast.ClassDef: "class definitions", ast.FunctionDef: "nested function definitions",
    ast.AsyncFunctionDef: "nested function definitions",
}
if hasattr(ast, "Match"):
    UNSUPPORTED_STATEMENTS[ast.Match] = "'match' statements"
if hasattr(ast, "TryStar"):
    UNSUPPORTED_STATEMENTS[ast.TryStar] = "'try' statements"

UNSUPPORTED_EXPRESSIONS = {
    ast.Lambda: "lambda expressions",
    ast.ListComp: "list comprehensions", ast.SetComp: "set comprehensions",
    ast.DictComp: "dict comprehensions", ast.GeneratorExp: "generator expressions",
    ast.Dict: "dict literals", ast.Set: "set literals", ast.JoinedStr: "f-strings",
    ast.Await: "'await'", ast.Yield: "generators ('yield')", ast.YieldFrom: "generators",
    ast.NamedExpr: "assignment expressions (':=')", ast.Starred: "starred arguments",
}


class Library:
    """Normalized user functions of one compilation, each with a unique generated name.
    ``generated``: the functions are adcompiler's own generated code (read back for second
    derivatives), already checked as the user's code."""

    def __init__(self, generated=False):
        self.generated = generated
        self.programs = {}
        self.in_progress = []
        # generated code imports the helpers and defines the primitives under these names
        self.used_names = set(support.__all__) | set(rules.PRIMITIVES)

    def program(self, func, node=None, caller=None, watch=frozenset(), nones=frozenset()):
        """The normalized ``func``; ``nones``: parameters every call here passes None, so
        that tests such as ``y is None`` are decided while normalizing."""
        key = (func, nones)
        if key in self.programs:
            return self.programs[key]
        if func in self.in_progress:
            raise caller.error(node, f"recursive call to {func.__name__!r} is not supported")
        self.in_progress.append(func)
        try:
            program = Normalizer(parse_function(func), self, watch, nones).run()
        finally:
            self.in_progress.pop()
        self.programs[key] = program
        return program

    def unique(self, name):
        return unique_name(name, self.used_names)


def normalize(func, library=None, watch=frozenset()):
    """Normalize ``func`` (and, recursively, the user functions it calls). ``watch``: locals
    whose last value gets a name of its own (for ``of``/``wrt``); None watches every local."""
    return (library or Library()).program(func, watch=watch)


class Normalizer:
    def __init__(self, parsed, library, watch=frozenset(), nones=frozenset()):
        self.p = parsed
        self.library = library
        self.watch = {n.id for n in ast.walk(parsed.node) if isinstance(n, ast.Name)} \
            if watch is None else set(watch)
        self.loop_depth = 0
        self.taken = {n.id for n in ast.walk(parsed.node) if isinstance(n, ast.Name)}
        self.taken |= set(parsed.params) | {"np", "math"}
        self.fresh = Fresh(self.taken)     # names of temporaries: t1, t2, ...
        self.current = {name: name for name in parsed.params}
        self.versions = {}
        self.aliases = {}           # version -> ast.Tuple of atoms (tuple values live here)
        self.ops = []
        self.enclosing = []         # the node lists of the blocks around the current one
        self.constants = set()      # versions without derivative (shapes, flags, literals)
        self.single = set()         # names assigned at most once per run: never versioned
        self.loop_flags = set()     # break/continue flags: local to one loop body, not carried
        self.mutated = set()        # arrays written in place (a[i] = ...): one buffer each
        self.lists = set()          # stacks (l = [], l.append(v), v = l.pop()): one each
        self.unset = set()          # names that may be unbound where read (first assigned in a
                                    # loop, or in one branch): copies never read them
        self.unset_version = {}     # generated code read back: name -> its one version that
                                    # may be unbound (every path writes that same name)
        self.live = {}              # id(loop statement) -> names live at its head
        self.before_loop = {}       # id(loop statement) -> bindings when it was entered
        self.open_loops = []        # carried variables of the loops being normalized
        self.views = {}             # version -> (versions it may share memory with, origin,
                                    # bound to a user name): views and aliases of arrays
        self.augmented = []         # (version before, origin) of 'name op= value'
        self.read_in_loop = {}      # watched name -> loop whose body reads its last value
        self.owner = {}             # version -> the user variable it is a version of
        self.known = dict.fromkeys(nones)   # version -> the constant it holds on the path
                                            # being read (a parameter given None: None)
        self.locals = []
        self.origin = None
        self.comments = {}
        self.callees = []

    # ------------------------------------------------------------------ names
    def next_version(self, name):
        """The name the next assignment to user variable ``name`` binds."""
        if name in self.single:
            version = name
        elif name not in self.current and name not in self.versions:
            self.versions[name] = 0             # the bare name is taken from now on
            version = name
        else:
            k = self.versions.get(name, 0) + 1
            while f"{name}_{k}" in self.taken:
                k += 1
            self.versions[name] = k
            version = f"{name}_{k}"
            self.taken.add(version)
        self.owner[version] = name
        return version

    def bind(self, name, version):
        if name not in self.current and name not in self.locals:
            self.locals.append(name)
        self.current[name] = version
        self.known.pop(version, None)

    def static_truth(self, node):
        """The truth of a test known while normalizing (``y is None`` for a parameter given
        None, flags set on the only path here, comparisons of constants: numba would drop the
        branch not taken, and leave what it binds untyped), or None when it depends on the
        run."""
        truth = syntax.static_truth(node, self.known_value)
        return None if truth is syntax.UNKNOWN else truth

    def known_value(self, name):
        """The value of ``name`` here when it is known while normalizing, else UNKNOWN."""
        return self.known.get(self.current.get(name), syntax.UNKNOWN)

    def error(self, node, message):
        return self.p.error(node, message)

    # ------------------------------------------------------------------ driver
    def run(self):
        node = lower(self.p.node)
        self.live = live_at_loop_heads(node)
        returned = node.adc_return_value
        self.single |= set(returned if isinstance(returned, list) else [returned] if returned
                           else [])
        self.loop_flags = node.adc_loop_flags
        self.mutated = syntax.written_arrays(node)
        self.mutated |= syntax.aliased_names(node, self.mutated)
        self.lists = {n.func.value.id for n in ast.walk(node) if _is_list_method(n, "append")}
        self.mutated |= self.lists
        body = list(node.body)
        for param in self.p.params:
            if param in self.mutated:       # written in place: work on a copy of the argument
                self.origin = node
                self.comments[id(node)] = f"{param} is written in place: copy the argument"
                version = self.next_version(param)
                self.rule_op(node, support.copy_of, [ast.Name(param, ast.Load())], {}, version)
                self.bind(param, version)
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            body = body[1:]
        ends_with_return = bool(body) and isinstance(body[-1], ast.Return)
        self.statements(body[:-1] if ends_with_return else body)
        if not ends_with_return:
            raise self.error(self.p.node, f"{self.p.name!r} must end with a 'return' statement")
        stmt = self.origin = body[-1]
        self.comments[id(stmt)] = self.source_text(stmt)
        if stmt.value is None:
            raise self.error(stmt, "a differentiated function must return a value")
        result = self.value(stmt.value, allow_tuple=True)
        self.ops = fold.decided_tests(self.ops)
        name = self.library.unique(self.p.name)
        locals_ = [n for n in self.locals if n in self.current]
        constant = {n for n in locals_ if self.current[n] in self.constants}
        read_before_kept = {}
        for n in sorted(self.watch & set(locals_) - set(self.read_in_loop)):
            read = _read_of_last_value(self.ops, self.current[n], own=False, owner=self.owner)
            if read is not None:
                read_before_kept[n] = read.origin
        program = Program(name, list(self.p.params), self.ops, result, dict(self.current),
                          [n for n in locals_ if self.current[n] not in self.aliases],
                          constant, self.comments, self.p, self.callees, self.views,
                          self.augmented, sorted(set(self.p.params) & self.mutated),
                          self.read_in_loop, [], self.library.generated,
                          bool(self.p.node.adc_return_value),
                          {n for n in locals_ if self.current[n] in self.unset},
                          read_before_kept)
        program.returned_views = aliases.returned_parameters(program)
        return program

    def view(self, version, base, named):
        """Note that ``version`` may share memory with ``base`` (a view, an alias, or one of the
        values a name assigned on several paths may hold)."""
        bases = self.views[version][0] if version in self.views else ()
        if base not in bases:
            bases += (base,)
        self.views[version] = (bases, self.origin, named)

    def source_text(self, stmt):
        """The statement's source on one line; for a compound statement, its header line."""
        synthetic = getattr(stmt, "adc_synthetic", False)
        text = (None if synthetic else self.p.segment(stmt)) or ast.unparse(stmt)
        if isinstance(stmt, (ast.If, ast.For, ast.While)):
            return text.splitlines()[0].strip()
        return " ".join(line.strip() for line in text.splitlines())

    # ------------------------------------------------------------------ statements
    def statements(self, stmts):
        for stmt in stmts:
            self.origin = stmt
            self.comments[id(stmt)] = self.source_text(stmt)
            self.statement(stmt)
            if self.loop_depth == 0:
                self.name_last_values(syntax.written_arrays(stmt) & self.watch)

    def name_last_values(self, names):
        """Give each of ``names`` (watched by of/wrt) a new version copied from its current
        one, which later lines read: after a loop carrying it or a write into it, the name then
        stands for one value, the one it holds from here on."""
        for name in sorted(names):
            if name not in self.current or self.current[name] in self.aliases \
                    or self.current[name] in self.unset:    # a copy would read it unbound
                continue
            source = self.current[name]
            version = self.next_version(name)
            constant = source in self.constants
            self.ops.append(self.copy_op(version, source, constant))
            self.view(version, source, False)       # the same array, if one
            if constant:
                self.constants.add(version)
            self.bind(name, version)

    def block(self, stmts, prelude=None):
        """Normalize ``stmts`` into a new list of nodes (the current one is kept aside)."""
        outer, origin = self.ops, self.origin
        self.enclosing.append(outer)
        self.ops = []
        if prelude:
            prelude()
        self.statements(stmts)
        block, self.ops, self.origin = self.ops, outer, origin
        self.enclosing.pop()
        return block

    def statement(self, stmt):
        if isinstance(stmt, ast.Assign):
            if len(stmt.targets) == 1:
                self.assign(stmt.targets[0], stmt.value)
            else:                       # a = b = expr
                value = self.value(stmt.value, allow_tuple=True)
                for target in stmt.targets:
                    self.assign_atom(target, value)
        elif isinstance(stmt, ast.AugAssign):
            if not isinstance(stmt.target, (ast.Name, ast.Subscript)):
                raise self.error(stmt.target, "augmented assignment to "
                                 f"{type(stmt.target).__name__.lower()}s is not supported")
            load = copy.deepcopy(stmt.target)
            for n in ast.walk(load):
                if hasattr(n, "ctx"):
                    n.ctx = ast.Load()
            expr = ast.copy_location(ast.BinOp(load, stmt.op, stmt.value), stmt)
            if isinstance(stmt.target, ast.Name) and stmt.target.id in self.current:
                self.augmented.append((self.current[stmt.target.id], stmt))
            self.assign(stmt.target, expr)
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            self.assign(stmt.target, stmt.value)
        elif isinstance(stmt, ast.Expr):
            self.expression_statement(stmt)
        elif isinstance(stmt, ast.Pass):
            pass
        elif isinstance(stmt, ast.If):
            self.if_statement(stmt)
        elif isinstance(stmt, ast.For):
            self.for_statement(stmt)
        elif isinstance(stmt, ast.While):
            self.while_statement(stmt)
        else:
            what = UNSUPPORTED_STATEMENTS.get(type(stmt), f"'{type(stmt).__name__}' statements")
            raise self.error(stmt, f"{what} are not supported in a differentiated function")

    # ------------------------------------------------------------------ control flow
    def if_statement(self, stmt):
        truth = self.static_truth(stmt.test)
        if truth is not None:           # only one side can run: the other is not compiled
            self.statements(stmt.body if truth else stmt.orelse)
            return
        test = self.atom(stmt.test)
        before, known = dict(self.current), dict(self.known)
        body = self.block(stmt.body)
        after_body, self.current, self.known = self.current, dict(before), dict(known)
        orelse = self.block(stmt.orelse)
        after_else = self.current
        self.current, self.known = dict(before), known
        for name in stores(stmt.body + stmt.orelse):
            self.known.pop(after_body.get(name), None)
            self.known.pop(after_else.get(name), None)
        self.merge(body, after_body, orelse, after_else, before)
        for name in self.single & (set(after_body) | set(after_else)):
            self.bind(name, name)
        self.ops.append(If(test, body, orelse, stmt))

    def merge(self, body, after_body, orelse, after_else, before):
        """After a branch: one new version per variable a branch changed, assigned at the end of
        each branch (a copy), and a constant only if it is constant on both."""
        for name in sorted((set(after_body) | set(after_else)) - self.single):
            sources = [(block, after.get(name)) for block, after in
                       ((body, after_body), (orelse, after_else))]
            if all(src == before.get(name) for _, src in sources):
                continue
            defined = [src for _, src in sources if src is not None]
            if any(src in self.aliases for src in defined):
                raise self.error(self.origin, f"tuple {name!r} is assigned in a branch: keep "
                                 "its values in variables of their own (a, b = ...)")
            if name not in before and len(defined) == 1:
                # as in Python: unbound after the other branch
                version = self.unset_version.setdefault(name, defined[0]) \
                    if self.library.generated else defined[0]
                if version != defined[0]:
                    block = next(block for block, src in sources if src is not None)
                    block.append(self.copy_op(version, defined[0], False, resets=True))
                self.bind(name, version)
                self.unset.add(version)
                continue
            unbound = [src for src in [before.get(name)] + defined if src in self.unset]
            if unbound and (self.library.generated or any(
                    before.get(name) in loop.values() for loop in self.open_loops)):
                # a loop's variable first assigned in the loop has no value to copy from on
                # entry: a branch in the loop that assigns it writes the loop's name itself
                # (so does generated code read back, whose flags and results may be unbound
                # on the path not taken: every branch writes one of those names)
                for block, src in sources:
                    if src not in (None, unbound[0]):
                        block.append(self.copy_op(unbound[0], src, False, resets=True))
                self.bind(name, unbound[0])
                continue
            version = self.next_version(name)
            constant = all(src in self.constants for _, src in sources if src is not None)
            for block, src in sources:
                if src is not None:
                    block.append(self.copy_op(version, src, constant))
            if constant:
                self.constants.add(version)
            self.bind(name, version)

    def copy_op(self, version, src, constant, resets=False):
        return Op((version,), ast.Name(src, ast.Load()), OpKind.CONST if constant else OpKind.COPY,
                  self.origin, inputs=(src,), resets=resets)

    def loop_variables(self, stmt, extra=()):
        """(carried: user name -> loop-level version, entry copies) for a loop's assignments."""
        for name in stores(stmt.body):   # another iteration may have changed them
            self.known.pop(self.current.get(name), None)
        self.before_loop[id(stmt)] = dict(self.current)
        indices = {n.id for s in stmt.body for loop in ast.walk(s)
                   if isinstance(loop, ast.For) for n in ast.walk(loop.target)
                   if isinstance(n, ast.Name)}
        assigned = {n.id for s in stmt.body for n in ast.walk(s)
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        assigned -= indices | self.loop_flags
        assigned &= self.live[id(stmt)] | self.watch    # others: temporaries of an iteration
        carried = {}
        for name in sorted((assigned | (set(extra) & self.live[id(stmt)])) - self.single):
            if self.current.get(name) in self.aliases:
                raise self.error(stmt, f"tuple {name!r} is rebound in this loop: keep its "
                                 f"values in variables of their own (a, b = {name})")
            if self.current.get(name) in self.unset and not self.read_here(self.current[name]):
                version = self.current[name]    # may be unbound here: the loop uses that name
                self.refuse_rebinding_a_value_read(stmt, name, version)
            elif name in self.current:          # (a line that ran read it: it is bound)
                version = self.next_version(name)
                self.ops.append(self.copy_op(version, self.current[name], False))
            else:
                version = self.unset_version.get(name) or self.next_version(name)
                self.unset.add(version)
                if self.library.generated:
                    self.unset_version.setdefault(name, version)
            carried[name] = version
            self.bind(name, version)
        self.open_loops.append(carried)
        return carried

    def read_here(self, version):
        """Whether a line of the current block or of a block around it, not in a branch or a
        loop, read ``version``: it is then bound from there on."""
        return any(isinstance(op, Op) and version in names(op.expr)
                   for block in self.enclosing + [self.ops] for op in block)

    def refuse_rebinding_a_value_read(self, stmt, name, version):
        """A loop rebinding a variable that may be unbound when it starts writes its last
        name, which lines before the loop may have read: their derivatives would see the
        loop's value, so that is refused."""
        def reads(nodes):
            for node in nodes:
                if isinstance(node, Op) and version in names(node.expr):
                    return node
                if isinstance(node, Loop) and version not in node.carried.values():
                    found = reads(node.header or []) or reads(node.body)
                elif isinstance(node, If):
                    found = reads(node.body) or reads(node.orelse)
                else:
                    found = None
                if found:
                    return found
            return None
        read = next(filter(None, map(reads, self.enclosing + [self.ops])), None)
        if read is not None:
            line = read.origin.lineno + self.p.locator.line_offset
            raise self.error(stmt, f"{name!r} may be unbound when this loop starts and line "
                             f"{line} read it; the loop rebinds it: give {name!r} a value "
                             "before that line, or use a new name in this loop")

    def close_loop(self, stmt, body, carried):
        """Copy each carried variable's last version back into its loop-level name; the
        temporaries of an iteration (read by no later statement) take back their binding
        from before the loop."""
        before = self.before_loop.pop(id(stmt))
        self.open_loops.pop()
        for name in stores(stmt.body) - set(carried) - self.single - self.loop_flags:
            if name in before:
                self.current[name] = before[name]
            elif name in self.current and name not in _loop_targets(stmt):
                del self.current[name]
        for name, version in carried.items():
            if not self.library.generated:
                self.refuse_read_before_branch_write(body, name, version)
            last = self.current.get(name, version)
            if last in self.aliases:
                raise self.error(stmt, f"tuple {name!r} is bound in this loop and used after "
                                 f"it: keep its values in variables of their own (a, b = ...)")
            if last != version:
                if name in self.watch and _read_of_last_value(body, last):
                    self.read_in_loop[name] = stmt
                body.append(self.copy_op(version, last, False, resets=True))
            self.current[name] = version
        for name in sorted(self.watch & syntax.written_arrays(stmt) - set(carried)):
            if name in self.current and _read_of_last_value(body, self.current[name]):
                self.read_in_loop[name] = stmt      # an array written in place: one name

    def refuse_read_before_branch_write(self, body, name, version):
        """A loop's variable that may be unbound when the loop starts is written, in a branch,
        under the loop's own name (there is no value to copy on the other path). An earlier
        read in the same iteration (other than a copy) would then see the new value when the
        iteration is replayed for its adjoint: refused."""
        ops = list(walk_ops(body))
        writes = [k for k, op in enumerate(ops) if op.resets and op.targets == (version,)
                  and not any(op is node for node in body)]
        read = next((op for op in ops[:writes[0]] if version in op.inputs
                     and op.kind not in (OpKind.COPY, OpKind.CONST)), None) if writes else None
        if read is not None:
            raise self.error(read.origin, f"{name!r} may be unbound when this loop starts, and "
                             "a branch of the loop rebinds it after this line reads it; "
                             f"give {name!r} a value before the loop")

    def for_statement(self, stmt):
        if stmt.orelse:
            raise self.error(stmt, "'for ... else' is not supported")
        index, bounds, row = self.iteration(stmt)
        carried = self.loop_variables(stmt, [row[0]] if row else [])
        updated = self.updated_in_place(stmt) if row else None
        if updated in carried:          # Python's iterator reads the array as it is updated
            row = (row[0], ast.Name(carried[updated], ast.Load()))
        elif row and row[1].id in carried.values():   # the loop's name for the array it runs
            held = self.fresh("t")                  # over, which the body rebinds: it runs
            self.ops.append(self.copy_op(held, row[1].id, False))   # over the value held first
            row = (row[0], ast.Name(held, ast.Load()))
        start = bounds[0]
        if index is None:
            index_version = self.fresh("k")
        else:
            previous = self.current.get(index)
            if previous is not None and previous not in self.constants:
                raise self.error(stmt.target, f"loop variable {index!r} already holds a value "
                                 "with a derivative; give the loop its own variable")
            if previous is not None:    # a loop that runs zero times leaves it as it was
                start = ast.Name(previous, ast.Load())
            index_version = self.next_version(index)
            self.bind(index, index_version)
        # bound before the loop too, so code after a loop that ran zero times can read it
        self.ops.append(Op((index_version,), start, OpKind.CONST, self.origin))
        self.constants.add(index_version)

        def read_row():
            name, array = row
            value = self.rule_op(stmt.iter, operator.getitem,
                                 [array, ast.Name(index_version, ast.Load())], {}, None)
            self.assign_atom(ast.Name(name, ast.Store()), value)
        self.loop_depth += 1
        body = self.block(stmt.body, prelude=read_row if row else None)
        self.loop_depth -= 1
        flag = self.current.get(getattr(stmt, "adc_break", None))
        self.close_loop(stmt, body, carried)
        self.ops.append(Loop("range", body, carried, stmt, index=index_version, bounds=bounds,
                             flag=flag))
        self.name_last_values(set(carried) & self.watch)

    def updated_in_place(self, stmt):
        """The name of the array ``for r in a`` runs over if its body updates it only by
        ``a op= v`` (which Python does in place), else None; both that and a rebinding of
        ``a`` in one body are refused."""
        source = stmt.iter.args[0] if isinstance(stmt.iter, ast.Call) else stmt.iter
        if not isinstance(source, ast.Name):
            return None
        targets = {id(n.target) for n in ast.walk(stmt) if isinstance(n, ast.AugAssign)}
        stores = [n for s in stmt.body for n in ast.walk(s) if isinstance(n, ast.Name)
                  and isinstance(n.ctx, ast.Store) and n.id == source.id]
        in_place = [n for n in stores if id(n) in targets]
        if in_place and len(in_place) < len(stores):
            raise self.error(in_place[0], f"the loop runs over the array {source.id!r}, which "
                             f"its body both rebinds and updates in place ({source.id} op= "
                             f"...): loop over an index (for i in range(len({source.id}))) or "
                             "over a copy")
        return source.id if in_place else None

    def iteration(self, stmt):
        """(index name or None, (start, stop, step) atoms, (row name, array atom) or None)."""
        it, target = stmt.iter, stmt.target
        func = self.p.resolve(it.func) if isinstance(it, ast.Call) else None
        if func is range:
            if not isinstance(target, ast.Name) or it.keywords or not 1 <= len(it.args) <= 3:
                raise self.error(stmt, "a 'for' over range() needs one loop variable and "
                                       "1 to 3 arguments")
            args = [self.atom(a) for a in it.args]
            if len(args) == 1:
                args = [ast.Constant(0)] + args
            return target.id, tuple((args + [ast.Constant(1)])[:3]), None
        if func is enumerate:
            if len(it.args) != 1 or not (isinstance(target, ast.Tuple) and len(target.elts) == 2
                                         and all(isinstance(e, ast.Name) for e in target.elts)):
                raise self.error(stmt, "use enumerate(array) with two loop variables: i, row")
            index, row, source = target.elts[0].id, target.elts[1].id, it.args[0]
        elif isinstance(target, ast.Name) and not isinstance(it, (ast.Call, ast.List, ast.Tuple,
                                                                  ast.Set, ast.Constant)):
            index, row, source = None, target.id, it
        else:
            raise self.error(it, "a 'for' loop must run over range(...), an array or "
                                 "enumerate(array)")
        if isinstance(source, ast.Name) and source.id in stores(stmt.body) \
                and source.id in syntax.written_arrays(stmt):
            raise self.error(source, f"the loop runs over the array {source.id!r} held when it "
                             f"started, and its body both writes into and rebinds "
                             f"{source.id!r}: loop over an index "
                             f"(for i in range(len({source.id}))) or over a copy")
        array = self.atom(source)
        if not isinstance(array, ast.Name):
            raise self.error(source, "a 'for' loop over values needs an array variable")
        stop = self.constant_op(ast.parse(f"{array.id}.shape[0]", mode="eval").body, None)
        return index, (ast.Constant(0), stop, ast.Constant(1)), (row, array)

    def while_statement(self, stmt):
        if stmt.orelse:
            raise self.error(stmt, "'while ... else' is not supported")
        if self.static_truth(stmt.test) is False:   # the body never runs: nothing to compile
            return
        carried = self.loop_variables(stmt)
        outer, self.ops = self.ops, []
        test = self.atom(stmt.test)
        header, self.ops = self.ops, outer
        self.loop_depth += 1
        body = self.block(stmt.body)
        self.loop_depth -= 1
        flag = self.current.get(getattr(stmt, "adc_break", None))
        self.close_loop(stmt, body, carried)
        self.ops.append(Loop("while", body, carried, stmt, header=header, test=test,
                             flag=flag))
        self.name_last_values(set(carried) & self.watch)

    def if_expression(self, node, target):
        truth = self.static_truth(node.test)
        if truth is not None:
            return self.value(node.body if truth else node.orelse, target)
        test = self.atom(node.test)
        named, target = target is not None, target or self.fresh("t")
        branches = []
        for side in (node.body, node.orelse):
            outer, self.ops = self.ops, []
            # a view gets a name of its own: the target may share either side's memory
            may_view = isinstance(side, ast.Subscript) or syntax.viewed(side) is not None
            value = self.value(side, target=None if may_view else target)
            if isinstance(value, ast.Name) and value.id != target:  # may be that array
                self.view(target, value.id, named)
            if not (isinstance(value, ast.Name) and value.id == target):
                self.ops.append(Op((target,), value, OpKind.COPY if isinstance(value, ast.Name)
                                   else OpKind.CONST, self.origin,
                                   inputs=(value.id,) if isinstance(value, ast.Name) else ()))
            constant = all(op.kind is OpKind.CONST for op in walk_ops(self.ops)
                           if target in op.targets)
            branches.append((self.ops, constant))
            self.ops = outer
            self.constants.discard(target)
        if all(constant for _, constant in branches):
            self.constants.add(target)
        self.ops.append(If(test, branches[0][0], branches[1][0], self.origin))
        return ast.Name(target, ast.Load())

    def expression_statement(self, stmt):
        value = stmt.value
        if isinstance(value, ast.Constant):
            return
        if type(value) in UNSUPPORTED_EXPRESSIONS:
            raise self.error(value, f"{UNSUPPORTED_EXPRESSIONS[type(value)]} are not supported "
                                    "in a differentiated function")
        if _is_list_method(value, "append") and value.func.value.id in self.lists:
            return self.push(value)
        if isinstance(value, ast.Call) and self.p.resolve(value.func) is print:
            args = [self.value(a, allow_tuple=True) for a in value.args]
            call = ast.Call(ast.Name("print", ast.Load()), args, [])
            self.ops.append(Op((), call, OpKind.CONST, self.origin))
            return
        raise self.error(stmt, "an expression statement has no effect on the derivative "
                               "and is not supported (only print(...) is)")

    def push(self, call):
        """``stack.append(value)``: the stack changes in place, like an array written."""
        if len(call.args) != 1 or call.keywords:
            raise self.error(call, "append takes one value")
        value = self.atom(call.args[0])
        stack = self.current[call.func.value.id]
        inputs = tuple(n for n in (getattr(value, "id", None), stack) if n)
        self.ops.append(Op((stack,), value, OpKind.PUSH, self.origin, inputs=inputs))

    def pop(self, call, target):
        if call.args or call.keywords:
            raise self.error(call, "only pop() without arguments (the last value) is supported")
        stack = self.current[call.func.value.id]
        target = target or self.fresh("t")
        self.ops.append(Op((target,), ast.Call(ast.Attribute(ast.Name(stack, ast.Load()), "pop",
                                                             ast.Load()), [], []),
                           OpKind.POP, self.origin, inputs=(stack,)))
        return ast.Name(target, ast.Load())

    def assign(self, target, value_node):
        if isinstance(target, ast.Name) and isinstance(value_node, ast.List) \
                and not value_node.elts and target.id in self.lists:
            version = self.next_version(target.id)
            self.ops.append(Op((version,), ast.List([], ast.Load()), OpKind.CONST, self.origin))
            self.bind(target.id, version)
            return
        if isinstance(target, ast.Name):
            known = syntax.static_value(value_node, self.known_value)   # c = 2.0 - 1.1
            version = self.next_version(target.id)
            value = self.value(value_node, target=version, allow_tuple=True)
            if isinstance(value, ast.Tuple):
                if version in self.single:
                    raise self.error(value_node, "a function returning a tuple from several "
                                     "places must return tuples of one size: 'return a, b'")
                self.aliases[version] = value
            elif not (isinstance(value, ast.Name) and value.id == version):
                self.emit_copy(version, value)
            self.bind(target.id, version)
            if isinstance(value, ast.Constant):
                self.known[version] = value.value
            elif known is not syntax.UNKNOWN:
                self.known[version] = known
            self.constants -= self.single
            if target.id in self.mutated:   # its elements change later: not a constant
                self.constants.discard(version)
        elif isinstance(target, (ast.Tuple, ast.List)):
            self.unpack(target, value_node)
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) \
                and target.value.id in self.current:
            self.write(target, value_node)
        else:
            raise self.error(target, f"assignment to {_describe_target(target)} is not supported "
                                     "in a differentiated function")

    def write(self, target, value_node):
        """``a[index] = value``: in place, in the one buffer of ``a``."""
        value = self.atom(value_node)
        array = self.current[target.value.id]
        index = self.index(target.slice)
        inputs = tuple(n for n in (getattr(value, "id", None), array) if n)
        self.ops.append(Op((array,), value, OpKind.SETITEM, self.origin, args={"index": index},
                           inputs=inputs))

    def assign_atom(self, target, value):
        if isinstance(target, ast.Name):
            version = self.next_version(target.id)
            if isinstance(value, ast.Tuple):
                self.aliases[version] = value
            else:
                self.emit_copy(version, value)
            self.bind(target.id, version)
        elif isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, ast.Tuple):
            self.unpack_atoms(target, value.elts)
        else:
            raise self.error(target, f"assignment to {_describe_target(target)} is not supported")

    def unpack(self, target, value_node):
        if isinstance(value_node, (ast.Tuple, ast.List)):
            if len(value_node.elts) != len(target.elts):
                raise self.error(value_node, "cannot unpack: the number of values does not match")
            atoms = [self.value(e, allow_tuple=True) for e in value_node.elts]
            return self.unpack_atoms(target, atoms)
        value = self.value(value_node, allow_tuple=True)
        op = self.ops[-1] if self.ops else None
        if isinstance(value, ast.Tuple) and op is not None and op.kind is OpKind.CALL \
                and [e.id for e in value.elts if isinstance(e, ast.Name)] == list(op.targets):
            value = ast.Name(op.targets[0], ast.Load())     # the call's results, renamed below
        if isinstance(value, ast.Tuple):
            if len(value.elts) != len(target.elts):
                raise self.error(value_node, "cannot unpack: the number of values does not match")
            return self.unpack_atoms(target, value.elts)
        if not (isinstance(value, ast.Name) and op and value.id in op.targets) or \
                op.kind not in (OpKind.CALL, OpKind.CONST):
            raise self.error(value_node, "can only unpack tuples, calls of user functions "
                                         "and shapes")
        if op.kind is OpKind.CALL and len(op.targets) != len(target.elts):
            raise self.error(value_node, "cannot unpack: the number of values does not match")
        names = []
        for elt in target.elts:
            if not isinstance(elt, ast.Name):
                raise self.error(elt, "nested or subscript unpacking targets are not supported")
            names.append(self.next_version(elt.id))
        for old_name, name in zip(op.targets, names):
            if old_name in self.views:              # a returned view, now named
                self.views[name] = self.views.pop(old_name)[:2] + (True,)
        op.targets = tuple(names)
        if op.kind is OpKind.CONST:
            self.constants.update(names)
        for elt, version in zip(target.elts, names):
            self.bind(elt.id, version)

    def unpack_atoms(self, target, atoms):
        if len(atoms) != len(target.elts):
            raise self.error(target, "cannot unpack: the number of values does not match")
        for elt, atom in zip(target.elts, atoms):
            self.assign_atom(elt, atom)

    def emit_copy(self, version, atom):
        """``version = atom`` for a user's assignment: for an array, a second name for it."""
        if isinstance(atom, ast.Name):
            self.view(version, atom.id, True)
        inputs = (atom.id,) if isinstance(atom, ast.Name) else ()
        constant = all(name in self.constants for name in inputs)
        self.ops.append(Op((version,), atom, OpKind.CONST if constant else OpKind.COPY, self.origin,
                           inputs=inputs))
        if constant:
            self.constants.add(version)

    # ------------------------------------------------------------------ expressions
    def atom(self, node):
        """``node`` as a Name or Constant (operations emitted as needed)."""
        return self.value(node)

    def value(self, node, target=None, allow_tuple=False):
        """Emit the operations computing ``node``; return an atom (Name, Constant) or a Tuple of
        atoms. With ``target``, a computed result is assigned to that name."""
        kind = type(node)
        if kind in UNSUPPORTED_EXPRESSIONS:
            raise self.error(node, f"{UNSUPPORTED_EXPRESSIONS[kind]} are not supported "
                                   "in a differentiated function")
        if isinstance(node, ast.Constant):
            return ast.Constant(node.value)
        if isinstance(node, ast.Name):
            return self.name(node, allow_tuple)
        if isinstance(node, (ast.Tuple, ast.List)):
            if not allow_tuple:
                raise self.error(node, "a tuple or list is only supported as a call argument, "
                                       "an assigned value or a return value")
            return ast.Tuple([self.value(e) for e in node.elts], ast.Load())
        if isinstance(node, ast.Attribute):
            return self.attribute(node, target)
        if isinstance(node, ast.BinOp):
            return self.binop(node, target)
        if isinstance(node, ast.UnaryOp):
            return self.unaryop(node, target)
        if isinstance(node, ast.BoolOp) and not all(map(syntax.is_boolean, node.values)):
            return self.if_expression(syntax.as_if_expression(node), target)
        if isinstance(node, (ast.Compare, ast.BoolOp)):
            return self.constant_op(self.rebuild(node), target)
        if isinstance(node, ast.Call):
            return self.call(node, target)
        if isinstance(node, ast.IfExp):
            return self.if_expression(node, target)
        if isinstance(node, ast.Subscript):
            return self.subscript(node, target)
        raise self.error(node, f"'{type(node).__name__}' expressions are not supported")

    def name(self, node, allow_tuple):
        if node.id in self.current:
            version = self.current[node.id]
            if version in self.aliases:
                if not allow_tuple:
                    raise self.error(node, f"tuple {node.id!r} can only be unpacked, indexed "
                                           "by a constant, passed or returned")
                return copy.deepcopy(self.aliases[version])    # new nodes at every read
            return ast.Name(version, ast.Load())
        obj = self.p.lookup(node.id)
        return self.global_value(node, node.id, obj)

    def global_value(self, node, text, obj):
        if obj is _MISSING:
            raise self.error(node, f"name {text!r} is not defined")
        if obj is None or isinstance(obj, (bool, int, float, str)) or (
                isinstance(obj, np.generic) and np.ndim(obj) == 0):
            return ast.Constant(obj.item() if isinstance(obj, np.generic) else obj)
        raise self.error(node, f"{text!r} ({type(obj).__name__}) is a global value: pass it "
                               "as an argument (only numbers, strings and None may be read "
                               "from globals)")

    def attribute(self, node, target):
        base = node.value
        if not self.is_global_chain(base):
            atom = self.value(base)
            if node.attr in builtin_rules.CONSTANT_ATTRIBUTES:
                return self.constant_op(ast.Attribute(atom, node.attr, ast.Load()), target)
            if node.attr in builtin_rules.ATTRIBUTES:
                return self.rule_op(node, builtin_rules.ATTRIBUTES[node.attr], [atom], {}, target)
            raise self.error(node, f"attribute '.{node.attr}' of an array is not supported")
        obj = self.p.resolve(node)
        if isinstance(obj, float) and ast.unparse(node.value) in ("np", "math", "numpy"):
            prefix = "math" if ast.unparse(node.value) == "math" else "np"
            return self.constant_op(ast.parse(f"{prefix}.{node.attr}", mode="eval").body, target) \
                if target else ast.Constant(obj)
        return self.global_value(node, ast.unparse(node), obj)

    def binop(self, node, target):
        left, right = self.atom(node.left), self.atom(node.right)
        if isinstance(node.op, INTEGER_BINOPS):
            return self.constant_op(ast.BinOp(left, node.op, right), target)
        return self.rule_op(node, getattr(operator, BINOPS[type(node.op)]), [left, right], {},
                            target)

    def unaryop(self, node, target):
        operand = self.atom(node.operand)
        if isinstance(node.op, ast.UAdd):
            return operand
        if isinstance(node.op, ast.USub):
            if isinstance(operand, ast.Constant):
                return ast.Constant(-operand.value)
            return self.rule_op(node, operator.neg, [operand], {}, target)
        return self.constant_op(ast.UnaryOp(node.op, operand), target)

    def rebuild(self, node):
        """A comparison or boolean expression with every operand normalized to an atom."""
        if isinstance(node, ast.Compare):
            return ast.Compare(self.atom(node.left), node.ops,
                               [self.atom(c) for c in node.comparators])
        return ast.BoolOp(node.op, [self.atom(v) for v in node.values])

    def subscript(self, node, target):
        base = self.value(node.value, allow_tuple=True)
        index = self.index(node.slice)
        if isinstance(base, ast.Tuple):
            if isinstance(index, ast.Constant) and isinstance(index.value, int):
                return base.elts[index.value]
            raise self.error(node, "a tuple can only be indexed by a constant integer")
        if not isinstance(base, ast.Name):
            raise self.error(node.value, "only variables can be indexed")
        return self.rule_op(node, operator.getitem, [base, index], {}, target)

    def index(self, node):
        if isinstance(node, ast.Slice):
            return ast.Slice(*(None if part is None else self.atom(part)
                               for part in (node.lower, node.upper, node.step)))
        if isinstance(node, ast.Tuple):
            return ast.Tuple([self.index(e) for e in node.elts], ast.Load())
        return self.atom(node)

    def call(self, node, target):
        func = node.func
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.error(arg, "starred arguments are not supported")
        if isinstance(func, ast.Attribute) and not self.is_global_chain(func.value):
            return self.method_call(node, target)
        obj = self.p.resolve(func)
        if obj is _MISSING:
            raise self.error(func, f"name {ast.unparse(func)!r} is not defined")
        args = [self.value(a, allow_tuple=True) for a in node.args]
        kwargs = {k.arg: self.value(k.value, allow_tuple=True) for k in node.keywords}
        if None in kwargs:
            raise self.error(node, "'**' arguments are not supported")
        rule = lookup(obj)
        if rule is not None:
            return self.rule_op(node, obj, args, kwargs, target)
        if inspect.isfunction(obj) and not _from_library(obj):
            return self.user_call(node, obj, args, kwargs, target)
        raise self.error(func, f"call to {ast.unparse(func)!r} has no derivative rule and no "
                               "Python source to differentiate; register a rule with "
                               "adcompiler.primitive")

    def is_global_chain(self, node):
        """True for ``np`` or ``np.linalg``: a name chain not rooted in a local variable."""
        while isinstance(node, ast.Attribute):
            node = node.value
        return isinstance(node, ast.Name) and node.id not in self.current

    def method_call(self, node, target):
        method = node.func.attr
        if _is_list_method(node, "pop") and node.func.value.id in self.lists:
            return self.pop(node, target)
        if method not in builtin_rules.METHODS:
            raise self.error(node.func, f"method '.{method}()' is not supported")
        base = self.value(node.func.value)
        args = [self.value(a, allow_tuple=True) for a in node.args]
        packed = builtin_rules.VARARG_METHODS.get(method)
        if packed and len(args) > 1:
            args = [ast.Tuple(args, ast.Load())]
        kwargs = {k.arg: self.value(k.value, allow_tuple=True) for k in node.keywords}
        return self.rule_op(node, builtin_rules.METHODS[method], [base] + args, kwargs, target)

    def rule_op(self, node, obj, args, kwargs, target):
        rule = lookup(obj)
        if rule.nondiff:
            call = ast.Call(ast.parse(rule.name, mode="eval").body, args,
                            [ast.keyword(k, v) for k, v in kwargs.items()])
            return self.constant_op(call, target)
        given = args
        if rule.arguments is not None:
            args = rule.arguments(args)
        signature = inspect.Signature([
            inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                              default=rule.defaults.get(p, inspect.Parameter.empty))
            for p in rule.params])
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise self.error(node, f"{rule.name}: {exc}") from None
        bound_args = dict(bound.arguments)
        for p, default in rule.defaults.items():
            bound_args.setdefault(p, ast.Constant(default))
        for p in rule.constants:
            value = bound_args[p]
            if not (isinstance(value, ast.Constant) or isinstance(value, ast.Tuple) and all(
                    isinstance(e, ast.Constant) for e in value.elts)):
                raise self.error(node, f"{rule.name}: {p!r} must be a constant (a literal, or a "
                                       "number from globals or the closure)")
        if rule.reduces and isinstance(bound_args.get("axis"), ast.Tuple):
            raise self.error(node, f"{rule.name}: axis must be one int or None; reduce one "
                                   "axis at a time (np.sum(np.sum(x, axis=1), axis=0))")
        for p in rule.diff_params():
            value = bound_args[p]
            if isinstance(value, ast.Tuple) and p not in ("arrays",):
                raise self.error(node, f"{rule.name}: a tuple cannot be differentiated "
                                       f"as argument {p!r}")
        expr = self.render(rule, given, kwargs, bound_args)
        inputs = []
        for p in rule.diff_params():
            value = bound_args[p]
            elts = value.elts if isinstance(value, ast.Tuple) else [value]
            inputs += [e.id for e in elts if isinstance(e, ast.Name)]
        named, target = target is not None, target or self.fresh("t")
        if rule.view and isinstance(bound_args.get("x"), ast.Name):
            self.view(target, bound_args["x"].id, named)
        constant = all(name in self.constants for name in inputs)
        self.ops.append(Op((target,), expr, OpKind.CONST if constant else OpKind.RULE, self.origin,
                           rule=rule, args=bound_args, inputs=tuple(dict.fromkeys(inputs))))
        if constant:
            self.constants.add(target)
        return ast.Name(target, ast.Load())

    def render(self, rule, args, kwargs, bound):
        """The primal right-hand side of a rule's operation, as generated code writes it."""
        if rule.operator is not None:
            if len(rule.params) == 1:
                return ast.UnaryOp(rule.operator(), bound[rule.params[0]])
            return ast.BinOp(bound["a"], rule.operator(), bound["b"])
        if rule.name == "[]":
            return ast.Subscript(bound["x"], bound["index"], ast.Load())
        optional = [p for p in rule.params if p in rule.defaults]
        defaults_only = all(isinstance(bound[p], ast.Constant)
                            and bound[p].value == rule.defaults[p] for p in optional)
        if rule.reduces and defaults_only:
            required = [bound[p] for p in rule.params if p not in rule.defaults]
            return ast.Call(ast.parse(rule.name, mode="eval").body, required, [])
        if rule.primal:
            return ast.Call(ast.Name(rule.primal, ast.Load()), [bound[p] for p in rule.params], [])
        return ast.Call(ast.parse(rule.name, mode="eval").body, args,
                        [ast.keyword(k, v) for k, v in kwargs.items()])

    def user_call(self, node, func, args, kwargs, target):
        signature = inspect.signature(func)
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise self.error(node, f"{func.__name__}(): {exc}") from None
        bound.apply_defaults()
        atoms = []
        for name, value in bound.arguments.items():
            if not isinstance(value, ast.AST):
                value = self.global_value(node, name, value)
            if isinstance(value, ast.Tuple):
                raise self.error(node, f"tuple argument {name!r} to a user function is not "
                                       "supported")
            atoms.append(value)
        nones = frozenset(p for p, a in zip(bound.arguments, atoms)
                          if isinstance(a, ast.Constant) and a.value is None)
        callee = self.library.program(func, node, self, nones=nones)
        if callee.written_params:
            raise self.error(node, f"{func.__name__}() writes into its argument "
                                   f"{callee.written_params[0]!r} in place, which in Python "
                                   "changes the caller's array; return the new array from "
                                   f"{func.__name__}() instead")
        if callee not in self.callees:
            self.callees.append(callee)
        expr = ast.Call(ast.Name(callee.name, ast.Load()), atoms, [])
        inputs = tuple(dict.fromkeys(a.id for a in atoms if isinstance(a, ast.Name)))
        named = target is not None and not isinstance(callee.result, ast.Tuple)
        targets = tuple(self.fresh("t") for _ in callee.result.elts) \
            if isinstance(callee.result, ast.Tuple) else (target or self.fresh("t"),)
        arguments = dict(zip(callee.params, atoms))
        for name, params in zip(targets, callee.returned_views):
            for param in params:                # a view of that argument, or the argument
                if isinstance(arguments.get(param), ast.Name):
                    self.view(name, arguments[param].id, named)
        self.ops.append(Op(targets, expr, OpKind.CALL, self.origin, callee=callee, args=atoms,
                           inputs=inputs))
        if isinstance(callee.result, ast.Tuple):    # one name per returned value
            return ast.Tuple([ast.Name(t, ast.Load()) for t in targets], ast.Load())
        return ast.Name(targets[0], ast.Load())

    def constant_op(self, expr, target):
        target = target or self.fresh("t")
        self.ops.append(Op((target,), expr, OpKind.CONST, self.origin))
        self.constants.add(target)
        return ast.Name(target, ast.Load())


LIBRARIES = {"numpy", "scipy", "numba", "math", "builtins", "adcompiler"}


def _from_library(func):
    """True for functions of NumPy and friends: only a rule may differentiate them."""
    return (getattr(func, "__module__", None) or "").split(".")[0] in LIBRARIES


def _read_of_last_value(body, last, own=True, owner=None):
    """An operation of ``body`` that may read the value its variable holds at the end of
    ``body``: a value it may keep (``last``, or a version copied into it) read where the rest of
    ``body`` may not bind the variable again; None if there is none. ``own``: reads of ``last``
    itself count (in a loop's body they read it in the iteration that bound it; over a whole
    function they are the final value's own uses). ``owner`` (version -> user name): follow
    only copies between versions of one name (``y = x`` gives y a value of its own)."""
    sources = {}
    for op in walk_ops(body):
        if op.kind is OpKind.COPY and (owner is None or owner.get(op.targets[0], op.targets[0]) ==
                                  owner.get(op.inputs[0], op.inputs[0])):
            sources.setdefault(op.targets[0], set()).update(op.inputs)
    held, todo = set(), [last]
    while todo:
        version = todo.pop()
        if version not in held:
            held.add(version)
            todo.extend(sources.get(version, ()))
    read = held if own else held - {last}

    def binds(op):
        return op.kind is not OpKind.COPY and bool(held & set(op.targets))

    def uses(op):
        return bool(read & set(op.inputs)) and not (op.kind is OpKind.COPY and op.targets[0] in held)

    def scan(nodes, bound_after):
        """(a use found or None, whether every path through ``nodes`` binds the variable),
        given whether every path after them does."""
        for node in reversed(nodes):
            if isinstance(node, Op):
                if uses(node) and not (bound_after or binds(node)):
                    return node, bound_after
                bound_after = bound_after or binds(node)
            elif isinstance(node, If):
                found_body, bound_body = scan(node.body, bound_after)
                found_else, bound_else = scan(node.orelse, bound_after)
                if found_body or found_else:
                    return found_body or found_else, bound_after
                bound_after = bound_body and bound_else
            else:                               # a loop inside may run no trips: binds nothing
                found = scan(node.body, bound_after)[0] or scan(node.header or [], bound_after)[0]
                if found:
                    return found, bound_after
        return None, bound_after
    return scan(body, False)[0]


def _loop_targets(stmt):
    """The index names of ``stmt`` and of the loops nested in it (they stay bound after it)."""
    return {n.id for loop in ast.walk(stmt) if isinstance(loop, ast.For)
            for n in ast.walk(loop.target) if isinstance(n, ast.Name)}


def _is_list_method(node, method):
    """True for ``name.method(...)``."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
        and node.func.attr == method and isinstance(node.func.value, ast.Name)


def _describe_target(target):
    if isinstance(target, ast.Subscript):
        return f"'{ast.unparse(target)}' (an array element or slice)"
    if isinstance(target, ast.Attribute):
        return f"attribute '{ast.unparse(target)}'"
    return f"'{ast.unparse(target)}'"
