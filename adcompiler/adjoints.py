"""The adjoint variables of one adjoint function and their buffers.

The adjoint of ``x`` is ``x_bar``. The first share of an adjoint assigns it; later shares add to
it. A share written at an index goes into a buffer the function owns: an adjoint that may be
another's memory (``x_bar = y_bar``) is copied before its first write. An adjoint first given a
share inside a branch or loop that does not define its variable is made (zeros) before that
scope, so every path leaves it bound and typed.
"""
import ast
from dataclasses import dataclass

from .nodes import assign, call, expression, load


@dataclass
class Scope:
    """A branch or loop body being reversed: adjoints of variables defined outside it get
    prepared (zeroed, or given their value's type) before it, so every path leaves them typed."""
    defined: set
    prepare: list
    loop: bool = False


class Adjoints:
    def __init__(self, suffix, like):
        self.suffix = suffix
        self.like = like            # name -> a name bound to an array of its shape and dtype,
                                    # which its zeros are made like (one not recomputed)
        self.initialized = set()    # variables whose adjoint is bound
        self.owned = set()          # variables whose adjoint is a buffer of this function's
        self.scopes = []            # the Scopes being reversed, outermost first

    def bar(self, name):
        return name + self.suffix

    def zeros(self, name):
        return call("zeros_like", load(self.like.get(name, name)))

    def in_loop(self):
        return any(scope.loop for scope in self.scopes)

    def outer(self, name, in_place=False):
        """For an adjoint accumulated inside a branch or loop that does not define ``name``:
        make sure it exists before the outermost such scope (zeros), and is a buffer of our own
        if it is to be updated in place. True if ``name`` is outer to the innermost scope."""
        outside = [scope for scope in self.scopes if name not in scope.defined]
        if not outside:
            return False
        bar = self.bar(name)
        if name not in self.initialized:
            outside[0].prepare.append(assign(bar, self.zeros(name)))
            self.initialized.add(name)
            self.owned.add(name)
        elif in_place and name not in self.owned:
            outside[0].prepare.append(assign(bar, expression(f"np.copy({bar})")))
            self.owned.add(name)
        return name not in self.scopes[-1].defined

    def accumulate(self, name, expr, out):
        """Append to ``out`` the statement adding ``expr`` to ``name``'s adjoint."""
        bar = self.bar(name)
        if self.outer(name):
            out.append(assign(bar, call("add_like", load(bar), expr)))
        elif name in self.initialized:
            out.append(assign(bar, ast.BinOp(load(bar), ast.Add(), expr)))
            self.owned.add(name)
        else:
            out.append(assign(bar, expr))
            self.initialized.add(name)

    def accumulate_at(self, name, index, expr, out):
        """Append to ``out`` the statements adding ``expr`` to ``name``'s adjoint at ``index``."""
        bar = self.bar(name)
        if not self.outer(name, in_place=True):
            if name not in self.initialized:
                out.append(assign(bar, self.zeros(name)))
                self.initialized.add(name)
            elif name not in self.owned:
                out.append(assign(bar, expression(f"np.copy({bar})")))
            self.owned.add(name)
        target = ast.Subscript(load(bar), index, ast.Store())
        out.append(ast.AugAssign(target, ast.Add(), expr))

    def own(self, name, out):
        """Make ``name``'s adjoint a buffer this function may update in place."""
        if self.outer(name, in_place=True):
            return
        if name not in self.owned:
            out.append(assign(self.bar(name), expression(f"np.copy({self.bar(name)})")))
            self.owned.add(name)
