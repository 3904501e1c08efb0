"""Tests decided by constants that the normalizer could not see while it wrote them: a loop's
variable that no line of the body rebinds after all (its rebinding sat under a test decided
later), bound before the loop to a number and compared with a number. numba follows a name
bound once to its value and decides such a test itself when it compiles, dropping the side not
taken and leaving what that side binds (a tape, an adjoint) untyped. So the side not taken is
removed here, as Python never runs it, and a while loop whose test is decided false with it."""
from . import syntax
from .ir import If, Loop, OpKind, walk_loops, walk_ops

# operations whose expression is the value bound
VALUE_KINDS = (OpKind.CONST, OpKind.COPY, OpKind.RULE)
                                            # (not a write into an array or a stack)


def decided_tests(body):
    """``body`` without the sides of its tests, and the while loops, that constants decide
    never run, repeated until no test is left to decide (each removal can bind a name once)."""
    while True:
        folded = _Folder(body)
        body = folded.block(body)
        if not folded.changed:
            return body


class _Folder:
    def __init__(self, body):
        self.definitions = {}       # name -> the operations (None: a loop's index) binding it
        for op in walk_ops(body):
            for target in op.targets:
                self.definitions.setdefault(target, []).append(op)
        for loop in walk_loops(body):
            if loop.index is not None:
                self.definitions.setdefault(loop.index, []).append(None)
        self.values, self.changed = {}, False

    def value_of(self, name):
        """The value of a name bound once, by an operation made of constants and such names,
        or UNKNOWN."""
        if name not in self.values:
            self.values[name] = syntax.UNKNOWN          # (a cycle of copies decides nothing)
            bound = self.definitions.get(name, [])
            if len(bound) == 1 and bound[0] is not None and bound[0].kind in VALUE_KINDS \
                    and len(bound[0].targets) == 1:
                self.values[name] = syntax.static_value(bound[0].expr, self.value_of)
        return self.values[name]

    def truth(self, test):
        return syntax.static_truth(test, self.value_of)

    def block(self, nodes):
        out = []
        for node in nodes:
            if isinstance(node, If):
                truth = self.truth(node.test)
                if truth is not syntax.UNKNOWN:
                    self.changed = True
                    out.extend(self.block(node.body if truth else node.orelse))
                    continue
                node.body, node.orelse = self.block(node.body), self.block(node.orelse)
            elif isinstance(node, Loop):
                if node.kind == "while" and self.truth(node.test) is False:
                    self.changed = True
                    continue
                node.header = self.block(node.header) if node.header else node.header
                node.body = self.block(node.body)
            out.append(node)
        return out

