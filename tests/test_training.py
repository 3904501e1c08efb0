"""The model API: the lessons' regression programs against TensorFlow's values, every layer's
gradient against finite differences, the compiled training step against an update computed
from finite differences, and the errors a user meets."""
import contextlib
import io
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import adcompiler as adc
from adcompiler.runtime import (SGD, Activation, Adam, AvgPool2D, Conv2D, Dense, Dropout,
                                Flatten, FractionalMaxPool2D, Input, Layer, LayerError,
                                MaxPool2D, NonFiniteLoss, Sequential)
from adcompiler.runtime.batch_rows import take_rows

ROOT = Path(__file__).resolve().parent.parent
LESSONS = ROOT / "examples" / "lessons"
REFERENCE = json.loads((Path(__file__).parent / "reference" / "lessons.json").read_text())


def lesson(name):
    sys.path.insert(0, str(LESSONS))
    try:
        import importlib.util
        spec = importlib.util.spec_from_file_location(f"lesson_{name}", LESSONS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(LESSONS))


def run(module, *argv):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        qp = module.main(list(argv))
    return qp, out.getvalue()


def test_from3_reproduces_tensorflow():
    qp, printed = run(lesson("from3"))
    np.testing.assert_allclose(qp, REFERENCE["regression_mydense"]["QP"], atol=1e-5)
    assert "QX=" in printed and "QP=" in printed


def test_exponenc2_matches_the_lesson():
    qp, _ = run(lesson("exponenc2"))
    printed_in_lesson = [[0.10000002, 0.9], [0.9, 0.10000002], [0.06504607, 0.9557694],
                         [0.8474424, 0.1339904]]
    np.testing.assert_allclose(qp, printed_in_lesson, atol=1e-4)


def test_from4_prints_inside_the_layer_and_trains_as_from3():
    qp, printed = run(lesson("from4"))
    np.testing.assert_allclose(qp, REFERENCE["regression_mydense"]["QP"], atol=1e-5)
    assert printed.count("inputs=") > 480          # 120 epochs x 2 samples x 2 layers, eager
    assert "z= [[0.09999" in printed


def check_network(model, x, y, loss, jit):
    """The gradient of the model's loss function against finite differences, both modes."""
    model.compile(optimizer="sgd", loss=loss)
    network = model.network_for(model.compiled.loss)
    args = network.arguments(x.dtype) + [x, y]      # one draw of the random layers' inputs
    assert adc.check_grad(network.training_loss, *args,
                          wrt=tuple(range(len(network.weight_names))), jit=jit, rtol=1e-5)


class MyDense(Layer):
    """from3's layer, as the lesson writes it."""

    def build(self, input_shape):
        self.W = np.array([[0.3, -0.8], [-0.4, 0.2]])
        self.b = np.array([0.0, 0.0])

    def call(self, inputs):
        z0 = inputs[:, 0] * self.W[0, 0] + inputs[:, 1] * self.W[1, 0] + self.b[0]
        z1 = inputs[:, 0] * self.W[0, 1] + inputs[:, 1] * self.W[1, 1] + self.b[1]
        return np.stack([z0, z1], axis=1)


class ScalarDense(Layer):
    """from4's layer: a scalar weight per entry, a loop over the outputs."""

    def __init__(self, units):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.scale = 0.7
        self.W = self.add_weight("W", (input_shape[-1], self.units))

    def call(self, inputs):
        z = np.zeros((inputs.shape[0], self.units))
        for j in range(self.units):
            z[:, j] = self.scale * (inputs @ self.W[:, j])
        return z


def lesson_layer(name, layer):
    return getattr(lesson(name), layer)


@pytest.mark.parametrize("jit", [True, False], ids=["jit", "python"])
def test_gradients_of_the_lessons_layers(jit):
    rng = np.random.default_rng(1)
    x, y = rng.uniform(0.1, 0.9, (3, 2)), rng.uniform(0.1, 0.9, (3, 2))
    model = Sequential([Input((2,)), MyDense(), Activation("sigmoid"),
                        lesson_layer("exponenc2", "Exponenc")(), ScalarDense(3), Activation("tanh"),
                        lesson_layer("from2", "MyDense")(2)], dtype="float64", seed=3)
    check_network(model, x, y, "mse", jit)


