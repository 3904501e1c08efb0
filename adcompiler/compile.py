"""Stage 6: generated source as an imported module, compiled by numba or run as Python.

Each module is a real file in the cache directory (``ADC_CACHE_DIR``, else the user cache
directory), named by a hash of its text and of adcompiler's own sources, so a changed function or
a changed adcompiler never runs stale code and numba's disk cache (``cache=True``) can serve a new
process. The module is registered in ``sys.modules`` before it executes, as numba's cache needs.
"""
import hashlib
import importlib.util
import os
import sys
import tempfile
import types
import warnings
from functools import lru_cache
from pathlib import Path

from .files import write_atomically
from .primitives import PRIMITIVES
from .rules import register

_modules = {}


def limit_loop_unswitching():
    """Keep LLVM to trivial loop unswitching in this process. At numba's default optimization
    (-O3), LLVM copies a loop for each loop-invariant condition in it; the broadcasting checks of
    NumPy expressions on N-D arrays, inside a loop of the user's, multiplied the copies: the
    gradient of a loop over 4-D array expressions took more than 100 s to compile (4.5 s with
    this limit; 2.6 s for the same loop on 1-D arrays either way). It changes how LLVM arranges
    loops, never what they compute, and applies to every numba compilation in the process."""
    import llvmlite.binding as llvm
    llvm.set_option("", "-unswitch-threshold=1")


limit_loop_unswitching()


def cache_dir():
    """Where generated modules (and numba's cache of them) live: ``ADC_CACHE_DIR``, else the
    user cache; a directory that cannot be written gives way to a temporary one, with a
    warning."""
    explicit = os.environ.get("ADC_CACHE_DIR")
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return _writable(Path(explicit) if explicit else Path(base) / "adcompiler")


@lru_cache(maxsize=None)
def _writable(path):
    try:
        path.mkdir(parents=True, exist_ok=True)
        if os.access(path, os.W_OK | os.X_OK):
            return path
    except OSError:
        pass
    fallback = Path(tempfile.gettempdir()) / f"adcompiler-{os.getuid()}"
    fallback.mkdir(parents=True, exist_ok=True)
    warnings.warn(f"adcompiler: cannot write generated code to {path}; using {fallback}",
                  stacklevel=3)
    return fallback


@lru_cache(maxsize=None)
def build_hash():
    """A hash of adcompiler's and the runtime's sources and numba's version: part of every
    module's name (numba's cache does not see edits in the files generated code calls)."""
    import numba
    digest = hashlib.sha256(numba.__version__.encode())
    runtime = importlib.util.find_spec("adcompiler.runtime")
    roots = [Path(__file__).resolve().parent]
    roots += [Path(p).resolve() for p in runtime.submodule_search_locations or ()]
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def module_path(source, stem):
    digest = hashlib.sha256((build_hash() + source).encode()).hexdigest()[:16]
    return cache_dir() / f"{stem}_{digest}.py"


def announce(what):
    """One line on standard error saying that ``what`` is being compiled (a first compilation
    can take tens of seconds); ``ADC_QUIET=1`` silences it."""
    if os.environ.get("ADC_QUIET", "") not in ("1", "true", "yes"):
        print(f"adcompiler: compiling {what} (the first time takes a while; later runs load "
              "it from the cache)", file=sys.stderr, flush=True)


def load(source, stem, jit, what=None):
    """Import ``source`` as a module; with ``jit``, every function in it becomes ``njit``, and
    a module new to the cache is announced as ``what`` (if given)."""
    path = module_path(source, stem)
    key = (path, jit)
    if key in _modules:
        return _modules[key]
    if not path.exists() or path.read_text(encoding="utf-8") != source:
        write_atomically(path, lambda handle: handle.write(source.encode("utf-8")))
        if jit and what:
            announce(what)
    name = path.stem if jit else path.stem + "_py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    for attr in set(vars(module)) & set(PRIMITIVES):    # the module's copy of a primitive
        register([getattr(module, attr)], PRIMITIVES[attr][1])     # keeps its rules
    if jit:
        import numba
        for attr, value in list(vars(module).items()):
            if isinstance(value, types.FunctionType) and value.__module__ == name:
                # division by zero gives inf or nan, as NumPy (and pure-Python mode) do
                setattr(module, attr, numba.njit(cache=True, error_model="numpy")(value))
    _modules[key] = module
    return module
