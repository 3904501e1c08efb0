"""What the derivative makers take and give besides arrays and plain functions: tuples, lists
and dicts of arrays (pytrees), has_aux, stop_gradient, functools.partial, bound methods,
lambdas, global and closure values read at each call; each derivative checked against central
finite differences computed here, in float64, compiled and as Python."""
import copy
import functools

import numpy as np
import pytest

import adcompiler as adc

JIT = pytest.mark.parametrize("jit", [True, False], ids=["jit", "python"])
RNG = np.random.default_rng(11)


def differences(func, args, position, eps=1e-6):
    """The gradient of the scalar ``func`` with respect to ``args[position]``, entry by entry,
    in the argument's own shape (a pytree: each leaf's)."""
    def leaves(tree, path=()):
        if isinstance(tree, dict):
            return [p for k, v in tree.items() for p in leaves(v, path + (k,))]
        if isinstance(tree, (tuple, list)):
            return [p for k, v in enumerate(tree) for p in leaves(v, path + (k,))]
        return [path]

    def get(tree, path):
        for k in path:
            tree = tree[k]
        return tree

    def with_entry(path, index, delta):
        new = copy.deepcopy(list(args))
        if path:
            parent = get(new[position], path[:-1])
            leaf = np.array(parent[path[-1]], dtype=float)
            leaf[index] += delta
            if isinstance(parent, tuple):
                raise TypeError("tuples are immutable: use lists in these tests")
            parent[path[-1]] = leaf
        else:
            leaf = np.array(new[position], dtype=float)
            leaf[index] += delta
            new[position] = leaf if leaf.ndim else float(leaf)
        return func(*new)

    grads = copy.deepcopy(args[position])
    for path in leaves(args[position]):
        value = np.array(get(args[position], path), dtype=float)
        grad = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            grad[index] = (with_entry(path, index, eps) - with_entry(path, index, -eps)) / (2 * eps)
        if path:
            get(grads, path[:-1])[path[-1]] = grad
        else:
            grads = grad if grad.ndim else float(grad)
    return grads


def assert_tree_close(got, want):
    if isinstance(want, dict):
        assert isinstance(got, dict) and list(got) == list(want)
        for k in want:
            assert_tree_close(got[k], want[k])
    elif isinstance(want, (tuple, list)):
        assert type(got) is type(want) and len(got) == len(want)
        for g, w in zip(got, want):
            assert_tree_close(g, w)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


# --------------------------------------------------------------------------- pytrees
def dense(layer, x):
    return np.tanh(x @ layer["w"] + layer["b"])


def mlp_loss(params, x, y):
    h = dense(params["hidden"], x)
    out = h @ params["out"][0] + params["out"][1]
    return np.mean((out - y) ** 2)


def params_and_data():
    params = {"hidden": {"w": RNG.standard_normal((3, 4)), "b": RNG.standard_normal(4)},
              "out": [RNG.standard_normal((4, 2)), RNG.standard_normal(2)]}
    return params, RNG.standard_normal((5, 3)), RNG.standard_normal((5, 2))


@JIT
def test_gradient_of_nested_dicts_and_lists_comes_back_in_their_shape(jit):
    params, x, y = params_and_data()
    grads = adc.grad(mlp_loss, jit=jit)(params, x, y)
    assert_tree_close(grads, differences(mlp_loss, (params, x, y), 0))
    value, (g_params, g_x) = adc.value_and_grad(mlp_loss, wrt=(0, 1), jit=jit)(params, x, y)
    assert value == pytest.approx(mlp_loss(params, x, y))
    assert_tree_close(g_params, grads)
    np.testing.assert_allclose(g_x, differences(mlp_loss, (params, x, y), 1), rtol=1e-6)


def pair_and_stats(t, scale):
    a, (b, c) = t
    return {"sum": np.sum(a * b) * scale, "parts": (a + c, b)}


@JIT
def test_vjp_and_jvp_of_structured_arguments_and_results(jit):
    t = (RNG.standard_normal(3), (RNG.standard_normal(3), RNG.standard_normal(3)))
    value, pullback = adc.vjp(pair_and_stats, jit=jit)(t, 2.0)
    assert set(value) == {"sum", "parts"} and isinstance(value["parts"], tuple)
    cotangent = {"sum": 1.0, "parts": (np.ones(3), np.zeros(3))}
    g_t, g_scale = pullback(cotangent)

    def weighted(t, scale):
        out = pair_and_stats(t, scale)
        return out["sum"] + np.sum(out["parts"][0])
    listed = [t[0], [t[1][0], t[1][1]]]
    want = differences(lambda t, s: weighted((t[0], tuple(t[1])), s), (listed, 2.0), 0)
    assert_tree_close(g_t, (want[0], tuple(want[1])))
    assert g_scale == pytest.approx(np.sum(t[0] * t[1][0]))
    direction = (np.ones(3), (np.zeros(3), np.ones(3)))
    _, tangent = adc.jvp(pair_and_stats, jit=jit)((t, 2.0), (direction, 0.0))
    np.testing.assert_allclose(tangent["sum"], 2.0 * np.sum(t[1][0]))
    np.testing.assert_allclose(tangent["parts"][0], 2.0 * np.ones(3))


