"""Random differentiable programs, written as Python source from the documented subset of
adcompiler: array and scalar arithmetic, element-wise functions on safe domains, reductions,
products, shape functions, index reads, loops (range with run-time and zero trip counts, rows,
enumerate, bounded while), branches, exits, int-literal accumulators, in-place writes through
aliases and views, helpers (tuples, early returns, keywords, defaults computed when None,
f(*t), all parameters in one dict), functions defined in the body reading its locals,
comprehensions (summed, or given to np.array and np.stack), nested dicts and tuples built and
read by constant keys, an array read from the module's globals, np.linalg (det, well-conditioned inv and solve, norm) and print.

`Generator` makes one program from a source of choices: `RandomChoices` (a seed, for the
long-run script) or `programs()` (a hypothesis strategy, which can shrink). Shapes are tracked
so every program is well typed; `Program.inputs(seed)` draws its arguments."""
import random

import numpy as np
from hypothesis import strategies as st

from program_check import Program

UNARY = ["np.sin({})", "np.cos({})", "np.tanh({})", "np.exp(np.tanh({}))",
         "np.log(1.0 + {} ** 2)", "np.log1p(np.abs({}))", "np.expm1(np.sin({}))",
         "np.sqrt(1.0 + {} ** 2)", "np.tan(0.7 * np.tanh({}))", "np.sinh(np.tanh({}))",
         "np.cosh(np.sin({}))", "np.arcsin(0.8 * np.tanh({}))", "np.arccos(0.8 * np.sin({}))",
         "np.arctan({})", "np.abs({})", "np.square({})", "(-{})", "np.clip({}, -0.5, 0.7)",
         "({} ** 2)", "({} ** 3)", "({} / 2.0)", "(0.5 * {})", "({} % 1.7)"]
SCALAR_UNARY = ["math.sin({})", "math.cos({})", "math.tanh({})", "math.exp(math.tanh({}))",
                "math.log(1.0 + {} ** 2)", "math.sqrt(2.0 + math.cos({}))", "math.atan({})",
                "abs({})", "float({})", "pow({}, 2)", "math.log1p(abs({}))"]
BINARY = ["({} + {})", "({} - {})", "({} * {})", "({} / (1.5 + np.sin({})))",
          "np.maximum({}, {})", "np.minimum({}, {})", "((1.5 + np.sin({})) ** np.tanh({}))"]
PACKED = ["p0", "p1", "p2"]     # the keys of a helper's parameters packed in one dict
STRAIGHT = {"new", "array", "call", "print"}     # statements of a helper without control flow
UNWRITTEN = {"new", "carry", "aug", "array", "if", "for", "while", "pattern", "call", "print",
             "acc", "closure", "comprehension", "structure", "exit", "return"}   # no writes
SCALAR_BINARY = ["max({}, {})", "min({}, {})", "({} and {})", "({} or {})", "max({}, {}, 0.2)",
                 "min(0.4, {}, {})"]


class RandomChoices:
    """Choices from ``random.Random(seed)``."""
    def __init__(self, seed):
        self.rng = random.Random(seed)

    def integer(self, lo, hi):
        return self.rng.randint(lo, hi)


class DrawChoices:
    """Choices drawn from hypothesis, so that failing programs shrink."""
    def __init__(self, draw):
        self.draw = draw

    def integer(self, lo, hi):
        return self.draw(st.integers(lo, hi))


class Scope:
    """Float variables by shape, int variables by exclusive upper bound, helpers."""
    def __init__(self, floats=None, ints=None):
        self.floats = dict(floats or {})
        self.ints = dict(ints or {})

    def copy(self):
        return Scope(self.floats, self.ints)

    def of_shape(self, shape):
        return [name for name, s in self.floats.items() if s == shape]


