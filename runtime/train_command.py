"""``adc train mnist`` and ``adc evaluate``: train a network of the zoo on MNIST with the
compiled step, one checkpoint per epoch, and measure it on the test set.

A run writes into its --out directory checkpoint.npz (after every epoch, atomically: weights,
optimizer state, random generator, history, settings), history.json and, when matplotlib is
installed, curves.png. --resume continues from the checkpoint with the settings it records and
computes what the uninterrupted run would have; a non-finite loss stops the run and keeps the
last good checkpoint. The accuracies of each epoch come from one draw of the random layers'
inputs (fractional pooling's regions); the last line, the test accuracy, from all the
model's test draws.
"""
import contextlib
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from adcompiler.files import write_atomically

from . import curves
from .checkpoints import CheckpointError, read_checkpoint, restore, save_checkpoint
from .fitting import NonFiniteLoss, accuracy
from .idx import DataError
from .mnist import load_mnist
from .optimizers import NAMED as OPTIMIZERS
from .zoo import MODELS

CHECKPOINT = "checkpoint.npz"
DEFAULTS = {"model": "lenet", "epochs": 2, "batch_size": 64, "optimizer": "adam", "lr": 1e-3,
            "lr_decay": 1.0, "augment": 0, "seed": 0, "validation": 5000, "train_images": None}
SETTINGS = ("model", "batch_size", "optimizer", "lr", "lr_decay", "augment", "seed",
            "validation", "train_images")
ACCURACY_SAMPLES = 10_000       # training images the per-epoch accuracy is measured on


class CommandError(Exception):
    """A problem with the command's arguments or files, reported without a traceback."""


def add_commands(commands):
    """The ``train`` and ``evaluate`` sub-commands of ``adc``."""
    train = commands.add_parser(
        "train", help="train a network on MNIST with the compiled training step",
        description=__doc__.split("\n\n")[1])
    train.add_argument("dataset", choices=["mnist"])
    train.add_argument("--model", choices=sorted(MODELS),
                       help=f"the network (default {DEFAULTS['model']})")
    train.add_argument("--epochs", type=int, help="epochs in all, counting those a resumed "
                       f"run has done (default {DEFAULTS['epochs']})")
    train.add_argument("--batch-size", type=int, help=f"default {DEFAULTS['batch_size']}")
    train.add_argument("--optimizer", choices=sorted(OPTIMIZERS),
                       help=f"default {DEFAULTS['optimizer']}")
    train.add_argument("--lr", type=float, help=f"learning rate (default {DEFAULTS['lr']})")
    train.add_argument("--lr-decay", type=float, help="factor of the learning rate from one "
                       "epoch to the next: epoch k (from 0) trains at lr * decay^k (default 1)")
    train.add_argument("--augment", type=int, metavar="PIXELS", help="shift each training "
                       "image by up to PIXELS in each direction, drawn anew every epoch "
                       "(default 0: the images as they are)")
    train.add_argument("--seed", type=int, help="initial weights, shuffling (default 0)")
    train.add_argument("--validation", type=int, help="training images held out to validate "
                       f"on after each epoch (default {DEFAULTS['validation']}, at most a "
                       "tenth of them; 0: none)")
    train.add_argument("--train-images", type=int, help="train on the first N images only")
    _data_arguments(train)
    train.add_argument("--out", type=Path, help="directory for the checkpoint, history and "
                       "curves (default runs/mnist-MODEL)")
    train.add_argument("--resume", action="store_true",
                       help="continue the run whose checkpoint is in --out")
    train.add_argument("--quiet", action="store_true", help="no progress bars")
    evaluate = commands.add_parser("evaluate", help="test accuracy of a training checkpoint")
    evaluate.add_argument("checkpoint", type=Path, help="a checkpoint.npz or its directory")
    evaluate.add_argument("--test-draws", type=int, metavar="K", help="predictions averaged "
                          "over K draws of the random layers' inputs (fractional pooling's "
                          "regions; default: each layer's own, 12 for the zoo's fmp)")
    _data_arguments(evaluate)


def _data_arguments(parser):
    parser.add_argument("--data", type=Path, help="directory holding the four MNIST files "
                        "(default: ADC_DATA_DIR, the cache, a download, the shipped sample)")
    parser.add_argument("--or-sample", action="store_true", help="if --data does not exist, "
                        "use the sample shipped with adcompiler (no download)")


def run(args):
    """Run ``adc train`` or ``adc evaluate``; the exit status."""
    try:
        return train(args) if args.command == "train" else evaluate(args)
    except (CommandError, CheckpointError, DataError) as exc:
        print(f"adc: {exc}", file=sys.stderr)
        return 1


