"""Comprehensions, before lowering: each becomes the loop it stands for.

A list comprehension or generator expression summed by ``sum`` or ``np.sum`` becomes a loop that
adds up its items, run before the statement that uses the sum::

    s = np.sum([np.sin(x[i]) for i in range(n)])        _sum = 0.0
                                                        for i in range(n):
                                                            _sum = _sum + np.sum(np.sin(x[i]))
                                                        s = _sum

(``for`` clauses nest, ``if`` clauses guard the addition). One given to ``np.array`` or
``np.stack`` over ``range`` of numbers becomes the list of its items, ``np.array([e(0), e(1)])``.
A comprehension's variables are renamed where the function uses their names elsewhere (Python
keeps them inside the comprehension). Any other comprehension is refused (refusals.py).
"""
import ast
import builtins
import copy
from collections import Counter

import numpy as np

from .naming import unique_name
from .refusals import comprehension_refusal

SUMS = {builtins.sum: "sum", np.sum: "np.sum"}
STACKS = {np.array: "np.array", np.stack: "np.stack"}
MAX_UNROLLED = 64           # items of a comprehension given to np.array or np.stack


def hoisted(parsed):
    """The body of ``parsed``'s function with its comprehensions made loops (see above)."""
    return _Hoisting(parsed).block(parsed.node.body)


class _Hoisting:
    def __init__(self, parsed):
        self.parsed = parsed
        names = [n.id for n in ast.walk(parsed.node) if isinstance(n, ast.Name)]
        self.uses = Counter(names)
        self.taken = set(names) | set(parsed.params)

    def block(self, statements):
        out = []
        for statement in statements:
            if isinstance(statement, ast.While):
                self.refuse_inside(statement.test, "the test of a while loop (which runs "
                                                   "again every iteration)")
            elif isinstance(statement, ast.If):
                out += self.hoist(statement, "test")
            elif isinstance(statement, ast.For):
                out += self.hoist(statement, "iter")
            elif not isinstance(statement, ast.FunctionDef):
                for field in ("value", "target"):
                    if getattr(statement, field, None) is not None:
                        out += self.hoist(statement, field)
            for field in ("body", "orelse"):
                if isinstance(statement, (ast.If, ast.For, ast.While)):
                    setattr(statement, field, self.block(getattr(statement, field)))
            out.append(statement)
        return out

    def hoist(self, node, field):
        """The loops computing the comprehensions in ``node.<field>``, which then reads their
        results."""
        before = []
        setattr(node, field, self.replace(getattr(node, field), before, conditional=False))
        return before

    def replace(self, node, before, conditional):
        if isinstance(node, ast.Call) and len(node.args) >= 1 and \
                isinstance(node.args[0], (ast.ListComp, ast.GeneratorExp)):
            consumer = self.parsed.resolve(node.func)
            if consumer in SUMS or consumer in STACKS:
                if conditional:
                    raise self.parsed.error(node, "a comprehension inside a conditional "
                                                  "expression (a if c else b, and, or) is not "
                                                  "supported: compute it before")
                return self.sum(node, before) if consumer in SUMS else \
                    self.stack(node, before)
        if isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.Lambda)):
            return node         # refused where the normalizer meets it
        inner = conditional or isinstance(node, (ast.IfExp, ast.BoolOp))
        for field, value in ast.iter_fields(node):
            if isinstance(value, ast.AST):
                setattr(node, field, self.replace(value, before, inner))
            elif isinstance(value, list):
                setattr(node, field, [self.replace(v, before, inner)
                                      if isinstance(v, ast.AST) else v for v in value])
        return node

    def refuse_inside(self, node, where):
        for inner in ast.walk(node):
            if isinstance(inner, (ast.ListComp, ast.GeneratorExp)):
                raise self.parsed.error(inner, f"a comprehension in {where} is not supported: "
                                               "compute it before the loop and in its body")

    # ------------------------------------------------------------------ consumers
    def sum(self, call, before):
        """``sum(e for ...)``, ``sum(..., start)``, ``np.sum([e for ...])``: a loop adding up
        the items (``np.sum`` each item's elements) into a new variable, which replaces it."""
        comprehension = call.args[0]
        numpy_sum = self.parsed.resolve(call.func) is np.sum
        if call.keywords or len(call.args) > (1 if numpy_sum else 2):
            raise self.parsed.error(call, f"{SUMS[self.parsed.resolve(call.func)]} of a "
                                          "comprehension takes no other arguments here")
        elt, generators = self.renamed(comprehension)
        total = unique_name("_sum", self.taken)
        item = ast.Call(copy.deepcopy(call.func), [elt], []) if numpy_sum else elt
        start = call.args[1] if len(call.args) > 1 else ast.Constant(0.0 if numpy_sum else 0)
        body = [ast.Assign([_store(total)], ast.BinOp(_load(total), ast.Add(), item))]
        for generator in reversed(generators):
            if generator.ifs:
                test = generator.ifs[0] if len(generator.ifs) == 1 else \
                    ast.BoolOp(ast.And(), generator.ifs)
                body = [ast.If(test, body, [])]
            body = [ast.For(generator.target, generator.iter, body, [])]
        loops = [ast.Assign([_store(total)], start)] + body
        for statement in loops:
            _locate(statement, call)
        before.extend(self.block(loops))        # comprehensions inside the items
        return _locate(_load(total), call)

    def stack(self, call, before):
        """``np.array([e(i) for i in range(3)])``: ``np.array([e(0), e(1), e(2)])`` (the
        comprehensions inside the items computed before)."""
        comprehension = call.args[0]
        (generator, *more) = comprehension.generators
        bounds = _constant_range(generator.iter, self.parsed) if not more and \
            not generator.ifs and isinstance(generator.target, ast.Name) else None
        if bounds is None or len(range(*bounds)) > MAX_UNROLLED:
            raise self.parsed.error(comprehension, comprehension_refusal(
                f"{STACKS[self.parsed.resolve(call.func)]} of a comprehension over anything "
                f"but range() of at most {MAX_UNROLLED} numbers"))
        items = [_substituted(comprehension.elt, generator.target.id, ast.Constant(k))
                 for k in range(*bounds)]
        call.args[0] = self.replace(_locate(ast.List(items, ast.Load()), comprehension),
                                    before, conditional=False)
        return call

    def renamed(self, comprehension):
        """(item, generators) of ``comprehension`` (copies), its variables renamed where the
        function uses their names outside it."""
        elt, generators = copy.deepcopy((comprehension.elt, comprehension.generators))
        inside = Counter(n.id for n in ast.walk(comprehension) if isinstance(n, ast.Name))
        for k, generator in enumerate(generators):
            if generator.is_async:
                raise self.parsed.error(comprehension, "async comprehensions are not supported")
            for target in [n for n in ast.walk(generator.target) if isinstance(n, ast.Name)]:
                if self.uses[target.id] == inside[target.id]:
                    continue
                new = unique_name(target.id, self.taken)
                for node in [elt] + generators[k:]:     # not its own iterable
                    _rename(node, target.id, new, generator.iter if node is generator else None)
        return elt, generators


