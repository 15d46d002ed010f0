"""The IDX file format of MNIST and Fashion-MNIST: reading and writing.

An IDX file is two zero bytes, a type code byte (0x08 unsigned byte, 0x09 signed byte,
0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64), a byte giving the number of
dimensions, one big-endian int32 size per dimension, then the data, big-endian, row-major.
Files may be gzip-compressed (recognised by their first bytes, not their name).
"""

from __future__ import annotations

import errno
import gzip
import math
import os
import stat
import zlib
from pathlib import Path

import numpy as np

__all__ = ["read_idx", "write_idx"]

_GZIP_MAGIC = b"\x1f\x8b"

# IDX type codes (third byte of the magic number) and their big-endian dtypes.
_IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_IDX_CODES = {(dt.kind, dt.itemsize): code for code, dt in _IDX_DTYPES.items()}


# ---------------------------------------------------------------------------
# IDX format
# ---------------------------------------------------------------------------


def read_idx(path):
    """Read an IDX file, gzip-compressed or raw, into a numpy array.

    The IDX format is a 4-byte magic number ``00 00 TT DD`` (``TT`` the type code,
    ``DD`` the number of dimensions), ``DD`` big-endian int32 sizes, then the data
    in row-major (C) order. MNIST images have magic 2051 (``0x00000803``: unsigned
    bytes, 3 dimensions) and labels 2049 (``0x00000801``: unsigned bytes, 1
    dimension). Compression is detected from the gzip magic bytes ``1f 8b``, not
    from the file name.

    Parameters
    ----------
    path : str or os.PathLike
        The file to read.

    Returns
    -------
    numpy.ndarray
        Array of shape ``(d1, ..., dDD)`` as declared in the header, in native byte
        order, writable. Its dtype follows the type code: ``0x08`` uint8, ``0x09``
        int8, ``0x0B`` int16, ``0x0C`` int32, ``0x0D`` float32, ``0x0E`` float64.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If ``path`` is not a regular file (a FIFO, device, directory or socket is refused
        before anything is read from it), or the file is not valid IDX: corrupt or
        truncated gzip data, a magic number not starting with two zero bytes, an unknown
        type code, zero dimensions, a negative size, or a length that does not match the
        header exactly (truncated data or trailing bytes). The message names the file and
        the problem.

    Notes
    -----
    Reading is bounded by the header, never by the data: the declared array is allocated
    once (refused first when a raw file is shorter, or a gzip file could not inflate that far
    at deflate's maximal ratio), filled from the stream, and then at most ``TRAILING_PROBE``
    more bytes are read to detect trailing data. A gzip bomb behind a small header is thus
    rejected after inflating at most the declared size plus 4 KiB.

    See Also
    --------
    write_idx : The inverse operation.
    """
    name = os.fspath(path)
    with _open_regular(name) as f:
        file_size = os.fstat(f.fileno()).st_size
        start = f.read(2)
        f.seek(0)
        compressed = start == _GZIP_MAGIC
        if compressed:
            stream = gzip.GzipFile(fileobj=f, mode="rb")
            try:
                return _read_stream(stream, name, compressed, MAX_DEFLATE_RATIO * file_size)
            except (OSError, EOFError, zlib.error) as exc:
                raise ValueError(f"{name}: corrupt or truncated gzip data ({exc})") from exc
        return _read_stream(f, name, compressed, file_size)


def _open_regular(name):
    """``name`` opened for reading, refused without reading unless it is a regular file (a
    FIFO would block, ``/dev/zero`` never end); ``O_NONBLOCK`` so a FIFO swapped in between
    the check and the open cannot block either."""
    try:
        status = os.stat(name)
    except FileNotFoundError:
        raise FileNotFoundError(errno.ENOENT, "IDX file not found", name) from None
    if not stat.S_ISREG(status.st_mode):
        raise ValueError(f"{name}: not a regular file ({_kind(status.st_mode)}); an IDX file "
                         "must be one")
    handle = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        status = os.fstat(handle)
        if not stat.S_ISREG(status.st_mode):
            raise ValueError(f"{name}: not a regular file ({_kind(status.st_mode)}); an IDX "
                             "file must be one")
        return os.fdopen(handle, "rb")
    except BaseException:
        os.close(handle)
        raise