def reads_missing_key(p):
    return p["nope"]


def outputs(params, x):
    return dense(params["hidden"], x)


@JIT
def test_jacobian_with_respect_to_a_structure_has_its_shape(jit):
    params, x, _ = params_and_data()
    jacobian = adc.jacobian(outputs, wrt=0, jit=jit)(params, x)
    assert set(jacobian["hidden"]) == {"w", "b"}
    assert jacobian["hidden"]["w"].shape == (5, 4, 3, 4)
    column = differences(lambda b: outputs({"hidden": {"w": params["hidden"]["w"], "b": b}},
                                           x)[2, 1], (params["hidden"]["b"],), 0)
    np.testing.assert_allclose(jacobian["hidden"]["b"][2, 1], column, rtol=1e-6)
    by_x = adc.jacobian(outputs, wrt=1, mode="forward", jit=jit)(params, x)
    np.testing.assert_allclose(by_x[2, 1], differences(lambda x: outputs(params, x)[2, 1],
                                                       (x,), 0), rtol=1e-6, atol=1e-9)


def test_structure_errors_are_clear():
    with pytest.raises(adc.DifferentiationError, match="key 'nope' is not in the dict"):
        adc.grad(reads_missing_key)({"w": np.ones(2)})



# --------------------------------------------------------------------------- has_aux
def loss_with_aux(w, x):
    p = np.tanh(x @ w)
    loss = np.mean(p ** 2)
    return loss, {"predictions": p, "largest": np.max(p)}


@JIT
def test_has_aux_returns_the_auxiliary_values(jit):
    w, x = RNG.standard_normal(3), RNG.standard_normal((4, 3))
    grad, aux = adc.grad(loss_with_aux, has_aux=True, jit=jit)(w, x)
    np.testing.assert_allclose(grad, differences(lambda w, x: loss_with_aux(w, x)[0], (w, x), 0),
                               rtol=1e-6)
    np.testing.assert_allclose(aux["predictions"], np.tanh(x @ w))
    (value, aux), grad2 = adc.value_and_grad(loss_with_aux, has_aux=True, jit=jit)(w, x)
    assert value == pytest.approx(np.mean(np.tanh(x @ w) ** 2))
    assert aux["largest"] == pytest.approx(np.max(np.tanh(x @ w)))
    np.testing.assert_allclose(grad2, grad)
    with pytest.raises(adc.DifferentiationError, match="must return a tuple"):
        adc.grad(mlp_loss, has_aux=True)(*params_and_data())


# --------------------------------------------------------------------------- stop_gradient
def centered_energy(x, w):
    m = adc.stop_gradient(np.mean(x))
    return np.sum(((x - m) * w) ** 2) + adc.stop_gradient(w) * w


@JIT
def test_stop_gradient_is_a_constant_to_both_modes(jit):
    x, w = RNG.standard_normal(4), 0.7

    def frozen(x, w, m=np.mean(x), w0=w):       # what stop_gradient means
        return np.sum(((x - m) * w) ** 2) + w0 * w
    gx, gw = adc.grad(centered_energy, wrt=(0, 1), jit=jit)(x, w)
    np.testing.assert_allclose(gx, differences(frozen, (x, w), 0), rtol=1e-6)
    assert gw == pytest.approx(differences(frozen, (x, w), 1), rel=1e-6)
    _, tangent = adc.jvp(centered_energy, jit=jit)((x, w), (np.ones(4), 0.0))
    assert tangent == pytest.approx(np.sum(differences(frozen, (x, w), 0)), rel=1e-6)


# --------------------------------------------------------------------------- callables
def scaled(x, w, scale=1.0):
    return np.sum(np.tanh(x * w)) * scale


class Model:
    def __init__(self):
        self.W = RNG.standard_normal(3)
        self.k = 3.0

    def loss(self, x):
        return np.sum((x * self.W) ** 2) * self.k

    def __call__(self, x):
        return np.sum(np.sin(x) * self.W)


