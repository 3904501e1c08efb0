"""Check adcompiler's derivatives of one generated program at random float64 inputs, with an
independent finite-difference oracle.

Finite differences use Richardson extrapolation of central differences along a random
direction; an input is *skipped* (not judged) where the function is not smooth within the
stencil: where second-order one-sided differences from the left and the right disagree (a
kink, a branch or trip count switching) or the two central steps disagree (a jump), and a
disagreement with them is not judged where the program's values grow far beyond its inputs'
(``finite_differences.largest_intermediate``), or where all checks pass with a finer step
(the step was too coarse for the program). Outcomes:
pass, skip, discard (the program itself fails in plain Python, or overflows), refusal (a
``DifferentiationError``), crash (any other exception), fail (a wrong value). For one program
in four, ``of=`` a local is checked too, against the function made to return that local, and
``wrt=`` a local, against the function with that local nudged where it is last bound."""
import ast
import contextlib
from dataclasses import dataclass
import importlib.util
import io
import itertools
import os
import re
import sys
import tempfile
import traceback
import warnings

import numpy as np

import adcompiler as adc
from finite_differences import ILL_CONDITIONED, STEP, derivative, largest_intermediate
from local_programs import Nudge, local_names, nudged, returning

_DIR = tempfile.mkdtemp(prefix="adc_random_programs_")
_COUNT = itertools.count()


@dataclass
class Outcome:
    kind: str            # pass | skip | discard | refusal | crash | fail
    check: str = ""
    detail: str = ""


@dataclass
class Program:
    """A generated module: ``source`` defines ``f``; ``params`` are (name, shape) with shape
    None for an int; ``float32`` makes array and scalar arguments float32."""
    source: str
    params: list
    float32: bool = False

    def inputs(self, seed, float32=False):
        rng = np.random.default_rng(seed)
        args = []
        for _, shape in self.params:
            if shape is None:
                args.append(int(rng.integers(0, 4)))
            elif shape == ():
                value = float(rng.uniform(-1.5, 1.5))
                args.append(np.float32(value) if float32 else value)
            else:
                args.append(rng.uniform(-1.5, 1.5, shape).astype(
                    np.float32 if float32 else np.float64))
        return args

    @property
    def float_positions(self):
        return tuple(k for k, (_, shape) in enumerate(self.params) if shape is not None)


class Stop(Exception):
    """Ends a check with an outcome other than pass; ``by_differences`` marks a disagreement
    with finite differences (rather than between two of adcompiler's answers)."""
    def __init__(self, kind, check, detail, by_differences=False):
        super().__init__(detail)
        self.outcome = Outcome(kind, check, detail)
        self.by_differences = by_differences


def load(source):
    """Import ``source`` from a file of its own (the compiler reads it back with inspect)."""
    name = f"adc_random_{os.getpid()}_{next(_COUNT)}"
    path = os.path.join(_DIR, name + ".py")
    with open(path, "w") as fh:
        fh.write(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module.f


def copies(args):
    return [np.copy(a) if isinstance(a, np.ndarray) else a for a in args]


def shifted(args, directions, t):
    return [a if d is None else type(a)(a + t * d) if np.ndim(a) == 0 else (a + t * d).astype(a.dtype)
            for a, d in zip(args, directions)]


def as_vector(value):
    return np.asarray(value, dtype=np.float64).ravel()


def run_plain(f, args):
    """f on copies of ``args`` in plain Python; raises on any floating-point trouble."""
    with contextlib.redirect_stdout(io.StringIO()), np.errstate(all="raise"), \
            warnings.catch_warnings():
        warnings.simplefilter("error")
        value = f(*copies(args))
    out = as_vector(value)
    if not np.all(np.isfinite(out)) or np.max(np.abs(out), initial=0) > 1e4:
        raise FloatingPointError(f"value {value!r} out of range")
    return value


NUMBA_FAILED = "numba could not compile the derivative"
_NOT_UNIFIED = re.compile(r"Cannot unify .* for '([^']+)'")


def own_names(source):
    """The names a program binds itself: its parameters and assignment targets."""
    tree = ast.parse(source)
    return frozenset(n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
                     and isinstance(n.ctx, ast.Store)) | frozenset(
        a.arg for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) for a in n.args.args)


