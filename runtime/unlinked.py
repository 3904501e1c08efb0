"""Kernels that compiled code calls by address, instead of linking a copy into itself.

numba links every function a compiled function calls into that function's own module, then
optimizes and translates the whole module again: a network's training step calling the
convolution kernels through three levels of generated functions compiled each kernel four more
times (47 of the step's 52 s of compiling, with the kernels themselves cached). A call made
here compiles the kernel for its argument types once, on its own (cached by numba like any
kernel), gives the address of the result a name made of the kernel's name and types, and
declares that name in the caller, which LLVM resolves when it loads the caller's code.

A caller loaded from numba's cache in a new process finds the name again: loading the kernel
and naming its address is recorded among the "reload" steps numba runs before it loads the
caller's cached code (the same list numba keeps for its parallel loops' threads). A function
that links the caller inherits its steps, and numba would lose them when the caller itself came
from the cache: the function, cached in turn, then called address 0 in the next process (as
numba's cached code calling parallel code fails to start its threads, numba issue 8578). So
code rebuilt from the cache keeps its steps here (``_rebuild_keeping_reload_steps``).
"""
import functools
import hashlib
import importlib
import inspect

import llvmlite.binding as llvm
from numba import types
from numba.core import cgutils
from numba.core.compiler import CompileResult
from numba.core.dispatcher import Dispatcher
from numba.extending import intrinsic, overload

_KERNELS = {}       # (module, qualified name) -> numba dispatcher


def unlinked(dispatcher):
    """The numba ``dispatcher`` as a function callable from Python, and from compiled code by
    address (see the module's docstring). With numba's JIT disabled, the function itself."""
    if not isinstance(dispatcher, Dispatcher):      # NUMBA_DISABLE_JIT=1
        return dispatcher
    signature = inspect.signature(dispatcher.py_func)

    @functools.wraps(dispatcher.py_func)
    def public(*args, **kwargs):
        return dispatcher(*args, **kwargs)

    forward = forwarder(dispatcher, signature, ", ".join(signature.parameters))
    overload(public, strict=False)(lambda *args, **kwargs: forward)
    return public


def forwarder(dispatcher, signature, arguments, namespace=None):
    """``def forward(<signature>): return <dispatcher>(<arguments>)``, the call made by address:
    what compiled code calling the kernel compiles in its place. ``arguments`` is Python text
    in the parameters and ``namespace``'s names."""
    function = _register(dispatcher)
    # named after the kernel: numba names compiled functions by module, name and a counter
    # that starts again in every process, and two cached callers of different kernels, each
    # compiled by a process of its own, would otherwise define the same symbol
    name = "forward_" + "".join(c if c.isalnum() else "_" for c in
                                f"{function.__module__}.{function.__qualname__}")
    namespace = dict(namespace or {}, _kernel_=dispatcher, _call_unlinked_=call_unlinked)
    exec(f"def {name}{signature}:\n    return _call_unlinked_(_kernel_, ({arguments},))\n",
         namespace)
    return namespace[name]


def _register(dispatcher):
    function = getattr(dispatcher, "py_func", dispatcher)   # a function: JIT disabled
    key = (function.__module__, function.__qualname__)
    if _KERNELS.setdefault(key, dispatcher) is not dispatcher:
        raise ValueError(f"a kernel named {key[0]}.{key[1]} is registered already")
    return function


def _symbol(module, name, argtypes, restype):
    """The name a compiled kernel's address is given: readable, and unique to its types."""
    text = f"{module}.{name}({', '.join(map(str, argtypes))}) -> {restype}"
    return f"adcompiler.kernel.{module}.{name}.{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def load(module, name, argtypes, restype=None):
    """Compile (or load from numba's cache) kernel ``module.name`` for ``argtypes`` and name its
    address; returns its signature. ``restype``, when given, is what the caller was compiled to
    receive: a kernel now returning something else means the caller's cached code is stale."""
    importlib.import_module(module)
    dispatcher = _KERNELS[(module, name)]
    if argtypes not in dispatcher.overloads:
        dispatcher.compile(argtypes)
    compiled = dispatcher.overloads[argtypes]
    found = compiled.signature.return_type
    if restype is not None and found != restype:
        raise RuntimeError(f"compiled code calling {module}.{name} expects it to return "
                           f"{restype}, but it now returns {found}: that code was cached "
                           "before the kernel changed; clear numba's cache to rebuild it")
    address = compiled.library.get_pointer_to_function(compiled.fndesc.mangled_name)
    if not address:
        raise RuntimeError(f"numba gave no address for the compiled {module}.{name}")
    llvm.add_symbol(_symbol(module, name, argtypes, found), address)
    return compiled.signature


@intrinsic
def call_unlinked(typingctx, kernel, args):
    """``kernel(*args)`` by address; ``kernel`` a dispatcher registered here, ``args`` a tuple."""
    dispatcher = kernel.dispatcher
    module, name = dispatcher.py_func.__module__, dispatcher.py_func.__qualname__
    argtypes = tuple(types.unliteral(t) for t in args.types)
    target = load(module, name, argtypes)
    restype = target.return_type

    def codegen(context, builder, signature, values):
        given = cgutils.unpack_tuple(builder, values[1])
        given = [context.cast(builder, value, have, want)
                 for value, have, want in zip(given, args.types, target.args)]
        function = cgutils.get_or_insert_function(
            builder.module, context.call_conv.get_function_type(restype, target.args),
            _symbol(module, name, argtypes, restype))
        status, result = context.call_conv.call_function(builder, function, restype,
                                                         target.args, given)
        with cgutils.if_unlikely(builder, status.is_error):
            context.call_conv.return_status_propagate(builder, status)
        # numba's private list of steps run before cached code is loaded (see the docstring)
        context.active_code_library._reload_init.add(
            functools.partial(load, module, name, argtypes, restype))
        return result

    return restype(kernel, args), codegen


def _rebuild_keeping_reload_steps(rebuild):
    """numba's rebuilding of cached code, its reload steps kept on the rebuilt code library,
    where functions linking it inherit them (numba keeps them only on the compile result)."""
    @functools.wraps(rebuild)
    def rebuilt(cls, *args, **kwargs):
        result = rebuild(cls, *args, **kwargs)
        result.library._reload_init.update(result.reload_init or ())
        return result
    return classmethod(rebuilt)


CompileResult._rebuild = _rebuild_keeping_reload_steps(CompileResult._rebuild.__func__)
