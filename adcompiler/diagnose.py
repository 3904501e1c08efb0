"""Errors raised while generated code compiles or runs, told at the user's line.

A numba typing error, or a NumPy or runtime-kernel error raised inside a generated module, is
reported as an error of the same kind located at the line of the user's function that the
failing generated line comes from (the nearest ``# <user line>`` comment above it), with the
generated line itself and, for numba's errors, the hint that ``jit=False`` runs the same code as
plain Python. Internal frames are dropped.
"""
import ast
import re
from pathlib import Path

from .errors import DifferentiationError

_LOCATION = re.compile(r'File "([^"]+)", line (\d+)')
_BUILTIN_ERRORS = (ValueError, TypeError, ArithmeticError, IndexError, KeyError,
                   AttributeError, NameError)


def located(exc, module_path, programs):
    """An exception telling ``exc`` at the user's line, or None if ``exc`` did not come from
    the generated module at ``module_path``. ``programs``: the normalized user functions."""
    path = Path(module_path)
    lineno = _generated_line(exc, path)
    if lineno is None:
        return None
    lines = path.read_text(encoding="utf-8").splitlines()
    generated = lines[lineno - 1].strip() if 0 < lineno <= len(lines) else ""
    from_numba = type(exc).__module__.startswith("numba")
    message = f"{_summary(exc)}\n(in generated code, {path.name} line {lineno}: {generated})"
    if from_numba:
        message += "\nnumba could not compile the derivative; jit=False runs the same code " \
                   "as plain Python, which shows the values involved"
    error = _user_error(lines, lineno, programs, message)
    if from_numba or not isinstance(exc, _BUILTIN_ERRORS):
        return error
    try:
        return type(exc)(str(error))
    except TypeError:
        return error


def _generated_line(exc, path):
    """The line of the generated module where ``exc`` arose: the innermost traceback frame in
    it (pure Python), or the last mention of the file in the message (numba)."""
    line, tb = None, exc.__traceback__
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename) == path:
            line = tb.tb_lineno
        tb = tb.tb_next
    if line is not None:
        return line
    mentions = [int(n) for f, n in _LOCATION.findall(str(exc)) if Path(f).name == path.name]
    return mentions[-1] if mentions else None


def _summary(exc):
    """The informative lines of an error message: the error one of adcompiler's overloads
    raised, or the first lines (numba's without its preamble)."""
    lines = [line.strip() for line in str(exc).splitlines()]
    for k, line in enumerate(lines[:-2]):
        if line.endswith("raised a specific error:") and "adcompiler" in lines[k + 2]:
            return lines[k + 1]             # one of adcompiler's own typing checks
    kept = []
    for line in lines:
        if line.startswith(("During:", "File ", "There are ")):
            break
        if line and not line.startswith("Failed in "):
            kept.append(re.sub(r", defined at .*$", "", line))
        if len(kept) == 2:
            break
    return f"{type(exc).__name__}: " + " ".join(kept) if kept else type(exc).__name__


def _user_error(lines, lineno, programs, message):
    """A DifferentiationError at the user's statement whose comment heads ``lineno``'s block."""
    origins = {}
    for program in programs:
        for statement in _statements(program.parsed.node):
            text = program.comments.get(id(statement))
            if text is not None:
                origins.setdefault(text, (program, statement))
    for k in range(lineno - 1, -1, -1):
        stripped = lines[k].strip()
        if stripped.startswith("def "):
            break
        if stripped.startswith("# "):
            text = stripped[2:].removesuffix("  (reversed)")
            if text in origins:
                program, statement = origins[text]
                return program.parsed.error(statement, message)
    return DifferentiationError(message)


def _statements(node):
    return [n for n in ast.walk(node) if isinstance(n, ast.stmt)]