@JIT
def test_partial_methods_and_lambdas(jit):
    x = RNG.standard_normal(3)
    half = functools.partial(scaled, scale=0.5)
    np.testing.assert_allclose(adc.grad(half, jit=jit)(x, 0.7),
                               differences(lambda x: scaled(x, 0.7, 0.5), (x,), 0), rtol=1e-6)
    on_x = functools.partial(scaled, x)
    assert adc.grad(on_x, jit=jit)(0.7) == pytest.approx(
        differences(lambda w: scaled(x, w), (0.7,), 0), rel=1e-6)
    model = Model()
    np.testing.assert_allclose(adc.grad(model.loss, jit=jit)(x), 2 * x * model.W ** 2 * 3.0)
    np.testing.assert_allclose(adc.grad(model, jit=jit)(x), np.cos(x) * model.W)
    square = adc.grad(lambda v: np.sum(np.sin(v) * 2.0), jit=jit)
    np.testing.assert_allclose(square(x), 2 * np.cos(x))


def test_attributes_and_globals_rebound_later_are_seen():
    x = RNG.standard_normal(3)
    model = Model()
    g = adc.grad(model.loss)
    g(x)
    model.k = 5.0                               # a number: the code is made again
    np.testing.assert_allclose(g(x), 2 * x * model.W ** 2 * 5.0)
    model.W = np.ones(3)                        # an array: passed at every call
    np.testing.assert_allclose(g(x), 2 * x * 5.0)


SCALE = 2.0
WEIGHTS = np.array([1.0, -2.0, 0.5])


def reads_globals(x):
    return np.sum((x * WEIGHTS) ** 2) * SCALE


@JIT
def test_global_and_closure_arrays_are_read_at_each_call(jit):
    global SCALE, WEIGHTS
    x = RNG.standard_normal(3)
    g = adc.grad(reads_globals, jit=jit)
    try:
        np.testing.assert_allclose(g(x), differences(reads_globals, (x,), 0), rtol=1e-6)
        SCALE = 3.0
        WEIGHTS = WEIGHTS * 2
        np.testing.assert_allclose(g(x), differences(reads_globals, (x,), 0), rtol=1e-6)
        WEIGHTS[0] = 7.0                        # written in place: seen too
        np.testing.assert_allclose(g(x), differences(reads_globals, (x,), 0), rtol=1e-6)
        np.testing.assert_allclose(adc.hessian(reads_globals, jit=jit)(x),
                                   np.diag(2 * WEIGHTS ** 2 * SCALE), rtol=1e-9)
    finally:
        SCALE, WEIGHTS = 2.0, np.array([1.0, -2.0, 0.5])

    def make(matrix):
        def inner(v):
            return np.sum((matrix @ v) ** 2)
        return inner
    matrix = RNG.standard_normal((2, 3))
    np.testing.assert_allclose(adc.grad(make(matrix), jit=jit)(x),
                               2 * matrix.T @ (matrix @ x), rtol=1e-9)