class Generator:
    def __init__(self, choices):
        self.c = choices
        self.L, self.R = self.pick([3, 4]), 2
        self.count = 0
        self.globals = {}          # expression reading a module-level array: its shape
        self.helpers = []          # (name, parameter shapes, result shape or list of shapes,
                                   # default, parameters packed in one dict)
        self.aliases = self.chance(25)     # views and aliases of arrays written in place
        self.kinds = None                  # the statement kinds allowed (None: all)

    # ---------------------------------------------------------------- choices
    def pick(self, seq):
        return seq[self.c.integer(0, len(seq) - 1)]

    def chance(self, percent):
        return self.c.integer(0, 99) < percent

    def weighted(self, options, allowed=None):
        """``options``: (weight, value) pairs with integer weights; zero weights skipped, and
        values not in ``allowed`` (when given)."""
        options = [(w, v) for w, v in options if w > 0 and (allowed is None or v in allowed)]
        k = self.c.integer(0, sum(w for w, _ in options) - 1)
        for w, v in options:
            if k < w:
                return v
            k -= w

    def fresh(self, prefix):
        self.count += 1
        return f"{prefix}{self.count}"

    def constant(self):
        value = self.pick([0.5, 1.3, 0.25, 2.0, 0.7, 1.1, 0.1])
        return f"(-{value})" if self.chance(30) else str(value)

    # ---------------------------------------------------------------- expressions
    def shapes(self):
        L, R = self.L, self.R
        return [(), (L,), (R,), (R, L), (L, R), (R, R)]

    def index(self, sc, n):
        """An int expression in [-n, n)."""
        options = [(2, str(self.c.integer(-n, n - 1)))]
        for name, bound in sc.ints.items():
            options.append((3, f"{name} % {n}"))
            if bound <= n:
                options += [(4, name), (2, f"{n - 1} - {name}"), (1, f"-1 - {name}")]
        return self.weighted(options)

    def leaf(self, sc, shape):
        """A variable of ``shape``, else one derived from variables, else a constant."""
        names = sc.of_shape(shape)
        if names and self.chance(75):
            name = self.pick(names)
            return name if shape == () or self.viewable(name) else f"({name} * 1.0)"
        if shape == ():
            arrays = [n for n, s in sc.floats.items() if len(s) == 1]
            if arrays and self.chance(60):
                a = self.pick(arrays)
                return f"{a}[{self.index(sc, sc.floats[a][0])}]"
            if sc.ints and self.chance(20):
                return f"({self.constant()} * {self.pick(list(sc.ints))})"
            return self.pick(names) if names and self.chance(50) else self.constant()
        derived = [(t, args) for t, args in self.productions(shape)
                   if all(sc.of_shape(a) for a in args)]
        if derived and self.chance(85):
            template, args = self.pick(derived)
            return template.format(*[self.leaf(sc, a) for a in args])
        dims = shape if len(shape) > 1 else shape[0]
        return f"({self.leaf(sc, ())} * np.ones({dims}))"

    def broadcast(self, sc, shape, depth):
        """An expression that broadcasts to ``shape``."""
        if self.chance(60) or shape == ():
            return self.expr(sc, shape, depth)
        if len(shape) == 2 and self.chance(50):
            m, n = shape
            return self.pick([
                f"np.sum({self.expr(sc, shape, depth)}, axis=1, keepdims=True)",
                f"np.max({self.expr(sc, shape, depth)}, axis=0, keepdims=True)",
                f"{self.expr(sc, (n,), depth)}.reshape(1, {n})",
                f"np.expand_dims({self.expr(sc, (m,), depth)}, 1)"])
        return self.expr(sc, shape[1:] if self.chance(50) else (), depth)

    def productions(self, shape):
        """Shape-changing (template, argument shapes) pairs that give ``shape``."""
        L, R = self.L, self.R
        V, U, M, T, S = (L,), (R,), (R, L), (L, R), (R, R)
        k = 1 + self.c.integer(0, L - 2)
        return {
            (): [("np.sum({})", [V]), ("np.sum({})", [M]), ("{}.sum()", [U]),
                 ("np.mean({})", [T]), ("np.max({})", [V]), ("np.min({})", [M]),
                 ("{}.max()", [S]), ("np.prod({})", [U]), ("np.dot({}, {})", [V, V]),
                 ("({} @ {})", [U, U]), ("np.linalg.norm({})", [V]), ("np.linalg.norm({})", [M]),
                 ("np.linalg.det({})", [S]), ("np.sum(np.atleast_3d({}))", [V])],
            V: [("np.sum({}, axis=0)", [M]), ("np.mean({}, axis=1)", [T]),
                ("{}.max(axis=0)", [M]), ("({} @ {})", [U, M]), ("np.dot({}, {})", [T, U]),
                ("np.tensordot({}, {}, axes=1)", [T, U]), ("np.squeeze(np.expand_dims({}, 0), axis=0)", [V]),
                (f"{{}}.ravel()[:{L}]", [M]), (f"{{}}.flatten()[{R}:{R + L}]", [M]),
                (f"np.concatenate(({{}}[:{k}], {{}}[{k}:]))", [V, V]),
                (f"np.concatenate(({{}}, {{}}[:{L - R}]))", [U, V]), ("np.atleast_1d({})", [V])],
            U: [("np.sum({}, axis=1)", [M]), ("np.mean({}, axis=0)", [T]),
                ("{}.min(axis=1)", [M]), ("({} @ {})", [M, V]), ("np.dot({}, {})", [S, U]),
                ("({} @ {})", [U, S]), ("{}[1:3]", [V]), ("{}[::2]", [V]),
                ("{}[-2:]", [V]), ("np.squeeze({}[:, :1], axis=1)", [M]), (f"{{}}.ravel()[::{L}]", [M]),
                ("np.concatenate(({}[:1], {}[-1:]))", [U, V]),
                (f"np.linalg.solve(np.eye({R}) + 0.2 * np.tanh({{}}), {{}})", [S, U])],
            M: [("{}.T", [T]), ("np.transpose({})", [T]), ("np.outer({}, {})", [U, V]),
                ("np.stack(({}, {}))", [V, V]), ("({} @ {})", [S, M]),
                (f"np.concatenate((np.expand_dims({{}}, 0), {{}}.reshape(1, {L})), axis=0)", [V, V]),
                (f"{{}}.reshape({R}, {L})", [T]), (f"{{}}.reshape({R}, -1)", [T]),
                ("np.tensordot({}, {}, axes=1)", [S, M]), ("np.atleast_2d({})", [M])],
            T: [("{}.T", [M]), ("np.stack(({}, {}), axis=1)", [V, V]),
                ("np.outer({}, {})", [V, U]), (f"{{}}.reshape({L}, {R})", [M])],
            S: [("({} @ {})", [M, T]), ("np.dot({}, {})", [M, T]), ("np.outer({}, {})", [U, U]),
                (f"{{}}[:, :{R}]", [M]), (f"{{}}[:{R}]", [T]), ("np.stack(({}, {}))", [U, U]),
                (f"np.linalg.inv(np.eye({R}) + 0.2 * np.tanh({{}}))", [S])],
        }[shape]

    def index_read(self, sc, shape, depth):
        L, R = self.L, self.R
        if shape == ():
            src = self.pick(self.shapes()[1:])
            a = self.expr(sc, src, depth)
            if len(src) == 1:
                return f"{a}[{self.index(sc, src[0])}]"
            i, j = self.index(sc, src[0]), self.index(sc, src[1])
            return f"{a}[{i}, {j}]" if self.chance(70) else f"{a}[{i}][{j}]"
        row_of = {(L,): [(R, L)], (R,): [(L, R), (R, R)]}[shape]
        col_of = {(L,): [(L, R)], (R,): [(R, L), (R, R)]}[shape]
        if self.chance(50):
            src = self.pick(row_of)
            return f"{self.expr(sc, src, depth)}[{self.index(sc, src[0])}]"
        src = self.pick(col_of)
        return f"{self.expr(sc, src, depth)}[:, {self.index(sc, src[1])}]"

    def test(self, sc, depth=1):
        a = self.expr(sc, (), depth)
        kind = self.c.integer(0, 5)
        if kind == 0 and sc.ints:
            name = self.pick(list(sc.ints))
            return self.pick([f"{name} % 2 == 0", f"{name} > 1", f"{name} == 1"])
        if kind == 1:
            return f"{a} > {self.expr(sc, (), depth)}"
        if kind == 2:
            return f"{a} > 0.1 and {self.expr(sc, (), depth)} < 0.5"
        if kind == 3:
            return f"not ({a} > 0.3) or {self.expr(sc, (), depth)} > 0.2"
        return f"{a} {self.pick(['<', '>', '<=', '>='])} {self.constant()}"

    def expr(self, sc, shape, depth):
        if depth <= 0 or self.chance(30):
            return self.leaf(sc, shape)
        d = depth - 1
        calls = [h for h in self.helpers if h[2] == shape]
        kind = self.weighted([(4, "unary"), (5, "binary"), (1, "cond"), (3, "prod"),
                              (2 if len(shape) < 2 else 0, "index"), (2 if calls else 0, "call"),
                              (2 if shape == () else 0, "scalar")])
        if kind == "unary":
            return self.pick(UNARY).format(self.expr(sc, shape, d))
        if kind == "binary":
            template = self.pick(BINARY)
            a, b = self.expr(sc, shape, d), self.broadcast(sc, shape, d)
            return template.format(*((a, b) if self.chance(70) else (b, a)))
        if kind == "cond" and shape != () and self.chance(50):
            return (f"np.where({self.expr(sc, shape, d)} > {self.broadcast(sc, shape, d)}, "
                    f"{self.expr(sc, shape, d)}, {self.broadcast(sc, shape, d)})")
        if kind == "cond":
            return f"({self.expr(sc, shape, d)} if {self.test(sc, 0)} else {self.expr(sc, shape, d)})"
        if kind == "prod":
            template, args = self.pick(self.productions(shape))
            return template.format(*[self.expr(sc, s, d) for s in args])
        if kind == "index":
            return self.index_read(sc, shape, d)
        if kind == "call":
            name, params, _, _, packed = self.pick(calls)
            args = [self.expr(sc, s, d) for s in params]
            if packed:
                return f"{name}({{{', '.join(f'{k!r}: {a}' for k, a in zip(PACKED, args))}}})"
            return f"{name}({', '.join(args)})"
        if self.chance(60):
            return self.pick(SCALAR_UNARY).format(self.expr(sc, (), d))
        return self.pick(SCALAR_BINARY).format(self.expr(sc, (), d), self.expr(sc, (), d))

    def comprehension(self, sc, shape, depth):
        """A comprehension summed (a scalar), or stacked into ``shape``."""
        inner, var = sc.copy(), self.fresh("c")
        if shape == ():
            matrices = [n for n, s in sc.floats.items() if len(s) == 2 and self.viewable(n)]
            if matrices and self.chance(40):
                source = self.pick(matrices)
                inner.floats[var] = sc.floats[source][1:]
                return f"np.sum([{self.expr(inner, (), depth)} for {var} in {source}])"
            stop = self.c.integer(0, 3)
            inner.ints[var] = stop
            item = self.expr(inner, (), depth)
            keep = f" if {self.test(inner, 0)}" if self.chance(25) else ""
            return self.pick([f"sum({item} for {var} in range({stop}){keep})",
                              f"np.sum([{item} for {var} in range({stop}){keep}])"])
        inner.ints[var] = shape[0]
        item = self.expr(inner, shape[1:], depth)
        stack = "np.array" if len(shape) == 1 or self.chance(50) else "np.stack"
        return f"{stack}([{item} for {var} in range({shape[0]})])"

    # ---------------------------------------------------------------- statements
    def block(self, sc, depth, loop, size, out):
        """``size`` statements (lines, nested blocks indented) in scope ``sc``."""
        lines = []
        for _ in range(size):
            lines += self.statement(sc, depth, loop, out)
        return lines

    def statement(self, sc, depth, loop, out):
        arrays = [n for n, s in sc.floats.items() if s != () and self.writable(n)]
        carried = [n for n in sc.floats if n.isidentifier()]
        kind = self.weighted([
            (3, "new"), (4 if carried else 0, "carry"), (1 if carried else 0, "aug"),
            (2, "array"), (4 if arrays else 0, "write"), (2 if arrays and self.aliases else 0, "alias"),
            (3 if depth < 2 else 0, "if"), (3 if depth < 2 else 0, "for"),
            (1 if depth < 2 else 0, "while"), (2 if depth == 0 else 0, "pattern"),
            (2 if self.helpers else 0, "call"), (1, "print"), (1, "acc"),
            (1 if depth == 0 else 0, "closure"), (2, "comprehension"),
            (2 if depth == 0 else 0, "structure"),
            (2 if loop else 0, "exit"), (1, "return")], self.kinds)
        return getattr(self, "stmt_" + kind)(sc, depth, loop, out)

    def stmt_new(self, sc, depth, loop, out):
        shape = self.pick(self.shapes())
        name = self.fresh("v")
        line = f"{name} = {self.expr(sc, shape, 2)}"
        sc.floats[name] = shape
        return [line]

    def stmt_carry(self, sc, depth, loop, out):
        name = self.pick([n for n in sc.floats if n.isidentifier()])
        shape = sc.floats[name]
        if self.chance(50):
            rhs = self.pick(BINARY).format(name, self.broadcast(sc, shape, 2))
            return [f"{name} = {self.pick(UNARY).format(rhs) if self.chance(40) else rhs}"]
        return [f"{name} = {self.expr(sc, shape, 2)}"]

    def stmt_aug(self, sc, depth, loop, out):
        name = self.pick([n for n in sc.floats if n.isidentifier()])
        op = self.pick(["+", "-", "*"])
        if sc.floats[name] != () and not self.writable(name):
            return [f"{name} = {name} {op} {self.broadcast(sc, sc.floats[name], 2)}"]
        return [f"{name} {op}= {self.broadcast(sc, sc.floats[name], 2)}"]

    def stmt_array(self, sc, depth, loop, out):
        shape = self.pick(self.shapes()[1:])
        dims = shape[0] if len(shape) == 1 else shape
        same = sc.of_shape(shape)
        options = [f"np.zeros({dims})", f"np.ones({dims})", f"np.arange({np.prod(shape)}) * 0.1"
                   if len(shape) == 1 else f"np.arange({np.prod(shape)}).reshape{shape} * 0.1"]
        if same:
            src = self.pick(same)
            options += [f"np.zeros_like({src})", f"{src}.copy()", f"np.copy({src})"]
        init = self.pick(options)
        name = self.fresh("a")
        lines = [f"{name} = {init}"]
        if self.kinds is None and self.chance(15):
            lines = [f"{name} = np.empty({dims})", f"{name}[:] = {self.broadcast(sc, shape, 2)}"]
        sc.floats[name] = shape
        return lines

    def writable(self, name):
        """In-place writes go to arrays made in the function, unless aliases are on (never to
        an expression such as a global array's copy)."""
        return (self.aliases or name.startswith("a")) and name.isidentifier()

    def viewable(self, name):
        """Views (rows in a loop) are taken of arrays never written, unless aliases are on."""
        return self.aliases or not name.startswith("a")

    def stmt_write(self, sc, depth, loop, out):
        name = self.pick([n for n, s in sc.floats.items() if s != () and self.writable(n)])
        return [self.write(sc, name, sc.floats[name])]

    def write(self, sc, name, shape):
        op = self.pick(["=", "=", "+=", "-=", "*="])
        if len(shape) == 1:
            n = shape[0]
            if self.chance(65):
                return f"{name}[{self.index(sc, n)}] {op} {self.expr(sc, (), 3)}"
            sl, m = self.pick([("1:", n - 1), (":-1", n - 1), (":2", 2), ("::2", (n + 1) // 2),
                               (":", n)])
            rhs = self.expr(sc, (m,), 2) if (m,) in self.shapes() else self.expr(sc, (), 2)
            if self.chance(40):
                return f"{name}[{sl}] = {name}[{sl}] * {rhs}"
            return f"{name}[{sl}] {op} {rhs}"
        m, n = shape
        i, j = self.index(sc, m), self.index(sc, n)
        return self.pick([f"{name}[{i}, {j}] {op} {self.expr(sc, (), 3)}",
                          f"{name}[{i}] {op} {self.broadcast(sc, (n,), 2)}",
                          f"{name}[:, {j}] {op} {self.broadcast(sc, (m,), 2)}",
                          f"{name}[1:] {op} {self.broadcast(sc, (n,), 2)}"])

    def stmt_alias(self, sc, depth, loop, out):
        name = self.pick([n for n, s in sc.floats.items() if s != ()])
        shape = sc.floats[name]
        alias = self.fresh("b")
        if len(shape) == 1:
            view, vshape = self.pick([(name, shape), (f"{name}[:]", shape), (f"{name}[-2:]", (2,)),
                                      (f"{name}[::2]", (2,)) if shape[0] > 2 else (name, shape)])
        else:
            m, n = shape
            view, vshape = self.pick([(name, shape), (f"{name}.T", (n, m)),
                                      (f"{name}[{self.index(sc, m)}]", (n,)),
                                      (f"{name}[:, {self.index(sc, n)}]", (m,))])
        sc.floats[alias] = vshape
        return [f"{alias} = {view}", self.write(sc, alias, vshape)]

    def stmt_if(self, sc, depth, loop, out):
        lines = [f"if {self.test(sc)}:"]
        lines += indent(self.block(sc.copy(), depth + 1, loop, self.c.integer(1, 3), out))
        for _ in range(self.c.integer(0, 1)):
            lines.append(f"elif {self.test(sc)}:")
            lines += indent(self.block(sc.copy(), depth + 1, loop, self.c.integer(1, 2), out))
        if self.chance(60):
            lines.append("else:")
            lines += indent(self.block(sc.copy(), depth + 1, loop, self.c.integer(1, 2), out))
        return lines

    def loop_header(self, sc):
        """(header, inner scope, (name, shape or int bound) of the loop variable if it is
        bound after the loop)."""
        inner = sc.copy()
        matrices = [n for n, s in sc.floats.items() if len(s) == 2 and self.viewable(n)]
        vectors = [n for n, s in sc.floats.items() if len(s) == 1 and self.viewable(n)]
        kind = self.weighted([(5, "range"), (2 if matrices else 0, "rows"),
                              (2 if vectors else 0, "values"),
                              (2 if matrices or vectors else 0, "enumerate")])
        var = self.fresh("i" if kind == "range" else "r")
        if kind == "range":
            c = self.c.integer(0, 4)
            options = [(f"range({c})", c, c > 0), (f"range({self.c.integer(1, 2)}, {c + 1})", c + 1, False),
                       (f"range(int(1.5 + 1.5 * np.tanh({self.expr(sc, (), 2)})))", 3, False),
                       (f"range(0, {self.L}, 2)", self.L, True)]
            if vectors:
                options.append((f"range(len({self.pick(vectors)}))", self.L, True))
            if "n" in sc.ints:
                options += [("range(n)", 4, False), ("range(1, n + 1)", 5, False),
                            ("range(n, 0, -1)", 4, False), ("range(n - 1)", 3, False)]
            header, bound, nonzero = self.pick(options)
            inner.ints[var] = bound
            return f"for {var} in {header}:", inner, (var, bound) if nonzero else None
        source = self.pick(matrices if kind == "rows" else vectors if kind == "values"
                           else matrices + vectors)
        shape = sc.floats[source][1:]
        inner.floats[var] = shape
        if kind != "enumerate":
            return f"for {var} in {source}:", inner, (var, shape)
        k = self.fresh("k")
        inner.ints[k] = sc.floats[source][0]
        return f"for {k}, {var} in enumerate({source}):", inner, (var, shape)

    def stmt_for(self, sc, depth, loop, out):
        header, inner, after = self.loop_header(sc)
        body = []
        var = header.split()[1].rstrip(",") if "enumerate" not in header else header.split()[2]
        if inner.floats.get(var, ()) != () and self.aliases and self.chance(50):
            body.append(self.write(inner, var, inner.floats[var]))
        body += self.block(inner, depth + 1, True, self.c.integer(1, 3), out)
        carried = any(n.isidentifier() for n in sc.floats)
        body += self.stmt_carry(inner, depth + 1, True, out) if self.chance(70) and carried else []
        if after and self.chance(40):
            name, kind = after
            if isinstance(kind, tuple):
                sc.floats[name] = kind
            else:
                sc.ints[name] = kind
        return [header] + indent(body)

    def stmt_while(self, sc, depth, loop, out):
        k = self.fresh("k")
        bound = self.c.integer(1, 4)
        inner = sc.copy()
        inner.ints[k] = bound + 1
        body = [f"{k} = {k} + 1"] + self.block(inner, depth + 1, True, self.c.integer(1, 2), out)
        carried = any(n.isidentifier() for n in sc.floats)
        body += self.stmt_carry(inner, depth + 1, True, out) if carried else []
        return [f"{k} = 0", f"while ({self.test(sc)}) and {k} < {bound}:"] + indent(body)

    def stmt_pattern(self, sc, depth, loop, out):
        """An RNN-like recurrence or a vector sum started from an int literal."""
        L = self.L
        h, s, t = self.fresh("h"), self.fresh("s"), self.fresh("t")
        w, xs = self.expr(sc, (), 1), self.expr(sc, (L,), 1)
        stop = "n" if "n" in sc.ints and self.chance(50) else str(L)
        if self.chance(50):
            lines = [f"{h} = {self.pick(['0', '0.0', '1'])}", f"{s} = {self.pick(['0', '1'])}",
                     f"xs{t} = {xs}", f"for {t} in range({stop}):",
                     f"    {h} = np.tanh({w} * {h} + xs{t}[{t}])",
                     f"    {s} = {s} {self.pick(['+', '*'])} {h}"]
            sc.floats[h], sc.floats[s] = (), ()
            return lines
        m = self.expr(sc, (self.R, L), 1)
        sc.floats[s] = (L,)
        return [f"{s} = 0", f"m{t} = {m}", f"for {t} in m{t}:", f"    {s} = {s} + {t} * {w}",
                f"{s} = {s} + np.zeros({L})"]

    def stmt_call(self, sc, depth, loop, out):
        name, params, result, default, packed = self.pick(self.helpers)
        args = [self.expr(sc, shape, 1) for shape in params]
        if packed:
            args = ["{" + ", ".join(f"{k!r}: {a}" for k, a in zip(PACKED, args)) + "}"]
        if default and self.chance(40):
            args[-1] = "c=" + args[-1]
        elif default and self.chance(50):
            args.pop()
        call, lines = f"{name}({', '.join(args)})", []
        if depth == 0 and len(args) > 1 and "=" not in args[-1] and self.chance(40):  # f(*t)
            values = self.fresh("t")
            lines.append(f"{values} = ({', '.join(args)})")
            call = f"{name}(*{values})"
        if not isinstance(result, list):
            var = self.fresh("v")
            sc.floats[var] = result
            return lines + [f"{var} = {call}"]
        if self.chance(50):
            names = [self.fresh("v") for _ in result]
            sc.floats.update(zip(names, result))
            return lines + [f"{', '.join(names)} = {call}"]
        var = self.fresh("t")
        sc.floats.update({f"{var}[{k}]": shape for k, shape in enumerate(result)})
        return lines + [f"{var} = {call}"]

    def stmt_comprehension(self, sc, depth, loop, out):
        shape = self.pick([(), (), (self.L,), (self.R, self.L)])
        name = self.fresh("v")
        line = f"{name} = {self.comprehension(sc, shape, 2)}"
        sc.floats[name] = shape
        return [line]

    def stmt_closure(self, sc, depth, loop, out):
        """A function defined in the body, reading its locals when it is called."""
        name, param, var = self.fresh("g"), self.fresh("q"), self.fresh("v")
        shape = self.pick([(), (self.L,)])
        inner = sc.copy()
        inner.floats[param] = shape
        lines = [f"def {name}({param}):", f"    return {self.expr(inner, shape, 2)}"]
        lines += self.block(sc, depth, loop, self.c.integer(0, 1), out)    # locals may change
        lines.append(f"{var} = {name}({self.expr(sc, shape, 1)})")
        sc.floats[var] = shape
        return lines

    def stmt_structure(self, sc, depth, loop, out):
        """A dict of tuples and values (nested), read back by constant keys later."""
        name = self.fresh("s")
        text, leaves = self.structure(sc, name, 2)
        sc.floats.update(leaves)
        return [f"{name} = {text}"]

    def structure(self, sc, path, depth):
        """(source, {expression reading a leaf: its shape}) of a dict or tuple of values."""
        keys = [self.pick(["a", "b", "w", "k"]) + str(k) for k in range(self.c.integer(1, 3))]
        parts, leaves = [], {}
        for k, key in enumerate(keys):
            inner = f"{path}[{key!r}]" if depth % 2 == 0 else f"{path}[{k}]"
            if depth > 1 and self.chance(40):
                text, more = self.structure(sc, inner, depth - 1)
            else:
                shape = self.pick([(), (self.L,)])
                text, more = self.expr(sc, shape, 1), {inner: shape}
            parts.append(f"{key!r}: {text}" if depth % 2 == 0 else text)
            leaves.update(more)
        if depth % 2 == 0:
            return "{" + ", ".join(parts) + "}", leaves
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")", leaves

    def stmt_print(self, sc, depth, loop, out):
        return [f"print('value', {self.pick(list(sc.floats) or ['0'])})"]

    def stmt_acc(self, sc, depth, loop, out):
        name = self.fresh("acc")
        sc.floats[name] = ()
        return [f"{name} = {self.pick(['0', '1', '2'])}"]

    def stmt_exit(self, sc, depth, loop, out):
        return [f"if {self.test(sc)}:", "    " + self.pick(["break", "continue"])]

    def stmt_return(self, sc, depth, loop, out):
        return [f"if {self.test(sc)}:", "    " + self.ret(sc, out)]

    def ret(self, sc, out):
        if isinstance(out, list):
            return "return " + ", ".join(self.expr(sc, shape, 2) for shape in out)
        terms = []
        for name in self.pick([[], list(sc.floats)[-3:], list(sc.floats)[:3]]):
            shape = sc.floats[name]
            terms.append(name if shape in ((), out) else f"np.sum({name})")
        return "return " + " + ".join(terms + [self.expr(sc, out, 2)])

    # ---------------------------------------------------------------- functions
    def helper(self):
        name = self.fresh("h")
        params = [self.pick([(), (), (self.L,), (self.R,), (self.R, self.L)])
                  for _ in range(self.c.integer(1, 3))]
        names = [f"p{k}" for k in range(len(params))]
        default = self.pick(["0.5", "None"]) if params[-1] == () and self.chance(50) else None
        body = []
        if default is not None:
            names[-1] = f"c={default}"
        if default == "None":          # a default computed from the other parameters
            others = Scope({n: s for n, s in zip(names[:-1], params)})
            value = self.expr(others, (), 1)
            body = self.pick([["if c is None:", f"    c = {value}"],
                              [f"c = {value} if c is None else c"],
                              ["if c is not None:", "    c = c * 2.0", "else:", f"    c = {value}"]])
        packed = default is None and self.chance(30)      # its parameters in one dict
        sc = Scope({**{(f"p[{k!r}]" if packed else n.split("=")[0]): s
                       for k, n, s in zip(PACKED, names, params)}, **self.globals})
        result = (self.pick([(), (), (self.L,)]) if self.chance(60)
                  else [self.pick([(), (self.L,)]) for _ in range(2)])
        if self.chance(60):             # operations only: a call whose pullback is split
            self.kinds = STRAIGHT
        body += self.block(sc, 1, False, self.c.integer(1, 3), result) + [self.ret(sc, result)]
        self.kinds = None
        self.helpers.append((name, params, result, default is not None, packed))
        return [f"def {name}({'p' if packed else ', '.join(names)}):"] + indent(body)

    def program(self):
        lines = ["import math", "import numpy as np", ""]
        float32 = self.chance(12)
        if not float32 and self.chance(30):     # an array the functions read from globals
            shape = self.pick([(self.L,), (self.R, self.L)])
            lines += [f"G0 = np.linspace(-0.6, 0.9, {int(np.prod(shape))}).reshape({shape})", ""]
            self.globals["(G0 * 1.0)"] = shape
        for _ in range(self.pick([0, 0, 0, 1, 1, 2])):
            lines += self.helper() + [""]
        pool = [("x", (self.L,)), ("y", ()), ("W", (self.R, self.L)), ("u", (self.R,)),
                ("z", ())]
        params = [p for p in pool if self.chance(45)] or [pool[self.c.integer(0, 4)]]
        if self.chance(50):
            params.insert(self.c.integer(0, len(params)), ("n", None))
        sc = Scope({**{n: s for n, s in params if s is not None}, **self.globals},
                   {"n": 4} if ("n", None) in params else {})
        out = (self.L,) if self.chance(15) else ()
        body = []
        if self.helpers and self.chance(60):    # no write in place: its calls may be split
            self.kinds = UNWRITTEN
            body = self.stmt_call(sc, 0, False, out)
        body += self.block(sc, 0, False, self.c.integer(2, 6), out) + [self.ret(sc, out)]
        self.kinds = None
        lines += [f"def f({', '.join(n for n, _ in params)}):"] + indent(body)
        return Program("\n".join(lines) + "\n", params, float32=float32)


def indent(lines):
    return ["    " + line for line in lines]


@st.composite
def programs(draw):
    """A hypothesis strategy of ``Program``s."""
    return Generator(DrawChoices(draw)).program()


def random_program(seed):
    return Generator(RandomChoices(seed)).program()
