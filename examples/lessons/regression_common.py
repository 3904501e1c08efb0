"""What the lessons' regression programs (from1 ... exponenc2) share: the data, the training
of the lesson (SGD, learning rate 1, MSE, 120 epochs of batch 1 in order) and the printout."""
import numpy as np

from adcompiler.runtime import SGD

AX = np.array([[0.9, 0.1], [0.1, 0.9]], dtype="float32")
AY = np.array([[0.1, 0.9], [0.9, 0.1]], dtype="float32")
QX = np.array([[0.9, 0.1], [0.1, 0.9], [0.8, 0.0], [0.2, 0.9]], dtype="float32")


def train_and_query(model, run_eagerly=False, verbose=0, shuffle=False, between=None,
                    learning_rate=1.0):
    """Train ``model`` as the lessons do, print QX and the predictions QP; return QP."""
    model.compile(optimizer=SGD(learning_rate=learning_rate), loss="mse",
                  run_eagerly=run_eagerly)
    model.fit(AX, AY, epochs=120, batch_size=1, shuffle=shuffle, verbose=verbose)
    if between:
        print(between)
    print("QX=")
    print(QX)
    qp = model.predict(QX, verbose=0)
    print("QP=")
    print(qp)
    return qp


def run(model, argv, **options):
    """Train and query ``model`` (``train_and_query``'s options), then with --show print its
    generated code; return QP."""
    qp = train_and_query(model, **options)
    if "--show" in argv:
        show(model)
    return qp


def show(model):
    """Print the network adcompiler differentiates and the compiled training step."""
    print(model.network_source())
    print(model.training_source(AX, AY))