@pytest.mark.parametrize("jit", [True, False], ids=["jit", "python"])
def test_gradients_of_the_built_in_layers(jit):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 9, 9, 2))
    y = np.array([1, 2])
    model = Sequential([Input((9, 9, 2)), Conv2D(3, 3, activation="tanh"),
                        FractionalMaxPool2D(1.5), AvgPool2D(2, strides=1), Conv2D(2, 2, strides=(1, 2), padding="same"),
                        MaxPool2D(2), Flatten(), Dropout(0.3),
                        Dense(4, activation="sigmoid"), Dense(3, activation="softmax")],
                       dtype="float64", seed=4)
    check_network(model, x, y, "sparse_categorical_crossentropy", jit)


def test_a_training_step_is_the_update_of_a_finite_difference_gradient():
    """SGD with momentum over two steps, against the same updates computed from central
    differences of the model's own (Python) outputs."""
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    model = Sequential([Input((3,)), Dense(4, activation="tanh"), Dense(2)],
                       dtype="float64", seed=6)
    start = model.get_weights()

    def loss(weights):
        model.set_weights(weights)
        return np.mean((model(x) - y) ** 2)

    def difference_gradient(weights):
        grads = []
        for k, w in enumerate(weights):
            g = np.zeros_like(w)
            for i in np.ndindex(w.shape):
                up = [v.copy() for v in weights]
                down = [v.copy() for v in weights]
                up[k][i] += 1e-6
                down[k][i] -= 1e-6
                g[i] = (loss(up) - loss(down)) / 2e-6
            grads.append(g)
        return grads

    weights = [w.copy() for w in start]
    velocity = [np.zeros_like(w) for w in start]
    for _ in range(2):
        grads = difference_gradient(weights)
        velocity = [0.5 * v - 0.1 * g for v, g in zip(velocity, grads)]
        weights = [w + v for w, v in zip(weights, velocity)]
    model.set_weights(start)
    model.compile(optimizer=SGD(learning_rate=0.1, momentum=0.5), loss="mse")
    model.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
    for got, want in zip(model.get_weights(), weights):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)


ROWS = st.one_of(st.lists(st.integers(-6, 5), max_size=8),
                 st.tuples(st.integers(-3, 5), st.integers(1, 6)).map(
                     lambda s: list(range(s[0], min(s[0] + s[1], 6)))))


@settings(max_examples=60, deadline=None)
@given(rows=ROWS)
def test_a_steps_batch_is_its_rows_of_the_data_viewed_when_consecutive(rows):
    data = np.arange(24.0).reshape(6, 2, 2)
    batch = take_rows(data, np.array(rows, np.int64))
    np.testing.assert_array_equal(batch, data[rows])
    consecutive = bool(rows) and rows[0] >= 0 and rows == list(range(rows[0], rows[-1] + 1))
    assert np.shares_memory(batch, data) == consecutive


def test_adam_follows_keras_formula():
    x, y = np.array([[1.0, 2.0]]), np.array([[0.5]])
    model = Sequential([Input((2,)), Dense(1, kernel_initializer="ones")], dtype="float64")
    model.compile(optimizer=Adam(learning_rate=0.1), loss="mse")
    model.fit(x, y, epochs=1, batch_size=1, verbose=0)
    g = 2 * (3.0 - 0.5) * np.array([1.0, 2.0])           # d loss / d kernel at the start
    m, v = 0.1 * g, 0.001 * g * g
    alpha = 0.1 * np.sqrt(1 - 0.999) / (1 - 0.9)
    np.testing.assert_allclose(model.weights[0].ravel(), 1 - alpha * m / (np.sqrt(v) + 1e-7))


def test_fit_reports_loss_history_and_validation():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((40, 4)).astype(np.float32)
    labels = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    model = Sequential([Input((4,)), Dense(8, activation="relu"), Dense(2, activation="softmax")])
    model.compile(optimizer=Adam(0.05), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, labels, epochs=15, batch_size=8, validation_data=(x, labels),
                        verbose=0)
    assert len(history.history["loss"]) == 15
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["val_accuracy"][-1] >= 0.9
    loss, accuracy = model.evaluate(x, labels)
    assert accuracy == history.history["val_accuracy"][-1]
    assert model.predict(x).dtype == np.float32


