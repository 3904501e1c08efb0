"""The normalized program: three-address operations, branches and loops, and the walks over
them that every later stage uses."""
import ast
from dataclasses import dataclass, field
from enum import Enum

from .parse import ParsedFunction


class OpKind(Enum):
    RULE = "rule"               # a primitive applied by its rule: ``t = np.sin(x)``
    CALL = "call"               # a call of a user function, differentiated with it
    COPY = "copy"               # ``a = b``: a second name for a value
    CONST = "const"             # a value without derivative: a literal, a shape, a flag, print
    SETITEM = "setitem"         # ``a[index] = value``, in place (``targets`` is ``(a,)``)
    PUSH = "push"               # ``stack.append(value)`` (``targets`` is ``(stack,)``)
    POP = "pop"                 # ``t = stack.pop()``


@dataclass(eq=False)
class Op:
    """One three-address operation: ``targets = expr``."""
    targets: tuple              # names it assigns (empty for a statement such as print)
    expr: ast.expr              # the right-hand side as generated code writes it
    kind: OpKind
    origin: ast.stmt            # the user's statement it came from
    rule: object = None         # Rule, for RULE
    args: dict = None           # Rule parameter -> atom, for RULE; {"index": atom} for SETITEM;
                                # the argument atoms, for CALL
    callee: object = None       # Program, for CALL
    inputs: tuple = ()          # names whose derivatives flow into the targets
    resets: bool = False        # a loop's copy-back: the target is rebound every iteration

    @property
    def bookkeeping(self):
        """A copy made by a branch or loop (merging or carrying a value), not a user line."""
        return isinstance(self.origin, (ast.If, ast.For, ast.While)) \
            and isinstance(self.expr, ast.Name)


@dataclass(eq=False)
class If:
    """``if test: body else: orelse``; ``test`` an atom computed before."""
    test: ast.expr
    body: list
    orelse: list
    origin: ast.stmt


@dataclass(eq=False)
class Loop:
    """A loop. ``range``: ``index`` runs over range(start, stop, step). ``while``: ``header``
    operations compute ``test`` before each iteration. ``carried`` maps each variable the body
    assigns to the one name it has across iterations (the body ends copying back into it)."""
    kind: str
    body: list
    carried: dict
    origin: ast.stmt
    index: str = None
    bounds: tuple = ()          # (start, stop, step) atoms, for "range"
    header: list = None         # operations computing the test, for "while"
    test: ast.expr = None
    flag: str = None            # set when the body breaks out: the loop stops after it


def walk_ops(body):
    """Every Op of a structured body, in program order (a loop's header before its body)."""
    for node in body:
        if isinstance(node, Op):
            yield node
        elif isinstance(node, If):
            yield from walk_ops(node.body)
            yield from walk_ops(node.orelse)
        else:
            yield from walk_ops(node.header or [])
            yield from walk_ops(node.body)


def walk_loops(body):
    """Every Loop of a structured body, nested ones too, outer ones first."""
    for node in body:
        if isinstance(node, If):
            yield from walk_loops(node.body + node.orelse)
        elif isinstance(node, Loop):
            yield node
            yield from walk_loops((node.header or []) + node.body)


def top_loops(body):
    """The loops of ``body`` that are not inside another loop."""
    for node in body:
        if isinstance(node, If):
            yield from top_loops(node.body + node.orelse)
        elif isinstance(node, Loop):
            yield node


def compound_nodes(body):
    """The If and Loop nodes nested anywhere in ``body`` (not in while headers)."""
    for node in body:
        if isinstance(node, If):
            yield node
            yield from compound_nodes(node.body)
            yield from compound_nodes(node.orelse)
        elif isinstance(node, Loop):
            yield node
            yield from compound_nodes(node.body)


def ops_with_loops(body, around=()):
    """(op, the loops containing it) for every Op of ``body``, in program order."""
    for node in body:
        if isinstance(node, Op):
            yield node, around
        elif isinstance(node, If):
            yield from ops_with_loops(node.body + node.orelse, around)
        else:
            yield from ops_with_loops((node.header or []) + node.body, around + (node,))


@dataclass(eq=False)
class Program:
    """A normalized function."""
    name: str                   # its name in generated code
    params: list
    body: list                  # Op, If and Loop nodes
    result: ast.expr            # atom or tuple of atoms returned
    final: dict                 # user name -> the version holding its last value
    locals: list                # user-named locals, in order of first assignment
    constant_locals: set        # locals whose last value has no derivative (shapes, flags)
    comments: dict              # id(origin statement) -> its source text
    parsed: ParsedFunction
    callees: list = field(default_factory=list)   # Programs it calls, callees first
    views: dict = field(default_factory=dict)     # version -> (base versions, origin, named)
    augmented: list = field(default_factory=list)  # (version before, origin) of 'a op= v'
    written_params: list = field(default_factory=list)  # parameters written in place
    read_in_loop: dict = field(default_factory=dict)    # name -> loop reading its last value
    returned_views: list = field(default_factory=list)  # per returned value: the parameters
                                                        # whose memory it may be
    generated: bool = False     # adcompiler's own generated code, read back
    returns_early: bool = False     # a return before the end (lowered to flags)
    maybe_unbound: set = field(default_factory=set)     # locals first bound in a loop or a
                                                        # branch that may not have run
    read_before_kept: dict = field(default_factory=dict)  # name -> a statement that reads a
                            # value a later branch or loop may keep as its last, before then
    result_shape: tuple = None  # a nested tuple or a dict returned: its treedef (structures.py);
                                # ``result`` is then the tuple of its leaves
    hidden: dict = field(default_factory=dict)  # key -> (parameter, reader): the global and
                                # closure arrays it reads, the last parameters, read at each call

    @property
    def user_params(self):
        """The parameters its callers give: without the global and closure arrays passed
        after them."""
        return self.params[:len(self.params) - len(self.hidden)]

    @property
    def ops(self):
        return list(walk_ops(self.body))
