"""Statements for the normalizer: assignments (augmented ones desugared, tuples unpacked),
in-place writes, branches and loops, each lowered to operations, If and Loop nodes.
"""
import ast
import copy
import operator

from . import refusals, structures, support, syntax
from .dataflow import stores
from .ir import If, Loop, Op, OpKind


class Statements:
    """The Normalizer's methods that lower statements."""

    def statements(self, stmts):
        for stmt in stmts:
            self.origin = stmt
            self.comments[id(stmt)] = self.source_text(stmt)
            self.statement(stmt)
            if self.loop_depth == 0:
                self.name_last_values(syntax.written_arrays(stmt) & self.watch)

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
        refused = refusals.refusal(stmt)
        if refused:
            raise self.error(*refused)
        if isinstance(stmt, ast.Assign):
            if len(stmt.targets) == 1:
                self.assign(stmt.targets[0], stmt.value)
            else:                       # a = b = expr
                value = self.value(stmt.value, allow_tuple=True)
                for target in stmt.targets:
                    self.assign_atom(target, value)
        elif isinstance(stmt, ast.AugAssign):
            load = copy.deepcopy(stmt.target)
            for n in ast.walk(load):
                if hasattr(n, "ctx"):
                    n.ctx = ast.Load()
            expr = ast.copy_location(ast.BinOp(load, stmt.op, stmt.value), stmt)
            if isinstance(stmt.target, ast.Name) and stmt.target.id in self.current:
                self.augmented.append((self.current[stmt.target.id], stmt))
            self.assign(stmt.target, expr)
        elif isinstance(stmt, ast.AnnAssign):
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

    def for_statement(self, stmt):
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
        flag = self.current.get(self.lowered.break_flag(stmt))
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
        if self.static_truth(stmt.test) is False:   # the body never runs: nothing to compile
            return
        carried = self.loop_variables(stmt)
        outer, self.ops = self.ops, []
        test = self.atom(stmt.test)
        header, self.ops = self.ops, outer
        self.loop_depth += 1
        body = self.block(stmt.body)
        self.loop_depth -= 1
        flag = self.current.get(self.lowered.break_flag(stmt))
        self.close_loop(stmt, body, carried)
        self.ops.append(Loop("while", body, carried, stmt, header=header, test=test,
                             flag=flag))
        self.name_last_values(set(carried) & self.watch)

    def expression_statement(self, stmt):
        value = stmt.value
        if isinstance(value, ast.Constant):
            return
        refused = refusals.refusal(value)
        if refused:
            raise self.error(*refused)
        if syntax.is_list_method(value, "append") and value.func.value.id in self.lists:
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

    def assign(self, target, value_node):
        if isinstance(target, ast.Name) and isinstance(value_node, ast.List) \
                and not value_node.elts and target.id in self.lists:
            version = self.next_version(target.id)
            self.ops.append(Op((version,), ast.List([], ast.Load()), OpKind.CONST, self.origin))
            self.bind(target.id, version)
            return
        if isinstance(target, ast.Name):
            known = syntax.static_value(value_node, self.known_value,     # c = 2.0 - 1.1
                                        self.tuple_length)
            version = self.next_version(target.id)
            value = self.value(value_node, target=version, allow_tuple=True)
            if structures.is_structure(value):
                self.bind_structure(version, value, value_node)
            elif isinstance(value, ast.Name) and value.id != version \
                    and self.returns_written(target.id, value_node):
                self.rule_op(value_node, support.copy_of, [value], {}, version)
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
            raise self.error(target, refusals.assignment(target))

    def bind_structure(self, version, value, node):
        """``version`` names the tuple or dict ``value``: the views among its values are now
        reached under a user's name (a write into their array is then refused, as for a named
        view)."""
        self.refuse_returned_structure(version, node)
        self.aliases[version] = value
        for leaf in structures.flatten_node(value)[1]:
            if isinstance(leaf, ast.Name) and leaf.id in self.views:
                bases, origin, _ = self.views[leaf.id]
                self.views[leaf.id] = (bases, origin, True)

    def refuse_returned_structure(self, version, node):
        """A value returned from several places is held in one name: a tuple or dict there
        would be one value for every path (the last written)."""
        if version in self.single:
            raise self.error(node, "a function that returns from several places returns "
                                   "tuples and dicts of one shape written out in each return "
                                   "(return a, {'k': b}), not held in variables")

    def returns_written(self, name, value_node):
        """True for ``return a`` of an array ``a`` written in place, lowered to an assignment
        of the returned value (an early return): the value is returned, a copy, not a second
        name for ``a``."""
        returned = self.lowered.return_value
        names = returned if isinstance(returned, list) else [returned]
        return name in names and isinstance(value_node, ast.Name) \
            and value_node.id in self.mutated

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
            if structures.is_structure(value):
                self.bind_structure(version, value, target)
            else:
                self.emit_copy(version, value)
            self.bind(target.id, version)
        elif isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, ast.Tuple):
            self.unpack_atoms(target, value.elts)
        else:
            raise self.error(target, refusals.assignment(target))

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
