"""The lesson programs reproduce TensorFlow's printed values (tests/reference/lessons.json, a
copy of TensorFlow 2.21's outputs), in float32, to rtol 1e-5."""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = json.loads((Path(__file__).parent / "reference" / "lessons.json").read_text())


def example(name):
    path = ROOT / "examples" / "lessons" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"lesson_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_matches(values, reference, keys):
    assert keys, "nothing compared"
    for key in keys:
        actual = np.asarray(values[key])
        assert actual.dtype == np.float32, f"{key}: {actual.dtype}"
        np.testing.assert_allclose(actual, np.asarray(reference[key]), rtol=1e-5, atol=1e-7,
                                   err_msg=key)


def test_chain_rule():
    values = example("chain_rule").results()
    assert_matches(values, REFERENCE["chain_rule"],
                   ["v", "u", "y", "dy/du", "du/dv", "dv/dx", "dy/dv", "dy/dx", "du/dx"])


def test_perceptron_scalar():
    values = example("perceptron1").results()
    assert_matches(values, REFERENCE["neuron"], ["c", "dc/dw1", "dc/dw2", "dc/db"])


def test_perceptron_tensor():
    values = example("perceptron1b").results()
    assert_matches(values, REFERENCE["neuron"]["tensor"], ["z", "c", "dc/dw", "dc/db"])


def test_perceptron_batch_of_two_every_derivative():
    values = example("perceptron2").results()
    reference = REFERENCE["neuron_batch_of_two"]
    keys = [k for k in reference if k.startswith("d")] + ["c"]
    assert len(keys) == 18
    assert_matches(values, reference, keys)


def test_two_layer_linear_output():
    values = example("two_layer").results()
    reference = REFERENCE["two_layer_linear_output"]
    assert_matches(values, reference, ["c"] + [k for k in reference if k.startswith("dc/")])


def test_two_layer_sigmoid_output_matches_the_lesson_printout():
    lesson = example("two_layer")
    values = lesson.results(lesson.sigmoid_output)
    printed = {"dc/dw1": -0.008844384, "dc/dw2": 0.004422192, "dc/dw3": 0.016614905,
               "dc/dw4": -0.008307452, "dc/dw5": -0.15763849, "dc/dw6": -0.18567343,
               "dc/db1": -0.014740639, "dc/db2": 0.027691506, "dc/db3": -0.29606012}
    for key, expected in printed.items():
        assert values[key] == pytest.approx(expected, rel=1e-5), key


def test_figure_f_homework_by_hand():
    values = example("neuron_figure_f").results()
    x, y, w, b = 0.5, 0.4, -0.2, 0.7
    p = 1 / (1 + np.exp(-(w * x + b)))
    dc_dz = 2 * (p - y) * p * (1 - p)
    hand = {"c": (p - y) ** 2, "dc/dp": 2 * (p - y), "dp/dz": p * (1 - p), "dc/dz": dc_dz,
            "dc/dw": dc_dz * x, "dc/db": dc_dz}
    assert_matches(values, hand, list(hand))


def test_conv_relu_avgpool_mae_every_value():
    values = example("conv1").results()
    reference = REFERENCE["conv_relu_avgpool_mae"]
    keys = ["F", "G", "p", "c", "dc/dp", "dp/dG", "dG/dF", "dF/dK", "dc/dK", "dc/dG", "dc/dF"]
    for key in keys:
        if key != "c":      # TensorFlow's c keeps p's shape; mae is a scalar, as in Keras
            assert np.shape(values[key]) == np.shape(reference[key]), key
    assert_matches(values, reference, keys)


@pytest.mark.parametrize("name", ["chain_rule", "perceptron1", "perceptron1b", "perceptron2",
                                  "neuron_figure_f", "two_layer", "conv1"])
def test_examples_print_and_show(name, capsys):
    example(name).main(["--show"])
    out = capsys.readouterr().out
    assert "_bar" in out and "# " in out and "Do not edit" in out
