"""Versioning for the normalizer (SSA): a user name rebound gets a new version (``x``, ``x_1``,
...), so each name holds one value that the adjoint can read back. After a branch, a variable
either side changed gets one new version, copied at the end of each side; a loop's variables get
one name across iterations, copied into on entry and at the end of the body (``carried``). Values
known while normalizing (constants, a parameter given None) decide tests here.
"""
import ast

from . import syntax
from .dataflow import names, stores
from .ir import If, Loop, Op, OpKind, walk_ops


class Versions:
    """The Normalizer's methods that bind names to versions (its state: ``current``,
    ``versions``, ``owner``, ``known``, ``views``, ``constants``, ``unset``)."""

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
        truth = syntax.static_truth(node, self.known_value, self.tuple_length)
        return None if truth is syntax.UNKNOWN else truth

    def known_value(self, name):
        """The value of ``name`` here when it is known while normalizing, else UNKNOWN."""
        return self.known.get(self.current.get(name), syntax.UNKNOWN)

    def tuple_length(self, name):
        """The length of the tuple ``name`` holds here (``len`` being the builtin), else
        UNKNOWN."""
        version = self.current.get(name)
        if version not in self.aliases or "len" in self.current \
                or self.p.lookup("len") is not len:
            return syntax.UNKNOWN
        return len(self.aliases[version].elts)

    def view(self, version, base, named):
        """Note that ``version`` may share memory with ``base`` (a view, an alias, or one of the
        values a name assigned on several paths may hold)."""
        bases = self.views[version][0] if version in self.views else ()
        if base not in bases:
            bases += (base,)
        self.views[version] = (bases, self.origin, named)

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
        kind = OpKind.CONST if constant else OpKind.COPY
        return Op((version,), ast.Name(src, ast.Load()), kind, self.origin, inputs=(src,),
                  resets=resets)

    def emit_copy(self, version, atom):
        """``version = atom`` for a user's assignment: for an array, a second name for it."""
        if isinstance(atom, ast.Name):
            self.view(version, atom.id, True)
        inputs = (atom.id,) if isinstance(atom, ast.Name) else ()
        constant = all(name in self.constants for name in inputs)
        kind = OpKind.CONST if constant else OpKind.COPY
        self.ops.append(Op((version,), atom, kind, self.origin, inputs=inputs))
        if constant:
            self.constants.add(version)

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
                if name in self.watch and read_of_last_value(body, last):
                    self.read_in_loop[name] = stmt
                body.append(self.copy_op(version, last, False, resets=True))
            self.current[name] = version
        for name in sorted(self.watch & syntax.written_arrays(stmt) - set(carried)):
            if name in self.current and read_of_last_value(body, self.current[name]):
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


def read_of_last_value(body, last, own=True, owner=None):
    """An operation of ``body`` that may read the value its variable holds at the end of
    ``body``: a value it may keep (``last``, or a version copied into it) read where the rest of
    ``body`` may not bind the variable again; None if there is none. ``own``: reads of ``last``
    itself count (in a loop's body they read it in the iteration that bound it; over a whole
    function they are the final value's own uses). ``owner`` (version -> user name): follow
    only copies between versions of one name (``y = x`` gives y a value of its own)."""
    sources = {}
    for op in walk_ops(body):
        if op.kind is OpKind.COPY and (owner is None or owner.get(op.targets[0], op.targets[0])
                                       == owner.get(op.inputs[0], op.inputs[0])):
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
        copied_back = op.kind is OpKind.COPY and op.targets[0] in held
        return bool(read & set(op.inputs)) and not copied_back

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
