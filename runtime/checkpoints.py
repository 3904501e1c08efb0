"""Training checkpoints: the weights, the optimizer's state, the model's random generator, the
epochs done with their history, and the run's settings, in one ``.npz`` (no pickle) written
atomically. A run stopped at any moment keeps the checkpoint of its last finished epoch, and
one continued from it computes what the uninterrupted run would have."""
import json
from dataclasses import dataclass

import numpy as np

from adcompiler.files import write_atomically

from .weights_file import assign_weights, keyed_weights, read_arrays

FORMAT = 1


class CheckpointError(ValueError):
    """A file that is not a checkpoint this version can read."""


@dataclass
class Checkpoint:
    settings: dict          # what the run was started with (model, optimizer, seed, ...)
    history: list           # one dict of figures per epoch done
    rng: dict               # the model's random generator's state after the last epoch
    weights: dict           # keyed as weights_file keys them
    optimizer: dict         # the optimizer's state arrays

    @property
    def epochs(self):
        return len(self.history)


def save_checkpoint(path, model, settings, history):
    """Write ``model``'s state after ``len(history)`` epochs to ``path``."""
    arrays = {f"weights/{key}": w for key, w in keyed_weights(model)}
    arrays.update({f"optimizer/{key}": a for key, a in model.get_optimizer_state().items()})
    meta = {"format": FORMAT, "settings": settings, "history": history,
            "rng": model.rng.bit_generator.state}
    arrays["meta"] = np.array(json.dumps(meta))
    write_atomically(path, lambda handle: np.savez(handle, **arrays))


def read_checkpoint(path):
    try:
        arrays = read_arrays(path, "a checkpoint")
    except ValueError as exc:
        raise CheckpointError(str(exc)) from exc
    if "meta" not in arrays:
        raise CheckpointError(f"{path} is not a training checkpoint (weights saved by "
                              "save_weights load with load_weights)")
    try:
        meta = json.loads(str(arrays.pop("meta")))
        if meta["format"] != FORMAT:
            raise CheckpointError(f"{path} has checkpoint format {meta['format']}; this "
                                  f"version reads format {FORMAT}")
        parts = {"weights": {}, "optimizer": {}}
        for key, array in arrays.items():
            part, _, name = key.partition("/")
            parts[part][name] = array
        return Checkpoint(meta["settings"], meta["history"], meta["rng"], parts["weights"],
                          parts["optimizer"])
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path} is a damaged checkpoint ({exc!r})") from exc


def restore(model, checkpoint, path):
    """Give ``model`` (built and compiled as the checkpoint's run was) the checkpoint's state."""
    assign_weights(model, checkpoint.weights, path)
    model.set_optimizer_state(checkpoint.optimizer)
    model.rng.bit_generator.state = checkpoint.rng