# ------------------------------------------------------------------------------ train
def train(args):
    out = args.out or Path("runs") / f"mnist-{args.model or DEFAULTS['model']}"
    _check_writable(out)
    checkpoint = _previous(out, args.resume)
    settings = _settings(args, checkpoint)
    epochs = args.epochs if args.epochs is not None else \
        max(DEFAULTS["epochs"], checkpoint.epochs if checkpoint else 0)
    if epochs < 1:
        raise CommandError(f"--epochs must be at least 1; got {epochs}")
    data = _data(args)
    x, y, x_val, y_val = _split(data, settings)
    fingerprint = _fingerprint(x, y)
    if checkpoint and checkpoint.settings.get("data") != fingerprint:
        raise CommandError(f"{out / CHECKPOINT} was trained on other data "
                           f"({checkpoint.settings.get('data')}); this is {fingerprint}")
    settings["data"] = fingerprint
    model = _model(settings)
    history = []
    if checkpoint:
        restore(model, checkpoint, out / CHECKPOINT)
        history = checkpoint.history
        print(f"resuming {out / CHECKPOINT} after epoch {checkpoint.epochs}")
    print(f"{settings['model']}: {len(x):,} training images, {len(x_val):,} for validation, "
          f"batch {settings['batch_size']}, {settings['optimizer']} lr {settings['lr']:g}"
          + (f" × {settings['lr_decay']:g} per epoch" if settings["lr_decay"] != 1 else "")
          + (f", shifts up to {settings['augment']} pixels" if settings["augment"] else "")
          + ", "
          f"seed {settings['seed']}")
    start = time.perf_counter()
    model.warm_up(x, y)
    print(f"training step ready in {time.perf_counter() - start:.1f} s")
    bars = 0 if args.quiet or not sys.stderr.isatty() else 1
    for epoch in range(len(history), epochs):
        model.optimizer.learning_rate = settings["lr"] * settings["lr_decay"] ** epoch
        start = time.perf_counter()
        try:
            images = shifted(x, settings["augment"], (settings["seed"], epoch))
            logs = model.fit(images, y, epochs=epoch + 1, initial_epoch=epoch, verbose=bars,
                             batch_size=settings["batch_size"])
        except NonFiniteLoss as exc:
            kept = f"the checkpoint of epoch {len(history)} is kept in {out}" if history else \
                "no checkpoint was written"
            print(f"adc: {exc} ({kept})", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print(f"\nadc: interrupted in epoch {epoch + 1}; continue with --resume --out {out}",
                  file=sys.stderr)
            return 130
        seconds = time.perf_counter() - start
        with draws_per_prediction(model, 1):
            figures = {"epoch": epoch + 1, "loss": logs.history["loss"][-1],
                       "accuracy": _accuracy(model, x[:ACCURACY_SAMPLES], y[:ACCURACY_SAMPLES]),
                       "val_accuracy": _accuracy(model, x_val, y_val) if len(x_val) else None,
                       "seconds": seconds}
        history = history + [figures]
        _save(out, model, settings, history)
        validated = f", val accuracy {figures['val_accuracy']:.2%}" if len(x_val) else ""
        print(f"epoch {epoch + 1}/{epochs}: loss {figures['loss']:.4f}, accuracy "
              f"{figures['accuracy']:.2%}{validated}, {seconds:.1f} s", flush=True)
    print(f"checkpoint: {out / CHECKPOINT}")
    print(f"test accuracy: {_accuracy(model, data.x_test, data.y_test):.2%}")
    return 0


def _check_writable(out):
    """Fail before any work if ``out`` cannot hold the checkpoint."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise CommandError(f"cannot write checkpoints to {out}: {exc.strerror or exc}") from exc


def _previous(out, resume):
    path = out / CHECKPOINT
    if resume:
        if not path.exists():
            raise CommandError(f"--resume: {out} holds no {CHECKPOINT} to continue")
        return read_checkpoint(path)
    if path.exists():
        raise CommandError(f"{out} already holds a checkpoint: continue it with --resume, or "
                           "choose another --out")
    return None


def _settings(args, checkpoint):
    """The run's settings: the checkpoint's when resuming (options given must agree), else the
    options given and the defaults."""
    given = {name: getattr(args, name) for name in SETTINGS
             if getattr(args, name) is not None}
    if checkpoint is None:
        settings = {name: given.get(name, DEFAULTS[name]) for name in SETTINGS}
        if settings["batch_size"] < 1:
            raise CommandError(f"--batch-size must be at least 1; got {settings['batch_size']}")
        return settings
    settings = dict(checkpoint.settings)
    for name, value in given.items():
        if settings.get(name) != value:
            raise CommandError(f"the checkpoint's run has --{name.replace('_', '-')} "
                               f"{settings.get(name)}; got {value}")
    return settings


def _data(args):
    directory = args.data
    if directory is not None and args.or_sample and not directory.exists():
        print(f"adcompiler: {directory} does not exist", file=sys.stderr)
        return load_mnist(None, download=False)
    return load_mnist(directory)


def _split(data, settings):
    """(x, y, x_val, y_val): the training images (the first ``train_images``), the last
    ``validation`` of them held out (at most a tenth)."""
    x, y = data.x_train, data.y_train
    if settings["train_images"] is not None:
        if settings["train_images"] < 1:
            raise CommandError("--train-images must be at least 1")
        x, y = x[:settings["train_images"]], y[:settings["train_images"]]
    held = min(max(settings["validation"], 0), len(x) // 10)
    return x[:len(x) - held], y[:len(y) - held], x[len(x) - held:], y[len(y) - held:]


def shifted(images, pixels, seed):
    """Each image moved by up to ``pixels`` rows and columns (zeros coming in), the moves drawn
    from ``seed``; the images themselves when ``pixels`` is 0."""
    if pixels <= 0:
        return images
    rng = np.random.default_rng(seed)
    n, h, w, _ = images.shape
    padded = np.pad(images, ((0, 0), (pixels, pixels), (pixels, pixels), (0, 0)))
    rows = rng.integers(0, 2 * pixels + 1, n)[:, None] + np.arange(h)
    columns = rng.integers(0, 2 * pixels + 1, n)[:, None] + np.arange(w)
    return padded[np.arange(n)[:, None, None], rows[:, :, None], columns[:, None, :]]


def _fingerprint(x, y):
    digest = hashlib.sha256(y.tobytes() + x[::97].tobytes()).hexdigest()[:16]
    return f"{len(x)} images, sha256 {digest}"


def _model(settings):
    model = MODELS[settings["model"]](seed=settings["seed"])
    optimizer = OPTIMIZERS[settings["optimizer"]](learning_rate=settings["lr"])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


@contextlib.contextmanager
def draws_per_prediction(model, count):
    """Layers with random inputs (fractional pooling) predict from the average over ``count``
    draws of them instead of their own ``test_draws``; None keeps theirs. Each epoch's figures
    use one draw (a twelfth of the work for the zoo's fmp), the test accuracy every draw."""
    layers = [layer for layer in model.layers if layer.random_inputs and count is not None]
    own = [layer.test_draws for layer in layers]
    for layer in layers:
        layer.test_draws = count
    try:
        yield
    finally:
        for layer, draws in zip(layers, own):
            layer.test_draws = draws


def _accuracy(model, x, y):
    return float(accuracy(y, model.predict(x, batch_size=1000)))


def _save(out, model, settings, history):
    try:
        save_checkpoint(out / CHECKPOINT, model, settings, history)
        text = json.dumps({"settings": settings, "history": history}, indent=1)
        write_atomically(out / "history.json", lambda handle: handle.write(text.encode()))
        curves.save(out / "curves.png", history, settings["model"])
    except OSError as exc:
        kept = f"; the checkpoint of epoch {len(history) - 1} is kept" if len(history) > 1 \
            else ""
        raise CommandError(f"cannot write the checkpoint of epoch {len(history)} to {out}: "
                           f"{exc.strerror or exc}{kept}") from exc


# ------------------------------------------------------------------------------ evaluate
def evaluate(args):
    path = args.checkpoint / CHECKPOINT if args.checkpoint.is_dir() else args.checkpoint
    if not path.exists():
        raise CommandError(f"no checkpoint at {path}")
    checkpoint = read_checkpoint(path)
    model = _model(checkpoint.settings)
    restore(model, checkpoint, path)
    if args.test_draws is not None and args.test_draws < 1:
        raise CommandError(f"--test-draws must be at least 1; got {args.test_draws}")
    data = _data(args)
    with draws_per_prediction(model, args.test_draws):
        loss, test_accuracy = model.evaluate(data.x_test, data.y_test, batch_size=1000)
    print(f"{checkpoint.settings['model']} after {checkpoint.epochs} epochs ({path})")
    print(f"test loss: {loss:.4f}")
    print(f"test accuracy: {test_accuracy:.2%}")
    return 0
