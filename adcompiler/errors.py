"""The compile-time error: what is unsupported, and where, with a caret under the source."""


class DifferentiationError(Exception):
    """A construct adcompiler cannot differentiate, located in the user's source.

    ``str(err)`` reads like a Python traceback line: file, line, the source line and a caret
    under the offending expression, then the message.
    """

    def __init__(self, message, filename="<unknown>", lineno=None, col=None, end_col=None,
                 line_text=""):
        self.message = message
        self.filename = filename
        self.lineno = lineno
        self.col = col
        self.end_col = end_col
        self.line_text = line_text
        super().__init__(self._render())

    def _render(self):
        if self.lineno is None:
            return self.message
        text = self.line_text.rstrip("\n")
        stripped = text.lstrip()
        indent = len(text) - len(stripped)
        out = f'\n  File "{self.filename}", line {self.lineno}\n    {stripped}\n'
        if self.col is not None:
            start = max(self.col - indent, 0)
            end = self.end_col - indent if self.end_col and self.end_col > self.col else start + 1
            out += "    " + " " * start + "^" * max(end - start, 1) + "\n"
        return out + self.message


class SourceLocator:
    """Turns AST nodes of one parsed function into error locations in the original file."""

    def __init__(self, filename, lines, line_offset, col_offset=0):
        self.filename = filename
        self.lines = lines              # the original file's lines (or the function's own)
        self.line_offset = line_offset  # added to the parsed AST's line numbers
        self.col_offset = col_offset    # indentation removed before parsing

    def error(self, node, message):
        """A DifferentiationError pointing at ``node``."""
        lineno = getattr(node, "lineno", None)
        if lineno is None:
            return DifferentiationError(message)
        real = lineno + self.line_offset
        text = self.lines[real - 1] if 0 < real <= len(self.lines) else ""
        col = getattr(node, "col_offset", None)
        col = None if col is None else col + self.col_offset
        end_col = getattr(node, "end_col_offset", None)
        end_col = None if end_col is None else end_col + self.col_offset
        if getattr(node, "end_lineno", lineno) != lineno:
            end_col = len(text.rstrip())
        return DifferentiationError(message, self.filename, real, col, end_col, text)