def test_weights_save_and_load(tmp_path):
    model = Sequential([Input((3,)), Dense(2)], seed=1)
    path = tmp_path / "w.npz"
    model.save_weights(path)
    other = Sequential([Input((3,)), Dense(2, name=model.layers[0].name)], seed=2)
    other.load_weights(path)
    np.testing.assert_array_equal(other.weights[0], model.weights[0])
    wrong = Sequential([Input((4,)), Dense(2, name=model.layers[0].name)])
    with pytest.raises(ValueError, match="shape"):
        wrong.load_weights(path)
    path.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="cannot read weights"):
        other.load_weights(path)


class Assigns(Layer):
    def build(self, input_shape):
        self.w = np.ones(2)

    def call(self, inputs):
        self.last = inputs
        return inputs * self.w


class Unsupported(Layer):
    def build(self, input_shape):
        self.w = np.ones(2)

    def call(self, inputs):
        return np.fft.fft(inputs * self.w)


def test_errors_name_the_layer_and_the_line():
    with pytest.raises(LayerError, match="call: it assigns self.last"):
        Sequential([Input((2,)), Assigns(name="assigns")]).build()
    model = Sequential([Input((2,)), Unsupported()])
    model.compile(loss="mse")
    with pytest.raises(adc.DifferentiationError) as info:
        model.fit(np.ones((2, 2)), np.ones((2, 2)), verbose=0)
    assert info.value.filename == __file__
    assert "np.fft.fft(inputs * self.w)" in str(info.value)
    with pytest.raises(ValueError, match=r"samples of shape \(3,\); the model takes \(2,\)"):
        model.predict(np.ones((2, 3)))
    with pytest.raises(ValueError, match="non-finite"):
        model.predict(np.array([[1.0, np.nan]]))
    with pytest.raises(ValueError, match="conv2d.*: Conv2D takes images"):
        Sequential([Input((2,)), Conv2D(2, 3)]).build()
    with pytest.raises(ValueError, match=r"'my_dense.*' \(MyDense\) cannot take inputs of "
                                         r"shape \(None, 1\)"):
        Sequential([Input((1,)), MyDense()]).build()


def test_a_non_finite_loss_stops_before_the_update():
    x = np.array([[1.0], [1e30]], dtype=np.float32)
    model = Sequential([Input((1,)), Dense(1, kernel_initializer="ones")])
    model.compile(optimizer=SGD(1e-3), loss="mse")
    with pytest.raises(NonFiniteLoss, match="epoch 1, step 2") as info:
        model.fit(x, np.zeros((2, 1), np.float32), batch_size=1, shuffle=False, verbose=0)
    assert "the loss is not" in str(info.value)
    assert np.all(np.isfinite(model.weights[0]))


class OneLine(Layer):
    def build(self, input_shape): self.w = np.ones(input_shape[-1])   # noqa: E704
    def call(self, inputs): return inputs * self.w                    # noqa: E704


class WritesWeight(Layer):
    def build(self, input_shape):
        self.w = np.ones(input_shape[-1])

    def call(self, inputs):
        self.w[0] = 2.0
        return inputs * self.w


def per_sample_mse(y_true, y_pred):
    return np.mean((y_pred - y_true) ** 2, axis=-1)