def changes_type_in_a_loop(message, names):
    """Whether numba's failure is the documented limit of compiled code: one of the program's
    own variables (``names``; numba says ``s_1.3`` for version 1 of ``s``) changes type in a
    loop. An adjoint, tangent, tape or temporary of the generated code typed two ways is not."""
    found = _NOT_UNIFIED.search(message)
    if found is None:
        return False
    version = re.sub(r"\.\d+$", "", found.group(1))
    return re.sub(r"(_\d+)+$", "", version) in names


def attempt(check, thunk, names=frozenset()):
    """Run a derivative maker or call: DifferentiationError is a refusal, anything else a crash;
    so is numba failing to compile generated code, except for the one documented cause (one of
    the program's own variables, among ``names``, whose type changes in a loop)."""
    try:
        return thunk()
    except adc.DifferentiationError as e:
        if NUMBA_FAILED in str(e) and not changes_type_in_a_loop(str(e), names):
            raise Stop("crash", check, str(e)) from e
        raise Stop("refusal", check, str(e)) from e
    except Stop:
        raise
    except Exception as e:
        raise Stop("crash", check, "".join(traceback.format_exception(e)[-6:])) from e


def expect(ok, check, detail, by_differences=False):
    if not ok:
        raise Stop("fail", check, detail, by_differences)


def expect_close(actual, expected, check, rtol=1e-9, atol=1e-12):
    a, e = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    expect(a.shape == e.shape, check, f"shape {a.shape}, expected {e.shape}")
    expect(np.allclose(a, e, rtol=rtol, atol=atol), check, f"got {actual!r}, expected {expected!r}")


def expect_unchanged(args, pristine, check):
    for k, (a, b) in enumerate(zip(args, pristine)):
        expect(not isinstance(a, np.ndarray) or np.array_equal(a, b), check,
               f"argument {k} changed from {b!r} to {a!r}")


def dot(gradients, directions):
    return sum(float(np.sum(np.asarray(g, np.float64) * d)) for g, d in zip(gradients, directions))


