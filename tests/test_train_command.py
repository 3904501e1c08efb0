"""``adc train mnist`` and ``adc evaluate``: checkpoints, resuming, stopping on a non-finite
loss, an output directory that cannot be written. The runs are the MLP on a few hundred images
of the shipped sample."""
import functools
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from adcompiler.cli import main
from adcompiler.runtime import Sequential, zoo
from adcompiler.runtime.checkpoints import read_checkpoint
from adcompiler.runtime.train_command import MODELS, draws_per_prediction

SMALL = ["--model", "mlp", "--train-images", "600", "--validation", "100", "--batch-size", "32",
         "--data", "no-such-directory", "--or-sample", "--quiet"]


def train(out, *options):
    return main(["train", "mnist", *SMALL, "--out", str(out), *options])


def weights(out):
    """The checkpoint, and its arrays keyed by position (layers are named per process)."""
    checkpoint = read_checkpoint(out / "checkpoint.npz")
    by_position = {key.split("/")[0] + "/" + key.split("/")[-1]: array
                   for key, array in checkpoint.weights.items()}
    return checkpoint, {**by_position, **{"optimizer " + key: array
                                          for key, array in checkpoint.optimizer.items()}}


def figures(history):
    return [{k: v for k, v in epoch.items() if k != "seconds"} for epoch in history]