def test_compile_compiles_now_and_says_so(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("ADC_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("ADC_QUIET", raising=False)
    g = adc.grad(scaled).compile(np.ones(3), 0.5)
    assert "adcompiler: compiling the grad of scaled(1-D array, scalar, scalar)" in capsys.readouterr().err
    np.testing.assert_allclose(g(np.ones(3), 0.5), 0.5 * (1 - np.tanh(0.5) ** 2))
    adc.grad(scaled).compile(np.ones(3), 0.5)       # in the cache now: nothing said
    assert capsys.readouterr().err == ""


# --------------------------------------------------------------------------- edge cases
def nested_from_two_returns(x, c):
    if c > 0.0:
        return (x, (x * x,))
    return (x, (x,))


def reads_nested(x, c):
    a, (b,) = nested_from_two_returns(x, c)
    return b + 0.5 * a


def dict_from_two_returns(x, c):
    if c > 0:
        return {"a": x * 2.0, "b": (x, 1.0)}
    return {"a": x * 3.0, "b": (x * x, 0.0)}


def reads_dict(x, c):
    d = dict_from_two_returns(x, c)
    return d["a"] + d["b"][0] * d["b"][1]


def held_then_returned(x, c):
    t = (x, x * 2.0)
    if c > 0:
        return t
    return (x, x)


def one_element(x):
    return (x * x,)


def unpacks_one_element(x):
    (b,) = one_element(x)
    c, = one_element(b)
    return c + one_element(x)[0]


@JIT
def test_structures_returned_from_several_places(jit):
    """Each path's values, not the last return's (they were, silently)."""
    for c in (1.0, -1.0):
        for func in (reads_nested, reads_dict):
            value, grad = adc.value_and_grad(func, jit=jit)(3.0, c)
            assert value == pytest.approx(func(3.0, c))
            assert grad == pytest.approx(differences(func, (3.0, c), 0), rel=1e-6)
            _, tangent = adc.jvp(func, jit=jit)((3.0, c), (1.0, 0.0))
            assert tangent == pytest.approx(grad)
    (value, aux), _ = adc.value_and_grad(dict_from_two_returns_aux, has_aux=True, jit=jit)(2.0, 1.0)
    assert aux == {"k": 20.0}
    assert adc.grad(unpacks_one_element, jit=jit)(1.5) == pytest.approx(
        differences(unpacks_one_element, (1.5,), 0), rel=1e-6)
    with pytest.raises(adc.DifferentiationError, match="one shape written out"):
        adc.grad(lambda x, c: held_then_returned(x, c)[1], jit=jit)(1.0, 1.0)


def dict_from_two_returns_aux(x, c):
    if c > 0:
        return x * c, {"k": x * 10.0}
    return x, {"k": x * 20.0}


def any_keys(p):
    return p["a.b"] * 2.0 + p["hidden-1"] ** 2 + p["hidden_1"]


def plain_to_dict(x):
    return {"a": x * 2.0, "b": (x, 3.0 * x)}


G0 = np.array(2.5)


def reads_g0(x):
    return np.sum(x * G0)


def test_keys_results_and_rebound_ranks():
    global G0
    assert adc.grad(any_keys)({"a.b": 1.5, "hidden-1": 2.0, "hidden_1": 1.0}) == \
        {"a.b": 2.0, "hidden-1": 4.0, "hidden_1": 1.0}
    value, tangent = adc.jvp(plain_to_dict)((1.0,), (1.0,))
    assert value == {"a": 2.0, "b": (1.0, 3.0)} and tangent == {"a": 2.0, "b": (1.0, 3.0)}
    g = adc.grad(reads_g0)
    np.testing.assert_allclose(g(np.ones(3)), 2.5)
    try:
        G0 = np.ones((2, 3)) * 2.0                      # another rank: compiled anew
        np.testing.assert_allclose(g(np.ones(3)), 4.0)
    finally:
        G0 = np.array(2.5)
    make = (lambda p: lambda x, n=p: np.sum(x ** n))    # a default from the enclosing scope
    np.testing.assert_allclose(adc.grad(make(3))(np.full(2, 2.0)), 12.0)
    with pytest.raises(TypeError, match="second derivatives"):
        adc.hessian(mlp_loss, wrt=1)(*params_and_data())


# ------------------------------------------------- decorators and globals of other modules

WRAPPED = '''
import functools
import numpy as np

def doubled(fn):
    @functools.wraps(fn)
    def wrapper(a):
        return 2.0 * fn(a)
    return wrapper

@doubled
def squared(a):
    return a * a

def calls_it(x):
    return np.sum(squared(x) * x)
'''

MODULES = {"weights_a.py": "import numpy as np\nG = np.array([10.0, 20.0, 30.0])\n\n"
                           "def scaled(a):\n    return a * G\n",
           "uses_both.py": "import numpy as np\nimport weights_a\nG = np.array([1.0, 2.0, 3.0])"
                           "\n\ndef f(x):\n    return np.sum(weights_a.scaled(x) * x) "
                           "+ np.sum(x * G)\n"}


def test_a_function_wrapped_by_a_decorator_is_refused_not_differentiated_undecorated(
        tmp_path, monkeypatch):
    (tmp_path / "wrapped.py").write_text(WRAPPED)
    monkeypatch.syspath_prepend(str(tmp_path))
    import wrapped
    for func in (wrapped.calls_it, wrapped.squared):
        with pytest.raises(adc.DifferentiationError, match="wrapped by a decorator"):
            adc.grad(func)(np.array([0.3, -0.7, 1.2]))


@JIT
def test_global_arrays_of_the_same_name_in_two_modules_are_two_inputs(tmp_path, monkeypatch,
                                                                       jit):
    for name, text in MODULES.items():
        (tmp_path / name).write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    import uses_both
    x = np.array([0.3, -0.7, 1.2])
    gradient = adc.grad(uses_both.f, jit=jit)(x)
    np.testing.assert_allclose(gradient, differences(uses_both.f, [x], 0), rtol=1e-6)
    np.testing.assert_allclose(gradient, 2 * x * [10.0, 20.0, 30.0] + [1.0, 2.0, 3.0])
