"""The functions of one generated module: the main derivative function, the primals, pullbacks
and tangent functions of the user functions it calls, and the array helpers they share."""
import ast

from . import drivers, pullbacks, support
from .forward import TangentWriter
from .naming import unique_name
from .nodes import comment, function
from .primal import Primal
from .reverse import Writer
from .spec import JACOBIAN_FORWARD, JACOBIAN_REVERSE, JVP, VJP, Spec

RESERVED = {"np", "math", "abs", "pow", "max", "min", "float", "int", "len", "range", "round",
            "print", "sum"} | set(support.__all__)
HELPERS_PAY_OFF = 2    # call sites per distinct helper at which helpers beat inline code
MAX_SUFFIX = 60        # characters of parameter names in a derivative function's name


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
        self.splits = {}            # (Program, wrt params) -> (forward, backward) names

    def helper(self, hint, params, body, doc):
        """The name of a module-level function ``def NAME(params): return body``, written once.
        Array code calls these instead of inlining array expressions: numba compiles each once
        per type signature, which keeps compile time low (docs/how-it-works.md)."""
        key = (hint, tuple(params), ast.dump(body))
        self.helper_calls += 1
        if key not in self.helper_names:
            name = self.helper_names[key] = self.unique(hint)
            statements = [comment(doc), ast.Return(body)]
            self.helpers.append(function(name, list(params), statements))
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
        self.functions.append(function(program.name, program.params, body))

    def vjp(self, program, wrt):
        """The name of ``program``'s pullback for parameters ``wrt``, written once."""
        key = (program, tuple(wrt))
        if key not in self.vjps:
            self.vjps[key] = self.unique(program.name + "_vjp" + _wrt_suffix(program, wrt))
            writer = Writer(self, program, Spec(tuple(wrt), None, VJP), {})
            self.functions.append(writer.function(self.vjps[key]))
        return self.vjps[key]

    def split(self, program, wrt):
        """(forward name, backward name) of ``program``'s split pullback for ``wrt``, written
        once; None when its adjoint reads nothing of its forward sweep (pullbacks.py)."""
        key = (program, tuple(wrt))
        if key not in self.splits:
            suffix = _wrt_suffix(program, wrt)
            names = (self.unique(f"{program.name}_forward{suffix}"),
                     self.unique(f"{program.name}_backward{suffix}"))
            for callee in program.callees:
                self.primal(callee)
            writer = Writer(self, program, Spec(tuple(wrt), None, VJP), {})
            written = pullbacks.functions(writer, *names)
            self.splits[key] = names if written else None
            self.functions.extend(written or [])
        return self.splits[key]

    def jvp(self, program, wrt):
        """The name of ``program``'s tangent function for parameters ``wrt``, written once."""
        key = (program, tuple(wrt))
        if key not in self.jvps:
            self.jvps[key] = self.unique(program.name + "_jvp" + _wrt_suffix(program, wrt))
            writer = TangentWriter(self, program, wrt, {})
            self.functions.append(writer.function(self.jvps[key]))
        return self.jvps[key]


def _wrt_suffix(program, wrt):
    """What a derivative function's name adds for parameters ``wrt``: nothing for all of them,
    else their names, or their count where the names would make it too long for a file name
    (numba's cache names its files after functions)."""
    if tuple(wrt) == tuple(program.params):
        return ""
    names = "_" + "_".join(wrt)
    return names if len(names) <= MAX_SUFFIX else f"_{len(wrt)}_of_{len(program.params)}"


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
    if spec.output in (JVP, JACOBIAN_FORWARD):
        main = TangentWriter(module, program, spec.wrt, param_types).function(name)
    else:
        output = VJP if spec.output == JACOBIAN_REVERSE else spec.output
        main = Writer(module, program, Spec(spec.wrt, spec.of, output, spec.aux),
                      param_types).function(name)
    if spec.output in (VJP, JVP, JACOBIAN_FORWARD, JACOBIAN_REVERSE):
        module.primal(program)
    if spec.output not in (JACOBIAN_FORWARD, JACOBIAN_REVERSE):
        return [main]
    return [main, drivers.jacobian(module, program, name, spec.wrt[0],
                                  spec.output == JACOBIAN_FORWARD)]
