"""Stage 2: a parsed function as a list of three-address operations.

Every call or operator result gets its own name (``t1``, ``t2``, ...; expressions.py); augmented
assignment is desugared and tuple unpacking is explicit (statements.py); a rebound name gets a
new version (``x``, ``x_1``, ...; versions.py), so each name holds one value and the adjoint can
read it back. Each operation remembers the user's statement it came from, for comments in
generated code and for error messages. ``break``, ``continue`` and early returns are lowered to
flags first (lower.py); what is not supported is refused as it is met (refusals.py).
"""
import ast
import dataclasses

from . import aliases, closures, comprehensions, fold, primitives, structures, support, syntax
from .expressions import Expressions
from .ir import Program
from .liveness import live_at_loop_heads
from .lower import lower
from .naming import Fresh, unique_name
from .parse import parse_function
from .statements import Statements
from .versions import Versions, read_of_last_value


class Library:
    """Normalized user functions of one compilation, each with a unique generated name.
    ``generated``: the functions are adcompiler's own generated code (read back for second
    derivatives), already checked as the user's code."""

    def __init__(self, generated=False):
        self.generated = generated
        self.programs = {}
        self.in_progress = []
        # generated code imports the helpers and defines the primitives under these names
        self.used_names = set(support.__all__) | set(primitives.PRIMITIVES)

    def program(self, func, node=None, caller=None, watch=frozenset(), nones=frozenset(),
                parsed=None, extra=None, shapes=frozenset()):
        """The normalized ``func`` (a Python function, or the ParsedFunction ``parsed`` of a
        nested one); ``nones``: parameters every call here passes None, so that tests such as
        ``y is None`` are decided while normalizing; ``extra``: how many values a call passes
        to its ``*args`` (None for the differentiated function itself); ``shapes``: (parameter,
        treedef) of the parameters given tuples or dicts, passed as their leaves."""
        key = (parsed.node if parsed else func, nones, extra, shapes)
        if key in self.programs:
            return self.programs[key]
        if key[0] in self.in_progress:
            name = parsed.name if parsed else func.__name__
            raise caller.error(node, f"recursive call to {name!r} is not supported")
        self.in_progress.append(key[0])
        try:
            program = Normalizer(parsed or parse_function(func), self, watch, nones,
                                 extra, dict(shapes)).run()
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


class Normalizer(Statements, Expressions, Versions):
    """Normalizes one parsed function: ``run()`` returns its Program. ``watch``: locals whose
    last value gets a name of its own; ``nones``: parameters every call passes None."""

    def __init__(self, parsed, library, watch=frozenset(), nones=frozenset(), extra=None,
                 shapes=None):
        vararg = parsed.node.args.vararg
        if vararg is not None and extra is None:
            raise parsed.error(vararg, "*args parameters are not supported in the "
                                       "differentiated function (functions it calls may take "
                                       "them)")
        parsed.node.body = comprehensions.hoisted(parsed)      # (its names are taken below)
        self.p = parsed
        self.library = library
        self.lowered = None         # what lower() made of the function's exits
        self.local_functions = {}   # name -> ParsedFunction of the functions defined inside
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
        self.hidden = {}            # variable key -> (parameter, reader) of the global or
                                    # closure arrays it reads: parameters after its own
        if vararg is not None:      # *args: a parameter per value the call passes, and
            values = [unique_name(f"{vararg.arg}_{k}", self.taken) for k in range(extra)]
            self.p = dataclasses.replace(parsed, params=parsed.params + values)
            self.current.update({v: v for v in values + [vararg.arg]})
            self.aliases[vararg.arg] = ast.Tuple([ast.Name(v, ast.Load()) for v in values],
                                                 ast.Load())   # the tuple of them
        params = []
        for param in self.p.params:     # a tuple or dict: a parameter per leaf, in its place
            if param not in (shapes or {}):
                params.append(param)
                continue
            leaves = [unique_name(f"{param}{path}", self.taken)
                      for path in structures.paths(shapes[param])]
            self.taken |= set(leaves)
            self.current.update({v: v for v in leaves})
            self.aliases[param] = structures.unflatten_node(
                shapes[param], [ast.Name(v, ast.Load()) for v in leaves])
            params += leaves
        self.p = dataclasses.replace(self.p, params=params)

    def error(self, node, message):
        return self.p.error(node, message)

    def run(self):
        node = self.p.node
        self.local_functions = {**(self.p.functions or {}), **closures.hoist(self.p)}
        self.lowered = lower(node)
        self.live = live_at_loop_heads(node)
        returned = self.lowered.return_value
        self.single |= set(returned if isinstance(returned, list) else [returned] if returned
                           else [])
        self.loop_flags = self.lowered.loop_flags
        self.mutated = syntax.written_arrays(node)
        self.mutated |= syntax.aliased_names(node, self.mutated)
        self.lists = {n.func.value.id for n in ast.walk(node)
                      if syntax.is_list_method(n, "append")}
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
        result_shape = None
        if structures.nested(result):   # returned as its leaves
            result_shape, leaves = structures.flatten_node(result)
            result = ast.Tuple(leaves, ast.Load())
        self.ops = fold.decided_tests(self.ops)
        name = self.library.unique(self.p.name)
        locals_ = [n for n in self.locals if n in self.current]
        constant = {n for n in locals_ if self.current[n] in self.constants}
        read_before_kept = {}
        for n in sorted(self.watch & set(locals_) - set(self.read_in_loop)):
            read = read_of_last_value(self.ops, self.current[n], own=False, owner=self.owner)
            if read is not None:
                read_before_kept[n] = read.origin
        params = list(self.p.params) + [param for param, _ in self.hidden.values()]
        program = Program(name, params, self.ops, result, dict(self.current),
                          [n for n in locals_ if self.current[n] not in self.aliases],
                          constant, self.comments, self.p, self.callees, self.views,
                          self.augmented, sorted(set(self.p.params) & self.mutated),
                          self.read_in_loop, [], self.library.generated,
                          bool(self.lowered.return_value),
                          {n for n in locals_ if self.current[n] in self.unset},
                          read_before_kept)
        program.returned_views = aliases.returned_parameters(program)
        program.result_shape = result_shape
        program.hidden = dict(self.hidden)
        return program

    def source_text(self, stmt):
        """The statement's source on one line; for a compound statement, its header line."""
        text = (None if self.lowered.wrote(stmt) else self.p.segment(stmt)) or ast.unparse(stmt)
        if isinstance(stmt, (ast.If, ast.For, ast.While)):
            return text.splitlines()[0].strip()
        return " ".join(line.strip() for line in text.splitlines())