def _kind(mode):
    for test, words in ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
                        (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO"),
                        (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return words
    return "not a regular file"


MAX_DEFLATE_RATIO = 1100
"""Deflate inflates at most about 1032 times (258-byte matches in about two bits each), so a
gzip file of n bytes holds at most about 1032 n: a header declaring more is refused before
anything is allocated."""

READ_CHUNK = 1 << 20
"""Bytes read (or decompressed) per call: the most a file can hold beyond what its header
declares before it is rejected for trailing bytes."""


TRAILING_PROBE = 4096
"""Bytes read past the declared data to report trailing bytes (a bomb inflates no further)."""


def _read_exactly(stream, buffer):
    """Fill ``buffer`` (a writable memoryview) from ``stream``; the number of bytes read."""
    done = 0
    while done < len(buffer):
        got = stream.readinto(buffer[done:done + READ_CHUNK])
        if not got:
            break
        done += got
    return done


def _read_stream(stream, name, compressed, most):
    """Read an IDX file from ``stream`` (raw or a gzip stream) without ever holding more than
    the header's declared size plus one byte: the header first, then exactly the declared
    data into the result, then one probe byte for trailing data. A decompression bomb behind
    a small header is rejected after inflating at most the declared size plus 1 byte."""
    head = stream.read(4)
    dims = head[3] if len(head) == 4 and head[:2] == b"\0\0" else 0
    head += stream.read(4 * dims)
    header = _parse_header(head, name, compressed)
    shape, dtype, expected = header
    if expected > most:
        where = (f"a {most // MAX_DEFLATE_RATIO}-byte gzip file can hold at most about {most}"
                 if compressed else f"the file has {most} ({expected - most} missing)")
        raise ValueError(
            f"{name}: {'truncated IDX data' if not compressed else 'impossible IDX header'}: "
            f"header declares shape {shape} of {dtype.name}, which needs {expected} bytes, "
            f"but {where}"
        )
    array = np.empty(shape, dtype=dtype)
    got = _read_exactly(stream, memoryview(array.reshape(-1)).cast("B"))
    size = len(head) + got
    if got < array.nbytes:
        raise ValueError(
            f"{name}: truncated IDX data: header declares shape {shape} of {dtype.name}, "
            f"which needs {expected} bytes, but the file has {size}"
            f"{' after gzip decompression' if compressed else ''} ({expected - size} missing)"
        )
    extra = len(stream.read(TRAILING_PROBE))
    if extra:
        count = f"{extra}" if extra < TRAILING_PROBE else f"at least {extra}"
        raise ValueError(
            f"{name}: {count} trailing bytes after the IDX data: header declares shape "
            f"{shape} of {dtype.name} ({expected} bytes), the file holds more"
            f"{' after gzip decompression' if compressed else ''}"
        )
    return array.astype(dtype.newbyteorder("="))


def _parse_header(data, name, compressed):
    """``(shape, dtype, total bytes)`` from the header bytes at the start of ``data``."""
    where = " after gzip decompression" if compressed else ""
    size = len(data)
    if size == 0:
        raise ValueError(f"{name}: empty file{where}, expected an IDX header")
    if size < 4:
        raise ValueError(
            f"{name}: too short for an IDX header ({size} bytes{where}, need at least 4)"
        )
    if data[0] != 0 or data[1] != 0:
        raise ValueError(
            f"{name}: not an IDX file: magic number 0x{data[:4].hex()} does not start "
            "with two zero bytes (expected e.g. 0x00000803 for images, 0x00000801 "
            "for labels)"
        )
    code, ndim = data[2], data[3]
    if code not in _IDX_DTYPES:
        known = ", ".join(f"0x{c:02x}" for c in _IDX_DTYPES)
        raise ValueError(
            f"{name}: unknown IDX type code 0x{code:02x} in magic number "
            f"0x{data[:4].hex()} (known codes: {known})"
        )
    if ndim == 0:
        raise ValueError(f"{name}: IDX magic number 0x{data[:4].hex()} declares 0 dimensions")
    header = 4 + 4 * ndim
    if size < header:
        raise ValueError(
            f"{name}: truncated IDX header: {ndim} dimensions need {header} header "
            f"bytes, file has {size}{where}"
        )
    shape = tuple(int(s) for s in np.frombuffer(data, dtype=">i4", count=ndim, offset=4))
    if any(s < 0 for s in shape):
        raise ValueError(f"{name}: negative dimension size in IDX header {shape}")
    dtype = _IDX_DTYPES[code]
    return shape, dtype, header + math.prod(shape) * dtype.itemsize


def write_idx(path, array, *, compress=None):
    """Write an array to an IDX file, optionally gzip-compressed.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file; overwritten if it exists.
    array : array_like
        Data of shape ``(d1, ..., dk)`` with ``1 <= k <= 255`` and every size below
        ``2**31``. Its dtype must be one IDX can hold: uint8, int8, int16, int32,
        float32 or float64 (cast int64 labels to uint8 or int32 first).
    compress : bool, optional
        Gzip the file. By default, compress when ``path`` ends in ``.gz``. The gzip
        header carries no time stamp or file name, so the output depends only on
        the data (and the zlib build).

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    TypeError
        If the dtype has no IDX type code.
    ValueError
        If the array has no dimensions, more than 255, or a size of ``2**31`` or more.

    See Also
    --------
    read_idx : The inverse operation.
    """
    path = Path(path)
    array = np.asarray(array)
    code = _IDX_CODES.get((array.dtype.kind, array.dtype.itemsize))
    if code is None:
        raise TypeError(
            f"array: dtype {array.dtype} cannot be stored in IDX; use uint8, int8, "
            "int16, int32, float32 or float64"
        )
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"array: IDX needs 1 to 255 dimensions, got {array.ndim}")
    if any(s >= 2**31 for s in array.shape):
        raise ValueError(f"array: shape {array.shape} has a size too large for IDX (>= 2**31)")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">i4").tobytes()
    payload = header + np.ascontiguousarray(array, dtype=_IDX_DTYPES[code]).tobytes()
    if compress is None:
        compress = path.suffix == ".gz"
    if compress:
        payload = gzip.compress(payload, compresslevel=9, mtime=0)
    path.write_bytes(payload)
    return path
