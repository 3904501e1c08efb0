"""The IDX file format of MNIST (gzipped or raw): a magic number naming the element type and the
number of dimensions, the dimensions (big-endian 32-bit), then the elements, big-endian.

``read_idx`` checks all of it and says what is wrong, naming the file: a bad magic number, a
corrupt gzip stream, fewer or more bytes than the dimensions announce.
"""
import gzip
import zlib
from pathlib import Path

import numpy as np

TYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
         0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


class DataError(ValueError):
    """A data file that cannot be read as it should be, named in the message."""


def read_idx(path):
    """The array an IDX file holds (``.gz`` files are decompressed), in native byte order."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    if path.suffix == ".gz" or raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError(f"{path}: not a valid gzip file ({exc}); delete it to fetch it "
                            "again") from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in TYPES or raw[3] == 0:
        raise DataError(f"{path}: not an IDX file (its magic number is {raw[:4].hex() or 'missing'}"
                        "; IDX files start with 00 00, a type code and the number of "
                        "dimensions)")
    dtype, ndim = TYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: truncated in its header ({len(raw)} bytes; the dimensions "
                        f"need {header})")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", ndim, 4))
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found = len(raw) - header
    if found < expected:
        raise DataError(f"{path}: truncated: its dimensions {shape} need {expected:,} bytes of "
                        f"data, it has {found:,}")
    if found > expected:
        raise DataError(f"{path}: {found - expected:,} bytes after the data its dimensions "
                        f"{shape} announce")
    return np.frombuffer(raw, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path, array):
    """Write ``array`` (uint8, int8, int16, int32, float32 or float64) as an IDX file, gzipped
    when the name ends in ``.gz``."""
    codes = {d.newbyteorder("="): code for code, d in TYPES.items()}
    code = codes.get(array.dtype.newbyteorder("="))
    if code is None:
        raise TypeError(f"IDX has no type for {array.dtype}")
    body = bytes([0, 0, code, array.ndim]) + np.array(array.shape, ">u4").tobytes() \
        + np.ascontiguousarray(array).astype(TYPES[code]).tobytes()
    path = Path(path)
    path.write_bytes(gzip.compress(body, mtime=0) if path.suffix == ".gz" else body)
