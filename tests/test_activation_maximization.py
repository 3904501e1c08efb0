"""examples/activation_maximization.py: a classifier trained on the shipped sample, then ten
images climbed by the gradient with respect to the input toward each digit."""
import importlib.util
import re
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "activation_maximization.py"


def test_each_digit_gets_an_image_the_model_gives_to_it(tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.delenv("ADC_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))        # no data in a cache: the sample
    spec = importlib.util.spec_from_file_location("activation_maximization", EXAMPLE)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    out = tmp_path / "digits.png"
    example.main(["--epochs", "2", "--steps", "60", "--out", str(out)])
    printed = capsys.readouterr().out
    found = re.findall(r"digit (\d): confidence (\d\.\d+) \(predicted (\d)\)", printed)
    assert [int(d) for d, _, _ in found] == list(range(10))
    assert sum(d == p for d, _, p in found) >= 8, printed
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
