"""Losses averaged as Keras averages them: each sample's loss is the mean over the last axis,
and the result is the mean over the samples (for same-shaped inputs, the mean of all
elements). ``y_true`` comes first, as in Keras.

mae's derivative at ``y_pred == y_true`` is 0 (TensorFlow's |x|' at 0). Probabilities are
clipped to [1e-7, 1 - 1e-7] before their logarithm, as Keras does; the clipped ones get no
gradient. ``from_logits=True`` takes logits instead, with the stable formulas.
"""
import numpy as np
from numba import njit
from numba.extending import overload

from adcompiler.rules import importable

from .entry import operation
from .unlinked import unlinked

EPSILON = 1e-7


def scalar_of(value, like):
    """``value`` as a scalar of ``like``'s dtype: a float32 loss stays float32 in compiled
    code too."""
    return like.dtype.type(value)


@overload(scalar_of)
def _scalar_of(value, like):
    dtype = like.dtype
    return lambda value, like: dtype(value)


@njit(cache=True)
def same_shapes(name, y_true, y_pred):
    if y_true.shape != y_pred.shape:
        raise ValueError(name + ": y_true and y_pred must have the same shape")


@importable
@unlinked
@njit(cache=True)
def inner(a, b):
    """``sum(a * b)``: a loss's tangent from its gradient and an input's tangent."""
    total = 0.0
    flat_b = b.ravel()
    for i, v in enumerate(a.ravel()):
        total += v * flat_b[i]
    return scalar_of(total, a)


@operation({"y_true": None, "y_pred": None}, scalar_like="y_pred")
def mse(y_true, y_pred):
    """Mean squared error."""
    same_shapes("mse", y_true, y_pred)
    total = 0.0
    flat_true = y_true.ravel()
    for i, p in enumerate(y_pred.ravel()):
        total += (p - flat_true[i]) ** 2
    return scalar_of(total / max(y_pred.size, 1), y_pred)


@importable
@unlinked
@njit(cache=True)
def mse_adjoint(loss_bar, wrt, other):
    """``wrt``'s share of ``mse``, the other input being ``other``: 2 (wrt - other) / size."""
    same_shapes("mse", wrt, other)     # also here: the loss itself may not be computed
    out = np.empty(wrt.size, wrt.dtype)
    flat_other = other.ravel()
    scale = 2.0 * loss_bar / max(wrt.size, 1)
    for i, v in enumerate(wrt.ravel()):
        out[i] = scale * (v - flat_other[i])
    return out.reshape(wrt.shape)


@operation({"y_true": None, "y_pred": None}, scalar_like="y_pred")
def mae(y_true, y_pred):
    """Mean absolute error."""
    same_shapes("mae", y_true, y_pred)
    total = 0.0
    flat_true = y_true.ravel()
    for i, p in enumerate(y_pred.ravel()):
        total += abs(p - flat_true[i])
    return scalar_of(total / max(y_pred.size, 1), y_pred)


@importable
@unlinked
@njit(cache=True)
def mae_adjoint(loss_bar, wrt, other):
    """``wrt``'s share of ``mae``: sign(wrt - other) / size, with sign(0) = 0."""
    same_shapes("mae", wrt, other)
    out = np.empty(wrt.size, wrt.dtype)
    flat_other = other.ravel()
    scale = loss_bar / max(wrt.size, 1)
    for i, v in enumerate(wrt.ravel()):
        d = v - flat_other[i]
        out[i] = scale if d > 0 else (-scale if d < 0 else 0)
    return out.reshape(wrt.shape)


@njit(cache=True)
def clipped(p):
    return min(max(p, EPSILON), 1 - EPSILON)


@operation({"y_true": None, "y_pred": None}, scalar_like="y_pred")
def binary_crossentropy(y_true, y_pred, from_logits=False):
    """-(t log p + (1 - t) log(1 - p)), averaged; ``y_pred`` probabilities, or logits."""
    same_shapes("binary_crossentropy", y_true, y_pred)
    total = 0.0
    flat_true = y_true.ravel()
    for i, z in enumerate(y_pred.ravel()):
        t = flat_true[i]
        if from_logits:
            total += max(z, 0) - z * t + np.log1p(np.exp(-abs(z)))
        else:
            p = clipped(z)
            total -= t * np.log(p) + (1 - t) * np.log(1 - p)
    return scalar_of(total / max(y_pred.size, 1), y_pred)


