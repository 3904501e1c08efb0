"""Stage 5: generated functions as the text of a Python module.

``ast.unparse`` writes the code (deterministic, standard library); comments, which an AST cannot
hold, travel as marker statements and are turned into ``# ...`` lines afterwards.
"""
import ast
import copy
import re

from . import rules, support
from .primitives import PRIMITIVES
from .nodes import Comment

_MARK = "__adc_comment_{}__"
_MARK_LINE = re.compile(r"^(\s*)__adc_comment_(\d+)__$", re.M)


class _Rendered(ast.NodeTransformer):
    """A function made ready for ``ast.unparse``: comments become marker statements (their
    texts collected in ``texts``), and a negative number as the base of ``**`` becomes a
    negation (unparse writes ``(-0.25) ** 2`` as ``-0.25 ** 2``, which is ``-(0.25 ** 2)``)."""

    def __init__(self):
        self.texts = []

    def visit_Comment(self, node):
        self.texts.append(node.value.value)
        return ast.Expr(ast.Name(_MARK.format(len(self.texts) - 1), ast.Load()))

    def visit_BinOp(self, node):
        self.generic_visit(node)
        left = node.left
        if isinstance(node.op, ast.Pow) and isinstance(left, ast.Constant) \
                and type(left.value) in (int, float) and left.value < 0:
            node.left = ast.UnaryOp(ast.USub(), ast.Constant(-left.value))
        return node


def _fill_empty_blocks(node):
    """A block left with nothing but comments gets ``pass`` (an ``else`` is dropped)."""
    for child in ast.walk(node):
        for field in ("body", "orelse"):
            block = getattr(child, field, None)
            if not isinstance(block, list) or not block:
                continue
            if all(isinstance(s, Comment) for s in block):
                if field == "orelse":
                    setattr(child, field, [])
                else:
                    block.append(ast.Pass())


def function_source(function):
    """Source of one FunctionDef, comments included."""
    _fill_empty_blocks(function)
    rendered = _Rendered()
    code = ast.unparse(rendered.visit(ast.fix_missing_locations(ast.Module([function], []))))
    return _MARK_LINE.sub(lambda m: f"{m.group(1)}# {rendered.texts[int(m.group(2))]}", code)


def module_source(functions, header):
    """A complete module: header docstring, imports of what the code uses, the functions."""
    used = {n.id for f in functions for n in ast.walk(f) if isinstance(n, ast.Name)}
    copies = [copy.deepcopy(PRIMITIVES[name][0]) for name in sorted(used) if name in PRIMITIVES]
    bodies = [function_source(f) for f in copies + list(functions)]
    helpers = sorted(used & set(support.__all__))
    uses_math = any(isinstance(n, ast.Name) and n.id == "math"
                    for f in copies + list(functions) for n in ast.walk(f))
    lines = [f'"""{header}"""'] + (["import math", ""] if uses_math else [])
    lines += ["import numpy as np", ""]
    if helpers:
        lines.append("from adcompiler.support import " + ", ".join(helpers))
    imported = {}
    defined = {f.name for f in functions}
    for name in sorted(used & set(rules.IMPORTS) - defined):
        imported.setdefault(rules.IMPORTS[name], []).append(name)
    lines += [f"from {module} import " + ", ".join(names)
              for module, names in sorted(imported.items())]
    text = "\n".join(lines) + "\n\n\n" + "\n\n\n".join(bodies) + "\n"
    return text