def test_an_interrupted_run_resumed_ends_as_the_uninterrupted_one(tmp_path, monkeypatch,
                                                                      capsys):
    schedule = ["--epochs", "3", "--lr-decay", "0.5", "--augment", "1"]
    assert train(tmp_path / "whole", *schedule) == 0
    whole_output = capsys.readouterr().out
    fit, calls = Sequential.fit, []

    def interrupted_in_epoch_2(model, x, y, **options):
        calls.append(options["initial_epoch"])
        if len(calls) == 2:                 # half of epoch 2 runs, then Ctrl-C
            fit(model, x[:len(x) // 2], y[:len(y) // 2], **options)
            raise KeyboardInterrupt
        return fit(model, x, y, **options)
    monkeypatch.setattr(Sequential, "fit", interrupted_in_epoch_2)
    assert train(tmp_path / "parts", *schedule) == 130
    assert "interrupted in epoch 2" in capsys.readouterr().err
    assert read_checkpoint(tmp_path / "parts" / "checkpoint.npz").epochs == 1
    monkeypatch.setattr(Sequential, "fit", fit)
    assert main(["train", "mnist", "--resume", "--out", str(tmp_path / "parts"), "--epochs", "3",
                 "--data", "no-such-directory", "--or-sample", "--quiet"]) == 0
    resumed_output = capsys.readouterr().out
    (whole, expected), (parts, found) = weights(tmp_path / "whole"), weights(tmp_path / "parts")
    assert parts.epochs == 3 and sorted(found) == sorted(expected)
    for key in expected:
        np.testing.assert_array_equal(found[key], expected[key], err_msg=key)
    assert figures(parts.history) == figures(whole.history)
    assert whole_output.splitlines()[-1] == resumed_output.splitlines()[-1]
    assert whole_output.splitlines()[-1].startswith("test accuracy: ")
    history = json.loads((tmp_path / "parts" / "history.json").read_text())
    assert [h["epoch"] for h in history["history"]] == [1, 2, 3]


def test_resuming_checks_the_settings_and_a_new_run_keeps_an_old_checkpoint(tmp_path, capsys):
    assert train(tmp_path, "--epochs", "1") == 0
    saved = (tmp_path / "checkpoint.npz").read_bytes()
    assert train(tmp_path, "--epochs", "1") == 1
    assert "already holds a checkpoint" in capsys.readouterr().err
    assert train(tmp_path, "--epochs", "2", "--resume", "--lr", "0.5") == 1
    assert "has --lr 0.001; got 0.5" in capsys.readouterr().err
    assert main(["train", "mnist", "--resume", "--out", str(tmp_path / "other")]) == 1
    assert "holds no checkpoint.npz" in capsys.readouterr().err
    assert (tmp_path / "checkpoint.npz").read_bytes() == saved


def test_a_non_finite_loss_stops_the_run_and_keeps_the_last_good_checkpoint(tmp_path, capsys):
    assert train(tmp_path, "--epochs", "1", "--optimizer", "sgd", "--lr", "0.01") == 0
    path = tmp_path / "checkpoint.npz"
    with np.load(path) as saved:                # the same run, with a rate that overflows
        arrays = dict(saved)
    meta = json.loads(str(arrays["meta"]))
    meta["settings"]["lr"] = 1e38
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(path, **arrays)
    before = path.read_bytes()
    capsys.readouterr()
    assert main(["train", "mnist", "--resume", "--out", str(tmp_path), "--epochs", "2",
                 "--data", "no-such-directory", "--or-sample", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "at epoch 2, step" in err and "the first whose outputs" in err, err
    assert "the checkpoint of epoch 1 is kept" in err
    assert path.read_bytes() == before


def immutable(path, on):
    """Make ``path`` read-only, for root too (``chattr +i``); False if this system cannot."""
    if os.geteuid() != 0:
        os.chmod(path, 0o555 if on else 0o755)
        return True
    result = subprocess.run(["chattr", "+i" if on else "-i", str(path)], capture_output=True)
    return result.returncode == 0


def test_a_read_only_output_directory_fails_before_training(tmp_path, capsys):
    out = tmp_path / "read-only"
    out.mkdir()
    if not immutable(out, True):
        pytest.skip("no way to make a directory read-only here (chattr +i refused)")
    try:
        assert train(out / "run", "--epochs", "1") == 1
        err = capsys.readouterr().err
        assert f"cannot write checkpoints to {out / 'run'}" in err
        assert train(out, "--epochs", "1") == 1
        assert f"cannot write checkpoints to {out}" in capsys.readouterr().err
    finally:
        immutable(out, False)
    assert list(out.iterdir()) == []


def test_evaluate_reports_the_test_accuracy_of_a_checkpoint(tmp_path, capsys):
    assert train(tmp_path, "--epochs", "1") == 0
    trained = capsys.readouterr().out.splitlines()[-1]
    assert main(["evaluate", str(tmp_path), "--data", "no-such-directory", "--or-sample"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == trained
    (tmp_path / "damaged.npz").write_bytes(b"PK\x03\x04 not a zip")
    assert main(["evaluate", str(tmp_path / "damaged.npz")]) == 1
    assert "cannot read a checkpoint from" in capsys.readouterr().err


def test_the_command_prints_the_test_accuracy_on_its_last_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "adcompiler.cli", "train", "mnist", *SMALL,
                             "--epochs", "1", "--out", str(tmp_path)], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert re.fullmatch(r"epoch 1/1: loss \d\.\d{4}, accuracy \d+\.\d\d%, val accuracy "
                        r"\d+\.\d\d%, \d+\.\d s", lines[-3]), lines
    assert re.fullmatch(r"test accuracy: \d+\.\d\d%", lines[-1]), lines
    assert "shipped with adcompiler" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.npz", "curves.png",
                                                          "history.json"]


def test_augmented_images_are_the_originals_moved_by_at_most_the_pixels_asked():
    from adcompiler.runtime.train_command import shifted
    images = np.random.default_rng(0).random((50, 6, 7, 1)).astype(np.float32)
    assert shifted(images, 0, (0, 0)) is images
    moved = shifted(images, 2, (3, 1))
    np.testing.assert_array_equal(moved, shifted(images, 2, (3, 1)))
    assert moved.shape == images.shape and moved.dtype == images.dtype
    padded = np.pad(images, ((0, 0), (2, 2), (2, 2), (0, 0)))
    offsets = set()
    for k in range(len(images)):
        found = [(dy, dx) for dy in range(5) for dx in range(5)
                 if np.array_equal(padded[k, dy:dy + 6, dx:dx + 7], moved[k])]
        assert found, k
        offsets.add(found[0])
    assert len(offsets) > 10                    # the moves vary from image to image


@pytest.mark.parametrize("model", ["pconv", "fmp"])
def test_the_homework_networks_train_and_evaluate_with_their_test_draws(model, tmp_path,
                                                                        capsys, monkeypatch):
    # the fractional network narrower, with 3 test draws: its predictions unoptimized are slow
    monkeypatch.setitem(MODELS, "fmp", functools.partial(zoo.fmp, width=4, stages=3,
                                                         test_draws=3))
    options = ["--model", model, "--train-images", "128", "--validation", "0", "--epochs", "1"]
    assert main(["train", "mnist", *SMALL, *options, "--out", str(tmp_path)]) == 0
    trained = capsys.readouterr().out.splitlines()[-1]
    evaluate = ["evaluate", str(tmp_path), "--data", "no-such-directory", "--or-sample"]
    assert main(evaluate) == 0
    assert capsys.readouterr().out.splitlines()[-1] == trained      # the model's test draws
    assert main(evaluate + ["--test-draws", "1"]) == 0
    assert re.fullmatch(r"test accuracy: \d+\.\d\d%", capsys.readouterr().out.splitlines()[-1])
    assert main(evaluate + ["--test-draws", "0"]) == 1
    assert "--test-draws must be at least 1" in capsys.readouterr().err


def test_each_epochs_figures_come_from_one_draw_of_the_random_layers():
    from adcompiler.runtime import Dense, Flatten, FractionalMaxPool2D, Input
    model = Sequential([Input((9, 9, 1)), FractionalMaxPool2D(1.5, test_draws=5), Flatten(),
                        Dense(3)], seed=1, dtype="float64")
    model.compile("sgd", "mse")
    x = np.random.default_rng(0).random((4, 9, 9, 1))
    averaged = model.predict(x)
    model.layers[0].test_draws = 1
    single = model.predict(x)
    model.layers[0].test_draws = 5
    assert not np.allclose(single, averaged)
    with pytest.raises(KeyboardInterrupt):
        with draws_per_prediction(model, 1):
            np.testing.assert_array_equal(model.predict(x), single)
            raise KeyboardInterrupt
    assert model.layers[0].test_draws == 5
    np.testing.assert_array_equal(model.predict(x), averaged)
    with draws_per_prediction(model, None):           # adc evaluate without --test-draws
        np.testing.assert_array_equal(model.predict(x), averaged)
