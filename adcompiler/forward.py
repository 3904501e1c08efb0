"""Stage 4, forward mode: the tangent transform.

For a normalized function it writes one Python function that runs the primal operations and,
beside each active one, the statements of its tangent: the tangent of ``x`` is ``x_dot``. Loops,
branches and early exits keep their structure (a tangent travels with its value), so the
function returns ``(value, value_dot)`` after one sweep, with no tape.
"""
import ast

from . import aliases, analyze
from .ir import If, Op, OpKind
from .nodes import (assign, call, comment, function, has_arithmetic, load, replace_by_identity,
                    substitute)
from .primal import Primal
from .rules import Instance, additive_terms, instantiate


class TangentWriter:
    """Writes the tangent (JVP) function of one program for the parameters ``wrt``."""

    def __init__(self, module, program, wrt, param_types):
        self.module, self.program, self.wrt = module, program, tuple(wrt)
        type_map = analyze.types(program, param_types)
        self.kinds = analyze.kinds(type_map)
        taken = {n.id for n in ast.walk(program.parsed.node) if isinstance(n, ast.Name)}
        taken |= {t for op in program.ops for t in op.targets}
        self.suffix = "_tan" if any(n.endswith("_dot") for n in taken) else "_dot"
        self.active = analyze.active(program, self.wrt, analyze.result_names(program),
                                     analyze.integers(type_map))
        self.primal = Primal(program, self.kinds, module, integers=analyze.integers(type_map))
        self.sharing = aliases.Sharing(program)
        aliases.check(program, self.kinds, self.sharing)
        self.written = {self.sharing.of(op.targets[0]) for op in program.ops
                        if op.kind is OpKind.SETITEM}

    def dot(self, name):
        return name + self.suffix

    def kind(self, name):
        return self.kinds.get(name, analyze.ARRAY)

    # ------------------------------------------------------------------ the function
    def function(self, name):
        for callee in self.program.callees:
            self.module.primal(callee)
        body = self.block(self.program.body)
        result = self.program.result
        atoms = result.elts if isinstance(result, ast.Tuple) else [result]
        tangents = [self.output_tangent(a) for a in atoms]
        tangent = ast.Tuple(tangents, ast.Load()) if isinstance(result, ast.Tuple) else tangents[0]
        body.append(ast.Return(ast.Tuple([result, tangent], ast.Load())))
        params = list(self.program.params) + [self.dot(p) for p in self.wrt]
        return function(name, params, body)

    def output_tangent(self, atom):
        if isinstance(atom, ast.Name) and atom.id in self.active:
            return call("cast_like", load(self.dot(atom.id)), atom)
        return call("zeros_like", atom) if isinstance(atom, ast.Name) else ast.Constant(0.0)

    # ------------------------------------------------------------------ blocks
    def block(self, nodes, origin=None):
        out, last_origin = [], origin
        for node in nodes:
            if isinstance(node, Op):
                if node.origin is not last_origin and not node.bookkeeping:
                    last_origin = node.origin
                    out.append(comment(self.program.comments[id(node.origin)]))
                out.extend(self.operation(node))
            elif isinstance(node, If):
                if node.origin is not last_origin:
                    out.append(comment(self.program.comments[id(node.origin)]))
                last_origin = node.origin
                out.append(ast.If(node.test, self.block(node.body, node.origin) or [ast.Pass()],
                                  self.block(node.orelse, node.origin)))
            else:
                out.extend(self.loop(node, last_origin))
                last_origin = None
        return out

    def loop(self, loop, last_origin):
        out = [] if loop.origin is last_origin else \
            [comment(self.program.comments[id(loop.origin)])]
        body = self.block(loop.body, loop.origin)
        if loop.flag:
            body.append(ast.If(load(loop.flag), [ast.Break()], []))
        if loop.kind == "range":
            return out + [ast.For(ast.Name(loop.index, ast.Store()), call("range", *loop.bounds),
                                  body or [ast.Pass()], [])]
        header = self.block(loop.header, loop.origin)
        return out + header + [ast.While(loop.test, body + header, [])]

    # ------------------------------------------------------------------ one operation
    def operation(self, op):
        """The primal statement(s) of ``op`` and the tangent statements beside them."""
        if op.kind is OpKind.CALL and self.active_inputs(op):
            return [self.call_tangent(op)]       # a callee's tangents are new arrays
        out = self.primal.operation(op)
        if op.kind in (OpKind.PUSH, OpKind.POP):
            return out + self.stack_tangent(op)
        if op.kind is OpKind.SETITEM:
            if op.targets[0] in self.active:
                value = op.expr
                tangent = load(self.dot(value.id)) if isinstance(value, ast.Name) \
                    and value.id in self.active else ast.Constant(0.0)
                out.append(ast.Assign([ast.Subscript(load(self.dot(op.targets[0])),
                                                     op.args["index"], ast.Store())], tangent))
            return out
        targets = [t for t in op.targets if t in self.active]
        if not targets:
            return out
        if isinstance(op.expr, ast.List):          # a new stack: its tangents' stack
            return out + [assign(self.dot(targets[0]), ast.List([], ast.Load()))]
        if not self.active_inputs(op) or op.kind is OpKind.CONST:
            return out + [assign(self.dot(t), call("zeros_like", load(t))) for t in targets]
        if op.kind is OpKind.COPY:
            tangent = load(self.dot(op.expr.id))
            if op.bookkeeping and self.kind(targets[0]) != analyze.SCALAR:
                tangent = call("keep_dtype", tangent, load(targets[0]))
            return out + [assign(self.dot(targets[0]), tangent)]
        tangent = self.rule_tangent(op)
        if self.owns_tangent(targets[0], tangent):
            tangent = call("copy_of", tangent)
        return out + [assign(self.dot(targets[0]), tangent)]

    def owns_tangent(self, name, tangent):
        """True where ``name`` is a new array (not a view) whose tangent may be another
        tangent's memory (``v = x + 1.0`` has the tangent ``x_dot``) and either array is
        written in place: a tangent is written in step with its array, so the two must not
        share memory."""
        shared = _shared_name(tangent)
        if name in self.program.views or shared is None:
            return False
        if shared.endswith(self.suffix):
            shared = shared[:-len(self.suffix)]
        return bool({self.sharing.of(name), self.sharing.of(shared)} & self.written)

    def stack_tangent(self, op):
        """A stack of tangents beside each active stack, pushed and popped with it."""
        if op.kind is OpKind.PUSH:
            stack, value = op.targets[0], op.expr
            if stack not in self.active:
                return []
            tangent = load(self.dot(value.id)) if isinstance(value, ast.Name) \
                and value.id in self.active else call("zeros_like", value)
            return [ast.Expr(call(f"{self.dot(stack)}.append", tangent))]
        stack = op.inputs[0]
        if stack not in self.active:
            return []
        pop = call(f"{self.dot(stack)}.pop")         # popped in step with the stack
        if op.targets[0] not in self.active:
            return [ast.Expr(pop)]
        return [assign(self.dot(op.targets[0]), pop)]

    def active_inputs(self, op):
        return [name for name in op.inputs if name in self.active]

    def call_tangent(self, op):
        """``(t, t_dot) = callee_jvp(args, tangents of the active args)``."""
        callee = op.callee
        wrt = [p for p, a in zip(callee.params, op.args)
               if isinstance(a, ast.Name) and a.id in self.active]
        jvp = self.module.jvp(callee, wrt)
        dots = [load(self.dot(a.id)) for p, a in zip(callee.params, op.args) if p in wrt]
        names = [ast.Name(t, ast.Store()) for t in op.targets]
        dot_names = [ast.Name(self.dot(t), ast.Store()) for t in op.targets]
        if len(names) == 1 and not isinstance(callee.result, ast.Tuple):
            store = ast.Tuple(names + dot_names, ast.Store())
        else:
            store = ast.Tuple([ast.Tuple(names, ast.Store()), ast.Tuple(dot_names, ast.Store())],
                              ast.Store())
        return ast.Assign([store], call(jvp, *op.args, *dots))

    # ------------------------------------------------------------------ rules
    def rule_tangent(self, op):
        """The right-hand side of ``t_dot = ...`` for a rule's operation."""
        rule = op.rule
        if rule.tangent is None and (rule.linear or rule.bilinear):
            return self.substituted_tangent(op)
        terms = self.template_terms(op)
        if not terms:
            raise self.program.parsed.error(
                op.origin, f"{rule.name} has no tangent rule (forward mode); give it one with "
                           "adcompiler.defjvp")
        expr = None
        for sign, term in terms:
            if expr is None:
                expr = term if sign > 0 else ast.UnaryOp(ast.USub(), term)
            else:
                expr = ast.BinOp(expr, ast.Add() if sign > 0 else ast.Sub(), term)
        return self.inline_or_helper(op, expr)

    def template_terms(self, op):
        """(sign, term) in template names, one per active operand; a term a broadcast operand
        leaves smaller than the result is broadcast to it."""
        rule = op.rule
        if rule.tangent is not None:
            terms = []
            for sign, term in additive_terms(rule.tangent):
                role = next(n.id[:-4] for n in ast.walk(term) if isinstance(n, ast.Name)
                            and n.id.endswith("_dot") and n.id[:-4] in rule.params)
                terms.append((sign, role, term))
        elif rule.elementwise:
            inst = Instance(rule, load(op.targets[0]), op.args, self.dot, lambda hint: hint)
            terms = []
            for share in instantiate(inst)[1]:
                dot = {rule.result + "_bar": ast.Name(share.role + "_dot", ast.Load())}
                terms.append((1, share.role, substitute(share.expr, dot)))
        else:
            return []
        out = []
        for sign, role, term in terms:
            arg = op.args.get(role)
            if not (isinstance(arg, ast.Name) and arg.id in self.active):
                continue
            if rule.broadcast and self.smaller_than_result(op, role, term):
                term = call("broadcast_like", term, load(rule.result))
            out.append((sign, term))
        return out

    def smaller_than_result(self, op, role, term):
        """True if ``term`` (of operand ``role``) may lack axes the other operands give."""
        if self.kind(op.targets[0]) == analyze.SCALAR:
            return False
        reads = {n.id for n in ast.walk(term) if isinstance(n, ast.Name)}
        if op.rule.result in reads:
            return False
        others = [p for p, a in op.args.items() if p != role and p in op.rule.params
                  and (isinstance(a, ast.Name) and self.kind(a.id) != analyze.SCALAR)]
        return not all(p in reads for p in others)

    def inline_or_helper(self, op, expr):
        """``expr`` (template names) in call-site names; on arrays, a call to a module helper."""
        rule = op.rule
        mapping = {p: a for p, a in op.args.items()}
        mapping[rule.result] = load(op.targets[0])
        for p, a in op.args.items():
            if isinstance(a, ast.Name):
                mapping[p + "_dot"] = load(self.dot(a.id))
        if not self.module.use_helpers or not has_arithmetic(expr) \
                or self.kind(op.targets[0]) == analyze.SCALAR:
            return substitute(expr, mapping)
        used = {n.id for n in ast.walk(expr) if isinstance(n, ast.Name)}
        roles = [r for r in [p + "_dot" for p in rule.params] + [rule.result] + rule.params
                 if r in used]
        doc = f"{rule.result} = {ast.unparse(rule.expression())}: " \
              f"{rule.result}_dot = {ast.unparse(expr)}"
        name = self.module.helper(f"{rule.key}_tangent", roles, expr, doc)
        return call(name, *[mapping[r] for r in roles])

    def substituted_tangent(self, op):
        """A linear primitive applied to the tangents (an inactive array of a tuple operand
        contributes zeros); a multilinear one, summed over its active operands."""
        rule = op.rule
        operands, numbers = {}, set()
        for p in rule.diff_params():
            value = op.args[p]
            for elt in value.elts if isinstance(value, ast.Tuple) else [value]:
                if isinstance(elt, ast.Name):
                    operands[id(elt)] = (p, elt.id)
                elif isinstance(elt, ast.Constant):
                    numbers.add(id(elt))
        active = {key: (p, n) for key, (p, n) in operands.items() if n in self.active}

        def replaced(keys):
            def swap(node):
                if id(node) in keys:
                    return load(self.dot(node.id))
                if rule.linear and id(node) in operands:
                    return call("zeros_like", load(node.id))
                if rule.linear and id(node) in numbers:         # np.array([x, 2.0])
                    return ast.Constant(type(node.value)(0))
                return None
            return replace_by_identity(op.expr, swap)

        if rule.linear:
            return replaced(set(active))
        params = sorted({p for p, _ in active.values()}, key=rule.params.index)
        expr = None
        for p in params:
            term = replaced({key for key, (q, _) in active.items() if q == p})
            expr = term if expr is None else ast.BinOp(expr, ast.Add(), term)
        return expr


def _shared_name(expr):
    """The name whose memory ``expr`` may be (a name, or a subscript or attribute of one), or
    None for a new value."""
    while isinstance(expr, (ast.Subscript, ast.Attribute)):
        expr = expr.value
    return expr.id if isinstance(expr, ast.Name) else None
