"""Unsupported constructs raise DifferentiationError at decoration, with file, line and caret."""
import math

import numpy as np
import pytest

import adcompiler as adc
from adcompiler import DifferentiationError

WEIGHTS = np.ones(3)
LAYERS = [np.ones(3)]


def uses_try(x):
    try:
        y = x * 2.0
    except ValueError:
        y = x
    return y


def uses_global(x):
    global WEIGHTS
    return x * 2.0


def uses_with(x):
    with open("f") as handle:
        y = x
    return y


def uses_lambda(x):
    square = lambda v: v * v  # noqa: E731
    return square(x)


def uses_comprehension(x):
    terms = [x * k for k in range(3)]
    return terms[1]


def uses_generator(x):
    yield x


def uses_global_list(x):
    return np.sum(x * LAYERS[0])


def calls_without_rule(x):
    return math.gamma(x) + 1.0


def calls_numpy_python_code(x):
    return np.sum(np.fft.fft(x))


def recursive(x):
    return recursive(x)


def varargs(*xs):
    return xs[0]


def for_else(x, n):
    for i in range(n):
        x = x * 2.0
    else:
        x = x + 1.0
    return x


def while_else(x):
    while x < 1.0:
        x = x * 2.0
    else:
        x = x + 1.0
    return x


def loop_over_list(x):
    s = x
    for value in [1.0, 2.0]:
        s = s * value
    return s


def no_return(x):
    y = x * 2.0


def dict_literal(x, key):
    d = {key: x}
    return x


def undefined_name(x):
    return x * not_defined  # noqa: F821


def inner_loop_overwrites_what_it_reads(v, x, n):
    s = 0.0
    for k in range(n):
        for i in range(v.shape[0]):
            t = v[i] * x
            v[i] = t * t
            s = s + v[i]
    return s


def keepdims_variable(x, flag):
    return np.sum(np.sum(x, axis=0, keepdims=flag))


def unsupported_method(x):
    return x.cumsum()


CASES = [  # (function, what the message says, the source text the caret marks)
    (uses_try, "'try' statements are not supported", "try:"),
    (uses_global, "'global' declarations are not supported", "global WEIGHTS"),
    (uses_with, "'with' statements are not supported", "with open"),
    (uses_lambda, "lambda expressions are not supported", "lambda v: v * v"),
    (uses_comprehension, "list comprehensions other than those summed by sum",
     "[x * k for k in range(3)]"),
    (uses_generator, "generators ('yield') are not supported", "yield x"),
    (uses_global_list, "'LAYERS' (list) is a global value", "LAYERS"),
    (calls_without_rule, "call to 'math.gamma' has no derivative rule", "math.gamma"),
    (calls_numpy_python_code, "call to 'np.fft.fft' has no derivative rule", "np.fft.fft"),
    (recursive, "recursive call to 'recursive'", "recursive(x)"),
    (varargs, "*args parameters are not supported", "xs"),
    (for_else, "'for ... else' is not supported", "for i in range(n):"),
    (while_else, "'while ... else' is not supported", "while x < 1.0:"),
    (loop_over_list, "a 'for' loop must run over range(...), an array or enumerate",
     "[1.0, 2.0]"),
    (no_return, "must end with a 'return' statement", None),
    (dict_literal, "dict keys must be strings written in the code", "{key: x}"),
    (undefined_name, "name 'not_defined' is not defined", "not_defined"),
    (unsupported_method, "method '.cumsum()' is not supported", "x.cumsum"),
    (keepdims_variable, "'keepdims' must be a constant", "np.sum(x, axis=0, keepdims=flag)"),
]


@pytest.mark.parametrize("func, message, marked", CASES, ids=[c[0].__name__ for c in CASES])
def test_error_names_construct_file_line_and_caret(func, message, marked):
    with pytest.raises(DifferentiationError) as info:
        adc.grad(func)
    err = info.value
    assert message in str(err)
    assert err.filename == __file__
    lines = open(__file__).read().splitlines()
    assert 0 < err.lineno <= len(lines)
    if marked is None:
        return
    assert marked in lines[err.lineno - 1]
    text = str(err).splitlines()
    assert f'File "{__file__}", line {err.lineno}' in text[1]
    source_line, caret_line = text[2], text[3]
    start = caret_line.index("^")
    underlined = source_line[start:start + caret_line.count("^")]
    assert marked.startswith(underlined) or underlined.startswith(marked) or marked in underlined


def integer_power(x, n):
    return x ** n


def test_integer_argument_refused_with_a_clear_message():
    with pytest.raises(TypeError, match="with respect to 'n': it is an integer"):
        adc.grad(integer_power, wrt=1)(2.0, 3)
    assert adc.grad(integer_power)(2.0, 3) == pytest.approx(12.0)


def test_show_rejects_unknown_mode():
    with pytest.raises(ValueError, match="unknown mode"):
        adc.show(integer_power, mode="sideways")


def test_overwritten_read_in_a_nested_loop_is_refused_with_its_location():
    derivative = adc.grad(inner_loop_overwrites_what_it_reads, wrt=1)
    with pytest.raises(DifferentiationError) as info:
        derivative(np.array([0.5, 0.7]), 0.3, 2)
    assert "the same loop overwrites it afterwards" in str(info.value)
    assert info.value.lineno and "t = v[i] * x" in str(info.value)