def _constant_range(node, parsed):
    """range()'s arguments when ``node`` is ``range(<numbers>)``, else None."""
    if isinstance(node, ast.Call) and parsed.resolve(node.func) is range and not node.keywords \
            and 1 <= len(node.args) <= 3 and all(isinstance(a, ast.Constant) and type(a.value)
                                                 is int for a in node.args):
        return [a.value for a in node.args]
    return None


def _rename(node, old, new, skip=None):
    """Rename ``old`` to ``new`` under ``node``, leaving the subtree ``skip`` alone."""
    left = {id(n) for n in ast.walk(skip)} if skip is not None else set()
    for inner in ast.walk(node):
        if isinstance(inner, ast.Name) and inner.id == old and id(inner) not in left:
            inner.id = new


def _substituted(node, name, value):
    """A copy of ``node`` with ``value`` for ``name``, except inside a comprehension that binds
    ``name`` again."""
    class Substitute(ast.NodeTransformer):
        def visit_Name(self, leaf):
            return ast.copy_location(copy.copy(value), leaf) if leaf.id == name else leaf

        def generic_visit(self, inner):
            if isinstance(inner, (ast.ListComp, ast.GeneratorExp)) and any(
                    isinstance(n, ast.Name) and n.id == name
                    for g in inner.generators for n in ast.walk(g.target)):
                return inner
            return super().generic_visit(inner)
    return Substitute().visit(copy.deepcopy(node))


def _locate(node, where):
    """Give the new nodes under ``node`` the position of ``where`` (the user's code)."""
    for inner in ast.walk(node):
        if not hasattr(inner, "lineno") or inner.lineno is None:
            ast.copy_location(inner, where)
    return node


def _load(name):
    return ast.Name(name, ast.Load())


def _store(name):
    return ast.Name(name, ast.Store())
