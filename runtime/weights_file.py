"""Weights saved as ``.npz`` (never pickle), one array per ``<layer>/<attribute>``, written to a
temporary file beside the target and renamed over it, so an interrupted save loses nothing."""
import os
import tempfile
from pathlib import Path

import numpy as np


def save_weights(model, path):
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"weights are saved as .npz; got {path}")
    if any(not layer.built for layer in model.layers):
        model.build()
    arrays = {f"{layer.name}/{attr}": getattr(layer, attr)
              for layer in model.layers for attr in layer.weight_names}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp_", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **arrays)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_weights(model, path):
    if any(not layer.built for layer in model.layers):
        model.build()
    try:
        with np.load(path, allow_pickle=False) as saved:
            arrays = {key: saved[key] for key in saved.files}
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read weights from {path}: {exc}") from exc
    expected = {f"{layer.name}/{attr}": getattr(layer, attr)
                for layer in model.layers for attr in layer.weight_names}
    missing, extra = sorted(set(expected) - set(arrays)), sorted(set(arrays) - set(expected))
    if missing or extra:
        raise ValueError(f"{path} does not fit {model.name}: missing {missing}, "
                         f"not in the model {extra}")
    for key, weight in expected.items():
        if arrays[key].shape != weight.shape:
            raise ValueError(f"{path}: {key} has shape {arrays[key].shape}; the model's "
                             f"{weight.shape}")
    for key, weight in expected.items():
        weight[...] = arrays[key]