class Checker:
    """The checks of one program at one input; ``run`` returns an ``Outcome``."""

    def __init__(self, program, seed, step=STEP):
        self.program, self.seed, self.step = program, seed, step
        self.positions = program.float_positions

    def run(self, jit=False, second_order=False, compiled_jvp=True):
        try:
            self.prepare()
            with contextlib.redirect_stdout(io.StringIO()), np.errstate(all="ignore"):
                self.compiled(compiled_jvp) if jit else self.python(second_order)
        except Stop as stop:
            if stop.by_differences and self.step == STEP:
                return self.judged_again(stop.outcome, jit, second_order, compiled_jvp)
            return stop.outcome
        return Outcome("pass")

    def judged_again(self, outcome, *how):
        """A disagreement with finite differences where they may be wrong: where the program's
        values grow far beyond its inputs' (they cannot judge it), or where a feature finer
        than the step (``x % c`` of a fast-changing ``x``) fools their smoothness test: if all
        checks pass with a step 10, 100 or 1000 times finer, they had not converged."""
        largest = largest_intermediate(self.f, self.args)
        if largest > ILL_CONDITIONED:
            return Outcome("skip", outcome.check, f"intermediate values up to {largest:.3g}: "
                           "finite differences cannot judge it")
        for finer in (STEP / 10, STEP / 100, STEP / 1000):
            if Checker(self.program, self.seed, finer).run(*how).kind == "pass":
                return Outcome("skip", outcome.check, f"finite differences with step {STEP} "
                               f"had not converged: all checks pass with step {finer:g}")
        return outcome

    def prepare(self):
        try:
            self.f = load(self.program.source)
            self.args = self.program.inputs(self.seed)
            self.value = run_plain(self.f, self.args)
        except Exception as e:
            raise Stop("discard", "plain Python", repr(e)) from e
        rng = np.random.default_rng(self.seed + 1)
        self.directions = [None if s is None else float(rng.standard_normal()) if s == ()
                           else rng.standard_normal(s) for _, s in self.program.params]
        self.cotangent = rng.standard_normal(np.shape(self.value))
        found = derivative(lambda t: as_vector(run_plain(self.f, shifted(self.args, self.directions, t))),
                           self.step)
        if found is None:
            raise Stop("skip", "finite differences", "not smooth at this input")
        self.fd, self.tol = found
        self.pristine = copies(self.args)

    def used(self):
        return [self.directions[k] for k in self.positions]

    def check_directional(self, gradients, check):
        expect(len(gradients) == len(self.positions), check, f"{len(gradients)} gradients")
        for k, g in zip(self.positions, gradients):
            expect(np.shape(g) == np.shape(self.args[k]), check,
                   f"gradient {k} has shape {np.shape(g)}, argument {np.shape(self.args[k])}")
        actual, expected = dot(gradients, self.used()), float(np.sum(self.fd))
        expect(abs(actual - expected) <= self.tol * max(1, np.size(self.fd)), check,
               f"<grad, v> = {actual!r}, finite differences give {expected!r}; "
               f"gradients {gradients!r}, v = {self.used()!r}", by_differences=True)

    def gradients(self, jit, check="grad"):
        names = own_names(self.program.source)
        grad = attempt(check, lambda: adc.grad(self.f, wrt=self.positions, jit=jit), names)
        result = attempt(check, lambda: grad(*self.args), names)
        expect_unchanged(self.args, self.pristine, check + ": caller's arrays")
        self.check_directional(result, check)
        return result

    def forward(self, jit, check="jvp"):
        names = own_names(self.program.source)
        jvp = attempt(check, lambda: adc.jvp(self.f, jit=jit), names)
        value, tangent = attempt(check, lambda: jvp(self.args, self.directions), names)
        expect_unchanged(self.args, self.pristine, check + ": caller's arrays")
        expect_close(value, self.value, check + " value")
        expect(np.shape(tangent) == np.shape(self.value), check, f"tangent shape {np.shape(tangent)}")
        expect(np.allclose(as_vector(tangent), self.fd, rtol=0, atol=self.tol), check,
               f"tangent {tangent!r}, finite differences give {self.fd!r}", by_differences=True)
        return tangent

    def python(self, second_order):
        vg = attempt("value_and_grad", lambda: adc.value_and_grad(self.f, wrt=self.positions, jit=False))
        value, grads = attempt("value_and_grad", lambda: vg(*self.args))
        expect_unchanged(self.args, self.pristine, "value_and_grad: caller's arrays")
        expect_close(value, self.value, "value_and_grad value")
        self.check_directional(grads, "value_and_grad")
        if second_order:
            for a, b in zip(self.gradients(False), grads):
                expect_close(a, b, "grad vs value_and_grad")
        tangent = self.forward(False)
        self.reverse_forward(tangent, grads)
        self.second_call(vg)
        if self.program.float32:
            self.float32(grads)
        if second_order and np.ndim(self.value) == 0 and "np.prod" not in self.program.source:
            self.hessian()
        if self.seed % 4 == 1:
            self.locals_named()

    def locals_named(self):
        """``of=`` and ``wrt=`` a local against finite differences of the function changed by
        hand (``return s`` for every return; ``s`` nudged where it is last bound): the local
        means the value it holds when the function returns."""
        names = local_names(self.program.source)
        if names:
            pick = np.random.default_rng(self.seed + 2).integers(len(names), size=2)
            self.of_local(names[pick[0]])
            self.wrt_local(names[pick[1]])

    def of_local(self, name):
        try:
            of = load(returning(self.program.source, name))
            last = run_plain(of, self.args)
        except Exception:
            return
        if _integral(last):
            return
        found = derivative(lambda t: as_vector(run_plain(of, shifted(self.args, self.directions, t))),
                           self.step)
        grads = optional(f"grad of={name!r}", lambda: adc.grad(
            self.f, of=name, wrt=self.positions, jit=False)(*self.args))
        if found is None or grads is None:
            return
        expected, tol = float(np.sum(found[0])), found[1] * max(1, np.size(found[0]))
        actual = dot(grads, self.used())
        expect(abs(actual - expected) <= tol, f"grad of={name!r}",
               f"<grad, v> = {actual!r}, finite differences of 'return {name}' give {expected!r}",
               by_differences=True)

    def wrt_local(self, name):
        """d(output)/d(the last value of ``name``): the value perturbed where it is bound
        the last time, along a random direction."""
        nudge = Nudge()
        try:
            f = load(nudged(self.program.source, name))
            f.__globals__["_nudge"] = nudge
            run_plain(f, self.args)
        except Exception:
            return
        if nudge.count == 0 or _integral(nudge.last) or isinstance(nudge.last, tuple):
            return
        at, last = nudge.count, nudge.last
        direction = np.random.default_rng(self.seed + 3).standard_normal(np.shape(last))

        def phi(t):
            nudge.count, nudge.at, nudge.delta = 0, at, t * direction
            return as_vector(run_plain(f, self.args))
        found = derivative(phi, self.step)
        grad = optional(f"grad wrt={name!r}", lambda: adc.grad(self.f, wrt=name, jit=False)(*self.args))
        if found is None or grad is None:
            return
        expect(np.shape(grad) == np.shape(last), f"grad wrt={name!r}",
               f"gradient shape {np.shape(grad)}, the local's {np.shape(last)}")
        expected, tol = float(np.sum(found[0])), found[1] * max(1, np.size(found[0]))
        actual = float(np.sum(np.asarray(grad, np.float64) * direction))
        expect(abs(actual - expected) <= tol, f"grad wrt={name!r}",
               f"<grad, v> = {actual!r}, finite differences of {name!r} nudged at its last "
               f"binding give {expected!r}", by_differences=True)

    def reverse_forward(self, tangent, grads):
        """<J v, u> = <v, J^T u>, J^T u from vjp for an array output."""
        u = self.cotangent
        if np.ndim(self.value) == 0:
            pulled = [float(u) * np.asarray(g, np.float64) for g in grads]
        else:
            vjp = attempt("vjp", lambda: adc.vjp(self.f, wrt=self.positions, jit=False))
            value, pullback = attempt("vjp", lambda: vjp(*self.args))
            expect_close(value, self.value, "vjp value")
            pulled = attempt("vjp", lambda: pullback(u))
        forward, reverse = float(np.sum(np.asarray(tangent, np.float64) * u)), dot(pulled, self.used())
        expect(abs(forward - reverse) <= 1e-8 * max(1.0, abs(forward)), "jvp vs vjp",
               f"<J v, u> = {forward!r} but <v, J^T u> = {reverse!r}")

    def second_call(self, vg):
        """The same derivative object at other inputs gives the new value."""
        other = self.program.inputs(self.seed + 7919)
        try:
            expected = run_plain(self.f, other)
        except Exception:
            return
        value, _ = attempt("value_and_grad, second call", lambda: vg(*other))
        expect_close(value, expected, f"value_and_grad second call at {other!r}")

    def float32(self, grads):
        args32 = self.program.inputs(self.seed, float32=True)
        try:
            value32 = run_plain(self.f, args32)
        except Exception:
            return
        if not np.allclose(as_vector(value32), as_vector(self.value), rtol=1e-4, atol=1e-4):
            return
        grads32 = attempt("grad float32", lambda: adc.grad(self.f, wrt=self.positions, jit=False)(*args32))
        for k, g32, g in zip(self.positions, grads32, grads):
            expect(np.asarray(g32).dtype == np.float32, "grad float32",
                   f"gradient {k} has dtype {np.asarray(g32).dtype}")
            scale = max(1.0, float(np.max(np.abs(g), initial=0)))
            expect_close(g32, g, "grad float32 vs float64", rtol=1e-3, atol=1e-3 * scale)

    def hessian(self):
        p = self.positions[0]
        w = self.directions[p]
        only = [w if k == p else None for k in range(len(self.args))]
        H = attempt("hessian", lambda: adc.hessian(self.f, wrt=p, jit=False)(*self.args))
        shape = np.shape(self.args[p])
        expect(np.shape(H) == shape + shape, "hessian", f"shape {np.shape(H)}")
        Hw = np.reshape(H, (int(np.prod(shape)),) * 2) @ np.ravel(w)
        hv = attempt("hvp", lambda: adc.hvp(self.f, wrt=p, jit=False)(self.args, w))
        expect_close(np.ravel(hv), Hw, "hvp vs hessian @ v", rtol=1e-8, atol=1e-10)
        grad = adc.grad(self.f, wrt=p, jit=False)
        found = derivative(lambda t: as_vector(grad(*shifted(self.args, only, t))), self.step)
        if found is not None:
            expected, tol = found
            expect(np.allclose(Hw, expected, rtol=0, atol=10 * tol), "hessian",
                   f"H v = {Hw!r}, finite differences of grad give {expected!r}",
                   by_differences=True)

    def compiled(self, compiled_jvp):
        """Compiled gradients against pure Python's; the tangent compiled too, or (to save
        numba's compile time) in pure Python only."""
        jit_grads = self.gradients(True, "grad jit")
        for a, b in zip(jit_grads, self.gradients(False)):
            expect_close(a, b, "grad jit vs python")
        tangent = self.forward(False)
        if compiled_jvp:
            expect_close(self.forward(True, "jvp jit"), tangent, "jvp jit vs python")


