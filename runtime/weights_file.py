"""Weights saved as ``.npz`` (never pickle), one array per ``<k>/<layer>/<attribute>`` (k the
layer's position), written to a temporary file beside the target and renamed over it, so an
interrupted save loses nothing. Loading matches layers by position, as Keras does: a model
built again the same way loads them whatever its layers were named."""
import zipfile
from pathlib import Path

import numpy as np

from adcompiler.files import write_atomically


def save_weights(model, path):
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"weights are saved as .npz; got {path}")
    arrays = dict(keyed_weights(model))
    write_atomically(path, lambda handle: np.savez(handle, **arrays))


def load_weights(model, path):
    assign_weights(model, read_arrays(path, "weights"), path)


def read_arrays(path, what):
    """Every array of the .npz file ``path`` (``what`` it should hold names it in errors)."""
    try:
        with np.load(path, allow_pickle=False) as saved:
            return {key: saved[key] for key in saved.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"cannot read {what} from {path}: {exc}") from exc


def assign_weights(model, arrays, path):
    """Copy ``arrays`` (keyed as ``keyed_weights`` keys them) into the model's weights, after
    checking that every layer's are there with the shapes the model has."""
    expected = dict(keyed_weights(model))
    saved = {_position(key): key for key in arrays}
    wanted = {_position(key): key for key in expected}
    missing = sorted(wanted[p] for p in set(wanted) - set(saved))
    extra = sorted(saved[p] for p in set(saved) - set(wanted))
    if missing or extra:
        raise ValueError(f"{path} does not fit {model.name}: missing {missing}, "
                         f"not in the model {extra}")
    for position, key in wanted.items():
        if arrays[saved[position]].shape != expected[key].shape:
            raise ValueError(f"{path}: {saved[position]} has shape "
                             f"{arrays[saved[position]].shape}; the model's {key} "
                             f"{expected[key].shape}")
    for position, key in wanted.items():
        expected[key][...] = arrays[saved[position]]


def keyed_weights(model):
    """(``<position>/<layer>/<attribute>``, weight) for every weight of ``model``."""
    if any(not layer.built for layer in model.layers):
        model.build()
    return [(f"{k}/{layer.name}/{attr}", getattr(layer, attr))
            for k, layer in enumerate(model.layers) for attr in layer.weight_names]


def _position(key):
    """(layer position, attribute) of a key: what loading matches."""
    parts = key.split("/")
    return parts[0], parts[-1]
