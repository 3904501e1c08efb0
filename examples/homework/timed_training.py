"""What both homework programs share: their data options, and training a network as ``adc train
mnist`` does (Adam, batch 64, sparse categorical cross-entropy), its epochs timed apart from
the compilation."""
import time

from adcompiler.runtime import Adam


def add_data_arguments(parser):
    """--data, --download, --epochs and --train-images."""
    parser.add_argument("--data", help="directory holding the four MNIST .gz files")
    parser.add_argument("--download", action="store_true")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--train-images", type=int, default=None)


def seconds_per_epoch(model, data, epochs, train_images=None, learning_rate=1e-3):
    """Compile the training step, then train ``epochs`` epochs on the first ``train_images``
    training images (all by default); the seconds of one epoch."""
    model.compile(optimizer=Adam(learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = data.x_train[:train_images], data.y_train[:train_images]
    model.warm_up(x, y)
    start = time.perf_counter()
    model.fit(x, y, epochs=epochs, batch_size=64, verbose=0)
    return (time.perf_counter() - start) / epochs


def test_error(model, data):
    """The fraction of the test images ``model`` classifies wrong."""
    return 1.0 - model.evaluate(data.x_test, data.y_test, batch_size=1000)[1]