def optional(check, thunk):
    """A derivative of a local: None where adcompiler refuses it, or says the local is an
    integer, a constant or a tuple, or has no one last value (early returns, first bound in a
    loop that may not run): it has no one derivative to take; a crash otherwise."""
    try:
        return attempt(check, thunk)
    except Stop as stop:
        detail = stop.outcome.detail
        if stop.outcome.kind == "refusal" or any(clear in detail for clear in (
                "is an integer", "has no derivative (it comes from", "names a tuple",
                "returns early, and a local's last value", "is first bound inside a loop")):
            return None
        raise


def _integral(value):
    return isinstance(value, (bool, int, np.integer, np.bool_)) or (
        isinstance(value, np.ndarray) and not np.issubdtype(value.dtype, np.floating))


def check(program, seed, jit=False, second_order=False, compiled_jvp=True):
    """The outcome of checking ``program`` at the inputs ``program.inputs(seed)``."""
    return Checker(program, seed).run(jit, second_order, compiled_jvp)


def check_program(program, seed, jit=False, second_order=False, tries=3, compiled_jvp=True):
    """As ``check``, trying other inputs where the function is not smooth or fails."""
    for k in range(tries):
        outcome = check(program, seed + 101 * k, jit, second_order, compiled_jvp)
        if outcome.kind not in ("skip", "discard"):
            return outcome, seed + 101 * k
    return outcome, seed + 101 * k


def describe(program, seed, outcome):
    """A reproducible report: the program, its inputs, the outcome."""
    args = program.inputs(seed)
    lines = [f"# {outcome.kind} in {outcome.check}", program.source.rstrip(), "",
             "args = [" + ", ".join(f"np.array({a.tolist()!r})" if isinstance(a, np.ndarray)
                                    else repr(a) for a in args) + "]",
             f"# float32 program: {program.float32}; seed {seed}", "", outcome.detail]
    return "\n".join(lines)
