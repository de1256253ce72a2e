"""Open input files whose compression is detected from their first bytes.

The file name never decides: gzip data named ``x.fa`` is decompressed and
plain text named ``x.fa.gz`` is read as it is. gzip covers single-member,
multi-member and BGZF files (BGZF is multi-member gzip), decompressed through
xopen, which uses python-isal where it is installed.
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path
from typing import BinaryIO

from bioseq.errors import FormatError

GZIP_MAGIC = b"\x1f\x8b"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
UTF8_BOM = b"\xef\xbb\xbf"


class TruncatedInputError(FormatError, EOFError):
    """Compressed input that ends early or fails its CRC check."""


def read_magic(path: str | Path, size: int = 8) -> bytes:
    """Return the first ``size`` bytes of a file as stored on disk."""
    with open(path, "rb") as handle:
        return handle.read(size)


def is_gzip(path: str | Path) -> bool:
    """Tell whether a file starts with the gzip magic bytes ``1f 8b``."""
    return read_magic(path, 2) == GZIP_MAGIC


def open_binary(path: str | Path, threads: int = 0) -> BinaryIO:
    """Open a file for reading bytes, decompressing gzip found by magic bytes.

    Parameters
    ----------
    path : str or pathlib.Path
        File to open.
    threads : int, default=0
        Extra decompression threads for gzip (0 decompresses in this thread).

    Returns
    -------
    BinaryIO
        A binary stream of the decompressed content.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    """
    path = Path(path)
    if not is_gzip(path):
        return open(path, "rb")
    from xopen import xopen

    return xopen(path, "rb", threads=threads, format="gz")  # type: ignore[return-value]


def read_block(stream: BinaryIO, size: int, path: str | Path) -> bytes:
    """Read up to ``size`` bytes, turning a truncated or corrupt gzip stream into an error.

    Raises
    ------
    TruncatedInputError
        If the decompressor hits the end of the file inside a member or a CRC
        or length check fails; the message names the file.
    """
    try:
        return stream.read(size)
    except (EOFError, zlib.error, OSError) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise TruncatedInputError(
            f"{path}: compressed data is truncated or corrupt "
            f"(unexpected end of stream or CRC mismatch: {error}); "
            "download or copy the file again"
        ) from error


def read_all(path: str | Path) -> bytes:
    """Read a whole file, decompressed, with the same error handling as :func:`read_block`."""
    with open_binary(path) as stream:
        chunks = []
        while True:
            block = read_block(stream, 1 << 26, path)
            if not block:
                break
            chunks.append(block)
    return b"".join(chunks)


def open_text(path: str | Path, encoding: str = "utf-8-sig") -> io.TextIOWrapper:
    """Open a file as text with universal newlines, decompressing gzip found by magic bytes.

    The default encoding ``utf-8-sig`` drops a UTF-8 byte order mark.
    """
    return io.TextIOWrapper(open_binary(path), encoding=encoding, newline="")


class NotUtf8Error(FormatError):
    """Input text that is not valid UTF-8."""


def find_invalid_utf8(path: str | Path) -> tuple[int, int, int] | None:
    """Locate the first byte that is not valid UTF-8 in a (possibly gzip) text file.

    Returns
    -------
    tuple of (line, column, byte) or None
        1-based line, 1-based character column of the first invalid byte and
        the byte's value; None when the whole file is valid UTF-8.
    """
    with open_binary(path) as stream:
        for number, raw in enumerate(stream, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as error:
                # A line cut inside a multi-byte character at the end of the file is invalid too.
                column = len(raw[: error.start].decode("utf-8", errors="replace")) + 1
                return number, column, raw[error.start]
    return None


def not_utf8_error(path: str | Path) -> NotUtf8Error | None:
    """Build the error for the first invalid UTF-8 byte in a file, or None if there is none."""
    found = find_invalid_utf8(path)
    if found is None:
        return None
    line, column, byte = found
    return NotUtf8Error(
        f"{path}:{line}: not UTF-8 (byte 0x{byte:02x} at column {column}); re-save the file as UTF-8"
    )
