"""MNIST's files: the IDX reader on damaged files, the look-up order, downloads from a local
HTTP server (verified by md5), and the shipped sample."""
import functools
import gzip
import http.server
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from adcompiler.runtime import idx, mnist

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
needs_full_data = pytest.mark.skipif(not (SHARED / mnist.FILES["test_labels"][0]).is_file(),
                                     reason="the full MNIST files are not beside the project")


def test_idx_round_trip_and_damaged_files(tmp_path):
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    idx.write_idx(tmp_path / "a.gz", array)
    np.testing.assert_array_equal(idx.read_idx(tmp_path / "a.gz"), array)
    raw = gzip.decompress((tmp_path / "a.gz").read_bytes())
    (tmp_path / "bad_magic").write_bytes(b"\x01\x02" + raw[2:])
    with pytest.raises(idx.DataError, match="bad_magic: not an IDX file"):
        idx.read_idx(tmp_path / "bad_magic")
    (tmp_path / "short").write_bytes(raw[:-5])
    with pytest.raises(idx.DataError, match=r"short: truncated: its dimensions \(2, 3, 4\) "
                                            r"need 24 bytes of data, it has 19"):
        idx.read_idx(tmp_path / "short")
    (tmp_path / "long").write_bytes(raw + b"xx")
    with pytest.raises(idx.DataError, match="long: 2 bytes after the data"):
        idx.read_idx(tmp_path / "long")
    (tmp_path / "cut.gz").write_bytes((tmp_path / "a.gz").read_bytes()[:-10])
    with pytest.raises(idx.DataError, match="cut.gz: not a valid gzip file"):
        idx.read_idx(tmp_path / "cut.gz")
    with pytest.raises(idx.DataError, match="missing.gz: cannot be read"):
        idx.read_idx(tmp_path / "missing.gz")


def isolated(monkeypatch, tmp_path):
    monkeypatch.delenv("ADC_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def test_the_sample_when_nothing_else_is_found(monkeypatch, tmp_path, capsys):
    isolated(monkeypatch, tmp_path)
    data = mnist.load_mnist(download=False)
    assert data.x_train.shape == (3000, 28, 28, 1) and data.x_test.shape == (1000, 28, 28, 1)
    assert data.x_train.dtype == np.float32 and 0.0 <= data.x_train.min() < data.x_train.max() <= 1
    assert sorted(set(data.y_train.tolist())) == list(range(10))
    assert "sample shipped with adcompiler" in capsys.readouterr().err


def test_a_directory_given_must_hold_intact_files(monkeypatch, tmp_path):
    isolated(monkeypatch, tmp_path)
    with pytest.raises(idx.DataError, match="does not hold the MNIST files"):
        mnist.load_mnist(tmp_path)
    for name, _ in mnist.FILES.values():
        shutil.copy(mnist.SAMPLE / name, tmp_path / name)      # a sample is not MNIST
    with pytest.raises(idx.DataError, match="its md5 is not MNIST's"):
        mnist.load_mnist(tmp_path)
    monkeypatch.setenv("ADC_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(idx.DataError, match="ADC_DATA_DIR"):
        mnist.load_mnist()


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(directory):
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


@needs_full_data
def test_download_from_a_mirror_verified_by_md5(monkeypatch, tmp_path, capsys):
    isolated(monkeypatch, tmp_path)
    good, damaged = tmp_path / "good", tmp_path / "damaged"
    good.mkdir()
    damaged.mkdir()
    for name, _ in mnist.FILES.values():
        shutil.copy(SHARED / name, good / name)
        data = bytearray((SHARED / name).read_bytes())
        data[100] ^= 0xFF
        (damaged / name).write_bytes(bytes(data))
    servers = [serve(damaged), serve(good)]
    try:
        data = mnist.load_mnist(mirrors=[url for _, url in servers], timeout=10)
    finally:
        for server, _ in servers:
            server.shutdown()
    assert data.x_train.shape == (60000, 28, 28, 1) and data.y_test.shape == (10000,)
    assert "downloaded from " + servers[1][1] in data.source
    cache = mnist.cache_dir()
    assert sorted(p.name for p in cache.iterdir()) == sorted(n for n, _ in mnist.FILES.values())
    again = mnist.load_mnist(download=False)                    # now from the cache
    assert "from the cache" in again.source
    np.testing.assert_array_equal(again.y_train, data.y_train)


def test_a_damaged_download_writes_nothing(monkeypatch, tmp_path):
    isolated(monkeypatch, tmp_path)
    served = tmp_path / "served"
    served.mkdir()
    for name, _ in mnist.FILES.values():
        (served / name).write_bytes(b"not mnist")
    server, url = serve(served)
    try:
        data = mnist.load_mnist(mirrors=[url], timeout=10)
    finally:
        server.shutdown()
    assert "sample shipped" in data.source and "is not MNIST's" in data.source
    assert not mnist.cache_dir().exists() or not any(mnist.cache_dir().iterdir())