@importable
@unlinked
@njit(cache=True)
def binary_crossentropy_adjoint_pred(loss_bar, y_true, y_pred, from_logits):
    """y_pred's share: (sigmoid(z) - t) / size for logits z; for probabilities
    (p - t) / (p (1 - p)) / size inside the clipping range, else 0."""
    same_shapes("binary_crossentropy", y_true, y_pred)
    out = np.empty(y_pred.size, y_pred.dtype)
    flat_true = y_true.ravel()
    scale = loss_bar / max(y_pred.size, 1)
    for i, z in enumerate(y_pred.ravel()):
        t = flat_true[i]
        if from_logits:
            s = 1 / (1 + np.exp(-z)) if z >= 0 else np.exp(z) / (1 + np.exp(z))
            out[i] = scale * (s - t)
        elif EPSILON <= z <= 1 - EPSILON:
            out[i] = scale * (z - t) / (z * (1 - z))
        else:
            out[i] = 0
    return out.reshape(y_pred.shape)


@importable
@unlinked
@njit(cache=True)
def binary_crossentropy_adjoint_true(loss_bar, y_true, y_pred, from_logits):
    """y_true's share: -z / size for logits z; log((1 - p) / p) / size for probabilities."""
    same_shapes("binary_crossentropy", y_true, y_pred)
    out = np.empty(y_true.size, y_true.dtype)
    flat_pred = y_pred.ravel()
    scale = loss_bar / max(y_true.size, 1)
    for i in range(y_true.size):
        z = flat_pred[i]
        if from_logits:
            out[i] = -scale * z
        else:
            p = clipped(z)
            out[i] = scale * (np.log(1 - p) - np.log(p))
    return out.reshape(y_true.shape)


@njit(cache=True)
def class_rows(y_true, y_pred):
    """y_pred as (samples, classes) and the labels as integers, checked."""
    classes = y_pred.shape[-1]
    if y_true.size * classes != y_pred.size or y_true.ndim != y_pred.ndim - 1:
        raise ValueError("sparse_categorical_crossentropy: y_true must hold one label per "
                         "row of y_pred (shape y_pred.shape[:-1])")
    labels = np.empty(y_true.size, np.int64)
    for i, v in enumerate(y_true.ravel()):
        label = int(v)
        if label != v or label < 0 or label >= classes:
            raise ValueError("sparse_categorical_crossentropy: labels must be integers in "
                             "[0, " + str(classes) + ")")
        labels[i] = label
    return np.ascontiguousarray(y_pred).reshape(y_true.size, classes), labels


@njit(cache=True)
def share(row, j, from_logits, top):
    """exp(z_j - top), for z the row's logits, or log(clip(p)) for a row of probabilities
    (which log_softmax then renormalizes, as Keras does): exp(z_j) is clip(p_j) then, and
    ``top`` is 0."""
    return np.exp(row[j] - top) if from_logits else clipped(row[j])


@njit(cache=True)
def normalizer(row, from_logits):
    """(top, total): log_softmax(z)_j = z_j - top - log(total), total the sum of the shares
    (a logarithm or exponential per row, where allocating and taking logs per entry had cost
    more than the rest of the loss)."""
    top = 0.0
    if from_logits:
        top = -np.inf
        for j in range(row.size):
            top = max(top, float(row[j]))
    total = 0.0
    for j in range(row.size):
        total += share(row, j, from_logits, top)
    return top, total


@operation({"y_true": None, "y_pred": None}, scalar_like="y_pred", labels=("y_true",))
def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False):
    """-log of each sample's probability of its label, averaged; ``y_true`` integer labels
    (ints or integral floats) of shape ``y_pred.shape[:-1]``, ``y_pred`` probabilities over
    the last axis, or logits."""
    rows, labels = class_rows(y_true, y_pred)
    total = 0.0
    for i in range(rows.shape[0]):
        top, shares = normalizer(rows[i], from_logits)
        label = rows[i, labels[i]]
        total += top + np.log(shares) - (label if from_logits else np.log(clipped(label)))
    return scalar_of(total / max(rows.shape[0], 1), y_pred)


@importable
@unlinked
@njit(cache=True)
def sparse_categorical_crossentropy_adjoint(loss_bar, y_true, y_pred, from_logits):
    """y_pred's share: (softmax - one_hot(label)) / samples for logits, times 1 / p inside the
    clipping range for probabilities."""
    rows, labels = class_rows(y_true, y_pred)
    out = np.empty(rows.shape, y_pred.dtype)
    scale = loss_bar / max(rows.shape[0], 1)
    for i in range(rows.shape[0]):
        top, shares = normalizer(rows[i], from_logits)
        for j in range(rows.shape[1]):
            q = share(rows[i], j, from_logits, top) / shares - (j == labels[i])
            p = rows[i, j]
            if from_logits:
                out[i, j] = scale * q
            elif EPSILON <= p <= 1 - EPSILON:
                out[i, j] = scale * q / p
            else:
                out[i, j] = 0
    return out.reshape(y_pred.shape)
