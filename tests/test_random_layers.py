"""Layers with random inputs (``Layer.random_inputs``): fractional max pooling's regions drawn
anew for every training batch, one draw for the whole batch, the same in compiled and Python
steps; predictions averaged over ``test_draws`` draws; the inputs passed in ``call``'s order."""
import numpy as np
import pytest

from adcompiler.runtime import (SGD, Conv2D, Dense, Flatten, FractionalMaxPool2D, Input, Layer,
                                Sequential, pooling_sequence, sparse_categorical_crossentropy)
from adcompiler.runtime.fractional_pooling import region_boundaries


def fractional_model(eager, test_draws=1):
    model = Sequential([Input((9, 9, 1)), Conv2D(2, 2, activation="tanh"),
                        FractionalMaxPool2D(1.5, overlapping=True, test_draws=test_draws),
                        Flatten(), Dense(3, activation="softmax")], dtype="float64", seed=1)
    model.compile(SGD(learning_rate=0.0), "sparse_categorical_crossentropy", run_eagerly=eager)
    return model


def step_losses(model, x, y, batch_size, seed):
    """The loss of each training step over ``x`` in order (the weights unchanged: lr 0)."""
    fitter = model.compiled
    steps = len(x) // batch_size
    losses = np.zeros(steps)
    fitter.run_steps(fitter.step_for(x, y), x, y, np.arange(len(x)), batch_size, 0, steps,
                     seed, losses)
    return losses


def network_loss(model, rows, columns, x, y):
    network = model.network_for(model.compiled.loss)
    outputs = network.network(*network.weight_values(), rows, columns, x)
    return np.mean(sparse_categorical_crossentropy(y, outputs))


@pytest.mark.parametrize("eager", [False, True], ids=["jit", "python"])
def test_each_training_batch_draws_one_set_of_regions_for_all_its_images(eager):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((12, 9, 9, 1)), rng.integers(0, 3, 12)
    model = fractional_model(eager)
    losses = step_losses(model, x, y, 3, seed=40)
    for step, loss in enumerate(losses):
        np.random.seed(40 + step)               # the step's draw, as the step makes it
        rows = region_boundaries(8, 5, False, np.random.random(), np.random.permutation(5))
        columns = region_boundaries(8, 5, False, np.random.random(), np.random.permutation(5))
        rows_of_batch = slice(3 * step, 3 * step + 3)
        assert loss == pytest.approx(network_loss(model, rows, columns, x[rows_of_batch],
                                                  y[rows_of_batch]), rel=1e-12)
    repeated = step_losses(model, np.repeat(x[:1], 12, axis=0), np.repeat(y[:1], 12), 1, 40)
    assert len(set(repeated.round(12))) > 3     # the same image, other regions at each step


def test_compiled_and_python_steps_draw_the_same_regions():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((8, 9, 9, 1)), rng.integers(0, 3, 8)
    compiled, python = (step_losses(fractional_model(eager), x, y, 2, 7)
                        for eager in (False, True))
    np.testing.assert_allclose(compiled, python, rtol=1e-12)


def test_predictions_average_the_outputs_over_test_draws():
    x = np.random.default_rng(2).standard_normal((5, 9, 9, 1))
    model = fractional_model(False, test_draws=4)
    network = model.network_for(model.compiled.loss)
    rng, outputs = np.random.default_rng(0), []
    for _ in range(4):
        rows, columns = (pooling_sequence(8, 1.5, False, rng) for _ in range(2))
        outputs.append(network.network(*network.weight_values(), rows, columns, x))
    np.testing.assert_allclose(model.predict(x), np.mean(outputs, axis=0), rtol=1e-12)
    assert not np.allclose(outputs[0], outputs[1])


class Shifted(Layer):
    """inputs - offset, the offset a random input (ones at inference)."""

    random_inputs = ("offset",)

    def call(self, inputs, offset):
        return inputs - 2.0 * offset

    def step_draws(self, names, dtype):
        return [], [f"{names[0]} = np.random.random(x.shape)"]

    def inference_draws(self, dtype, rng):
        return [np.ones((1,) + self.input_shape, dtype)]


@pytest.mark.parametrize("eager", [False, True], ids=["jit", "python"])
def test_random_inputs_are_passed_after_the_layers_inputs(eager):
    model = Sequential([Input((3,)), Shifted(), Dense(1)], dtype="float64")
    model.compile(SGD(learning_rate=0.0), "mse", run_eagerly=eager)
    model.build()
    model.layers[1].kernel[...] = 1.0
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(model.predict(x), (x - 2.0).sum(axis=1, keepdims=True))


@pytest.mark.parametrize("arguments, message", [
    ({"ratio": 2.0}, "ratio must be in"), ({"ratio": 1.0}, "ratio must be in"),
    ({"test_draws": 0}, "test_draws"),
])
def test_fractional_pooling_layer_arguments_are_checked(arguments, message):
    with pytest.raises(ValueError, match=message):
        FractionalMaxPool2D(**arguments)


def test_fractional_pooling_layer_takes_images():
    with pytest.raises(ValueError, match="takes images"):
        Sequential([Input((9, 9)), FractionalMaxPool2D()]).build()