def test_what_keras_users_write_works():
    x = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    labels = np.array([[1], [0], [1]])                 # integer 0/1 targets
    model = Sequential([Input((2,)), OneLine(), Dense(1, activation="sigmoid")], seed=2)
    assert len(model.get_weights()) == 3               # built as soon as the input is known
    model.compile(optimizer=SGD(0.5), loss="binary_crossentropy")
    history = model.fit(x, labels, epochs=20, batch_size=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.predict(np.zeros((0, 2))).shape == (0, 1)
    with pytest.raises(ValueError, match="at least one sample"):
        model.fit(np.zeros((0, 2)), np.zeros((0, 1)), verbose=0)
    # a loss returning a value per sample is averaged: the same training as "mse"
    a, b = (Sequential([Input((2,)), Dense(1)], dtype="float64", seed=1) for _ in range(2))
    a.compile(optimizer=SGD(0.1), loss=per_sample_mse)
    b.compile(optimizer=SGD(0.1), loss="mse")
    y = np.array([[1.0], [0.0], [2.0]])
    for model in (a, b):
        model.fit(x, y, batch_size=2, epochs=2, shuffle=False, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-12)
    assert a.evaluate(x, y) == pytest.approx(b.evaluate(x, y))
    fresh = Sequential([Input((2,)), OneLine(), Dense(1)], seed=2)
    assert fresh(x).shape == (3, 1)                     # calling a model builds it


def test_weights_load_by_layer_position_and_layers_are_not_shared(tmp_path):
    first = Sequential([Input((3,)), Dense(2), Dense(1)], seed=1)
    again = Sequential([Input((3,)), Dense(2), Dense(1)], seed=2)     # other automatic names
    first.save_weights(tmp_path / "w.npz")
    again.load_weights(tmp_path / "w.npz")
    for wa, wb in zip(first.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    layer = Dense(2)
    with pytest.raises(ValueError, match="already in"):
        Sequential([Input((2,)), layer, layer])
    with pytest.raises(LayerError, match=r"writes into self.w \(line \d+\)"):
        Sequential([Input((2,)), WritesWeight()]).build()


MASK = np.array([1.0, 0.0, 0.5])
SCALE = 2.0


class ReadsGlobals(Layer):
    """A layer reading a global array and a global number."""

    def build(self, input_shape):
        self.w = np.ones(input_shape[-1]) * 0.5

    def call(self, inputs):
        return np.tanh(inputs * self.w * MASK * SCALE)


def test_layers_reading_globals_train_and_see_them_rebound():
    global SCALE, MASK
    rng = np.random.default_rng(8)
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 1))
    model = Sequential([Input((3,)), ReadsGlobals(), Dense(1)], dtype="float64", seed=9)
    start = model.get_weights()

    def loss(weights):
        model.set_weights(weights)
        return np.mean((model(x) - y) ** 2)
    expected = []
    for k, w in enumerate(start):                   # one SGD step from central differences
        grad = np.zeros_like(w)
        for i in np.ndindex(w.shape):
            up, down = [v.copy() for v in start], [v.copy() for v in start]
            up[k][i] += 1e-6
            down[k][i] -= 1e-6
            grad[i] = (loss(up) - loss(down)) / 2e-6
        expected.append(w - 0.1 * grad)
    model.set_weights(start)
    model.compile(optimizer=SGD(0.1), loss="mse")
    model.fit(x, y, batch_size=4, shuffle=False, verbose=0)
    for got, want in zip(model.get_weights(), expected):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)
    try:
        SCALE = 3.0                                 # rebound after compiling: seen
        np.testing.assert_allclose(model.predict(x), model(x), rtol=1e-12)
        MASK[1] = 1.0                               # written in place: seen
        np.testing.assert_allclose(model.predict(x), model(x), rtol=1e-12)
        MASK = MASK * 2.0                           # rebound: seen
        np.testing.assert_allclose(model.predict(x), model(x), rtol=1e-12)
    finally:
        SCALE = 2.0
        MASK = np.array([1.0, 0.0, 0.5])


def test_dropout_masks_do_not_depend_on_the_progress_bar():
    rng = np.random.default_rng(10)
    x, y = rng.standard_normal((64, 5)), rng.standard_normal((64, 2))
    trained = []
    for verbose in (0, 1):
        model = Sequential([Input((5,)), Dense(8, activation="tanh"), Dropout(0.5), Dense(2)],
                           dtype="float64", seed=11)
        model.compile(optimizer=SGD(0.05), loss="mse")
        model.fit(x, y, epochs=2, batch_size=1, verbose=verbose)
        trained.append(model.get_weights())
    for a, b in zip(*trained):
        np.testing.assert_array_equal(a, b)
