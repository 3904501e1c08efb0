"""A layer's ``call`` method as a plain function of its weights, which adcompiler can
differentiate like any user function:

    def call(self, inputs):                          def my_dense_call(self_W, self_b, inputs):
        z0 = inputs[:, 0] * self.W[0, 0] + ...  ->       z0 = inputs[:, 0] * self_W[0, 0] + ...

Each ``self.<weight>`` becomes a parameter, each ``self.<array>`` set in ``__init__`` a constant
parameter after the weights, and each other ``self.<attribute>`` (a number, a string, a tuple, a
function) a constant (``adcompiler.methods``, which keeps every column of the user's text, so
errors point at the user's file and line).
"""
import inspect
import linecache

from adcompiler.methods import MethodError, method_function


class LayerError(ValueError):
    """A layer that cannot be used as written, named in the message."""


def layer_function(layer):
    """``(function, constants)``: ``layer.call`` as a function of (weights..., constant
    arrays..., call's own parameters); ``constants`` the names of the constant arrays."""
    try:
        return method_function(layer, _call_method(layer), layer.weight_names,
                               f"{identifier(layer.name)}_call")
    except MethodError as exc:
        raise _error(layer, f"call: {exc}") from None


def _call_method(layer):
    for cls in type(layer).__mro__:
        if "call" in vars(cls):
            method = vars(cls)["call"]
            if not inspect.isfunction(method):
                raise _error(layer, "call must be a plain method")
            return method
    raise _error(layer, "the layer has no call method")


def identifier(name):
    """``name`` as a Python identifier."""
    out = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    return out if out[:1].isalpha() else "layer_" + out


def _error(layer, message):
    return LayerError(f"layer {layer.name!r} ({type(layer).__name__}): {message}")


def register_source(filename, text):
    """Make ``text`` the lines of ``filename`` for tracebacks and source readers."""
    linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
