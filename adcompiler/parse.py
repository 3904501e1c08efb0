"""Stage 1: a Python function's source as an AST, and the names it can see."""
import ast
import builtins
import inspect
import linecache
import textwrap
from dataclasses import dataclass

from .errors import DifferentiationError, SourceLocator

MISSING = object()


@dataclass
class ParsedFunction:
    """A user function ready to normalize: its definition and the scope its names resolve in."""
    func: object
    name: str
    node: ast.FunctionDef
    params: list
    locator: SourceLocator
    closure: dict
    globals: dict
    text: str = ""              # the dedented source the AST was parsed from
    functions: dict = None      # a nested function: the nested functions it may call
    own_params: list = None     # a nested function: its parameters before its free variables

    def __post_init__(self):
        self._lines = self.text.encode().splitlines(keepends=True)
        self.read_outside = {}      # name -> value of what it read from its closure or globals

    def segment(self, node):
        """The source of ``node`` as ``ast.get_source_segment`` gives it, from lines split
        once (column offsets count UTF-8 bytes)."""
        if not self._lines or getattr(node, "end_lineno", None) is None:
            return None
        first, last = node.lineno - 1, node.end_lineno - 1
        if first == last:
            return self._lines[first][node.col_offset:node.end_col_offset].decode()
        return b"".join([self._lines[first][node.col_offset:]] + self._lines[first + 1:last]
                        + [self._lines[last][:node.end_col_offset]]).decode()

    def lookup(self, name):
        """The object ``name`` refers to in the function's closure, globals or builtins."""
        for scope in (self.closure, self.globals):
            value = scope.get(name, MISSING)
            if value is not MISSING:
                self.read_outside[name] = value
                return value
        return vars(builtins).get(name, MISSING)

    def reader(self, name):
        """A function reading ``name``'s value now (from the function's closure cell or its
        globals), and a key saying which variable it is."""
        code = getattr(self.func, "__code__", None)
        if name in self.closure:
            if code is not None and name in code.co_freevars:
                cell = self.func.__closure__[code.co_freevars.index(name)]
                return (lambda: cell.cell_contents), ("cell", id(cell))
            value = self.closure[name]
            return (lambda: value), ("closure", id(self.closure), name)
        written = getattr(self.func, "__adc_source__", None)  # its globals are a copy
        scope = written.scope if written is not None and written.scope is not None \
            and name in written.scope else self.globals
        return (lambda: scope.get(name, MISSING)), ("global", id(scope), name)

    def resolve(self, node):
        """The object a ``Name`` or ``Attribute`` chain (``np.linalg.norm``) denotes, or MISSING."""
        if isinstance(node, ast.Name):
            return self.lookup(node.id)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return MISSING if base is MISSING else getattr(base, node.attr, MISSING)
        return MISSING

    def error(self, node, message):
        return self.locator.error(node, message)


@dataclass(frozen=True)
class WrittenSource:
    """The source of a function written from another's (a custom layer's ``call`` with its
    weights made parameters): ``text``, dedented, and where it stands in the user's file, whose
    lines, not ``text``'s, error messages show. The text keeps the columns of the original."""
    text: str
    filename: str
    first_line: int             # the file's line of the text's first line
    indent: int                 # the indentation removed from the file's lines
    scope: dict = None          # the globals its names come from (its own are a copy)

    def locator(self):
        lines = linecache.getlines(self.filename) or self.text.splitlines(keepends=True)
        offset = self.first_line - 1 if linecache.getlines(self.filename) else 0
        return SourceLocator(self.filename, lines, offset, self.indent)


def written_from(func, source):
    """Mark ``func`` as written from ``source`` (a WrittenSource): it is parsed from that text."""
    func.__adc_source__ = source
    return func


def _read_source(func):
    """(dedented source, locator) of a function defined in a file."""
    try:
        lines, start = inspect.getsourcelines(func)
    except (OSError, TypeError) as exc:
        raise DifferentiationError(
            f"cannot read the source of {func.__qualname__!r} ({exc}); define it in a file") from exc
    text = "".join(lines)
    indent = len(lines[0]) - len(lines[0].lstrip()) if lines else 0
    filename = inspect.getsourcefile(func) or "<unknown>"
    file_lines = linecache.getlines(filename) or lines
    locator = SourceLocator(filename, file_lines if linecache.getlines(filename) else lines,
                            start - 1 if linecache.getlines(filename) else 0, indent)
    return textwrap.dedent(text), locator


def parse_function(func):
    """Parse ``func``'s source; raise DifferentiationError if it cannot be read or is unsupported.
    A function marked by ``written_from`` is parsed from the text it carries; one wrapped by a
    decorator (``functools.wraps`` sets ``__wrapped__``) is refused: its source is the wrapped
    function's, without what the decorator does."""
    if inspect.isfunction(func) and hasattr(func, "__wrapped__"):
        raise DifferentiationError(
            f"{func.__qualname__!r} is wrapped by a decorator (it has __wrapped__, as "
            "functools.wraps sets): its source is the undecorated function's, so the "
            "decorator's work would be left out of the derivative; differentiate the "
            "undecorated function, or write what the decorator does in a function of its own")
    func = inspect.unwrap(func)
    if not inspect.isfunction(func):
        raise TypeError(f"adcompiler differentiates Python functions, not {type(func).__name__}")
    written = getattr(func, "__adc_source__", None)
    if written is not None:
        dedented, locator = written.text, written.locator()
    else:
        dedented, locator = _read_source(func)
    tree = ast.parse(dedented)
    node = tree.body[0]
    if not isinstance(node, ast.FunctionDef):
        raise locator.error(node, f"{func.__qualname__!r} is not a 'def' function "
                                  "(lambdas and async functions are not supported)")
    node.decorator_list = []
    args = node.args
    if args.kwarg is not None:
        raise locator.error(args.kwarg, "**kwargs parameters are not supported")
    params = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    closure = inspect.getclosurevars(func).nonlocals if func.__closure__ else {}
    return ParsedFunction(func, func.__name__, node, params, locator, dict(closure),
                          func.__globals__, dedented)
