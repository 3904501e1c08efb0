"""MNIST: found, downloaded or sampled, and always checked.

Look-up order: the directory given (``data_dir``, the command's ``--data``), ``ADC_DATA_DIR``,
the user cache directory (``$XDG_CACHE_HOME/adcompiler-data/mnist``), a download from the
standard public mirrors into that cache (each file verified by md5 and written atomically), and
otherwise the small real sample shipped with adcompiler (the first 3,000 training and 1,000 test
images). ``load_mnist`` says which source it used; a directory that is given must hold the four
files, intact.
"""
import hashlib
import os
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from adcompiler.files import write_atomically

from .idx import DataError, read_idx

FILES = {"train_images": ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
         "train_labels": ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
         "test_images": ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
         "test_labels": ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c")}
MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/",
           "https://storage.googleapis.com/cvdf-datasets/mnist/",
           "http://yann.lecun.com/exdb/mnist/")
SAMPLE = Path(__file__).resolve().parent / "data" / "mnist_sample"


@dataclass
class Mnist:
    """Images as float32 in [0, 1], shaped (n, 28, 28, 1); labels as int64; ``source`` says
    where they came from."""
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str


def cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "adcompiler-data" / "mnist"


def load_mnist(data_dir=None, download=True, mirrors=MIRRORS, timeout=30, quiet=False):
    """The MNIST data from the first source that has it (see the module's docstring)."""
    explicit = [(Path(data_dir), "the directory given")] if data_dir else []
    if os.environ.get("ADC_DATA_DIR"):
        explicit.append((Path(os.environ["ADC_DATA_DIR"]), "ADC_DATA_DIR"))
    for directory, label in explicit:
        missing = [name for name, _ in FILES.values() if not (directory / name).is_file()]
        if missing:
            raise DataError(f"{directory} ({label}) does not hold the MNIST files "
                            f"{', '.join(missing)}")
        return _announce(_read(directory, f"MNIST from {directory} ({label})"), quiet)
    cache = cache_dir()
    if all((cache / name).is_file() for name, _ in FILES.values()):
        try:
            return _announce(_read(cache, f"MNIST from the cache, {cache}"), quiet)
        except DataError as exc:           # a damaged copy: fetched again below
            print(f"adcompiler: {exc}", file=sys.stderr)
    reasons = []
    if download:
        for mirror in mirrors:
            try:
                for name, md5 in FILES.values():
                    if not _intact(cache / name, md5):
                        _fetch(mirror + name, cache / name, md5, timeout)
                return _announce(_read(cache, f"MNIST downloaded from {mirror} into {cache}"),
                                 quiet)
            except (OSError, DataError, urllib.error.URLError) as exc:
                reasons.append(f"{mirror}: {exc}")
    why = "; ".join(reasons) or "downloads were not allowed"
    data = _read(SAMPLE, "the MNIST sample shipped with adcompiler (the first 3,000 training "
                         f"and 1,000 test images): the full data was not found ({why})",
                 checked=False)
    return _announce(data, quiet)


def _read(directory, source, checked=True):
    arrays = {}
    for key, (name, md5) in FILES.items():
        path = directory / name
        if checked and not _intact(path, md5):
            raise DataError(f"{path}: its md5 is not MNIST's ({md5}): the file is damaged or "
                            "another one; delete it to fetch it again")
        arrays[key] = read_idx(path)
    for part in ("train", "test"):
        images, labels = arrays[f"{part}_images"], arrays[f"{part}_labels"]
        if images.ndim != 3 or images.shape[1:] != (28, 28) or labels.shape != images.shape[:1]:
            raise DataError(f"{directory}: {part} images {images.shape} and labels "
                            f"{labels.shape} are not MNIST's")
    return Mnist((arrays["train_images"][..., None] / np.float32(255)).astype(np.float32),
                 arrays["train_labels"].astype(np.int64),
                 (arrays["test_images"][..., None] / np.float32(255)).astype(np.float32),
                 arrays["test_labels"].astype(np.int64), source)


def _intact(path, md5):
    return path.is_file() and hashlib.md5(path.read_bytes()).hexdigest() == md5


def _fetch(url, path, md5, timeout):
    """Download ``url`` to ``path`` if its md5 is ``md5``; nothing is written otherwise."""
    with urllib.request.urlopen(url, timeout=timeout) as response:     # noqa: S310
        data = response.read()
    if hashlib.md5(data).hexdigest() != md5:
        raise DataError(f"{url}: md5 {hashlib.md5(data).hexdigest()} is not MNIST's {md5}")
    write_atomically(path, lambda handle: handle.write(data))


def _announce(data, quiet):
    if not quiet:
        print(f"adcompiler: {data.source}", file=sys.stderr)
    return data
