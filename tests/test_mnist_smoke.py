"""A short training on MNIST (the full data beside the project when present, else the shipped
sample): the compiled step learns digits."""
from pathlib import Path

import numpy as np

from adcompiler.runtime import Adam, load_mnist
from adcompiler.runtime.zoo import lenet5, mlp

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


def data():
    return load_mnist(SHARED if SHARED.is_dir() else None, download=False, quiet=True)


def test_mlp_learns_digits_from_a_few_thousand_images():
    mnist = data()
    model = mlp(seed=1)
    model.compile(optimizer=Adam(0.002), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(mnist.x_train[:3000], mnist.y_train[:3000], epochs=3, batch_size=32,
                        verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    _, accuracy = model.evaluate(mnist.x_test[:1000], mnist.y_test[:1000])
    assert accuracy > 0.85, accuracy


def test_lenet5_has_the_shapes_of_the_paper():
    model = lenet5()
    model.build()
    shapes = [layer.output_shape for layer in model.layers]
    assert shapes == [(28, 28, 6), (14, 14, 6), (10, 10, 16), (5, 5, 16), (400,), (120,), (84,),
                      (10,)]
    assert sum(layer.count_params() for layer in model.layers) == 61706
    predictions = model.predict(data().x_test[:5])
    np.testing.assert_allclose(predictions.sum(axis=1), 1.0, rtol=1e-5)
