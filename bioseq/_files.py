"""Atomic file writes: a temporary file in the target's folder, then a rename.

A failed or killed writer leaves the previous file, or none, never part of
one. ``tempfile.mkstemp`` creates its files with mode 0600, so every helper
here sets the temporary file to the mode a plain ``open()`` would give
(``0o666`` less the umask) before the rename.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> target = Path(tempfile.mkdtemp()) / "a.txt"
>>> atomic_write_text(target, "hello\\n")
>>> target.read_text()
'hello\\n'
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from bioseq.errors import OutputError


def output_error(path: str | os.PathLike[str], error: OSError) -> OutputError:
    """Return a one-line :class:`OutputError` for ``error`` raised while writing ``path``."""
    # The reason only: error.filename is often the temporary file, which means nothing to a user.
    reason = error.strerror or (os.strerror(error.errno) if error.errno else str(error))
    # HDF5 puts the system's reason inside a long message of its own.
    hdf5_reason = re.search(r"error message = '([^']+)'", reason)
    if hdf5_reason:
        reason = hdf5_reason.group(1)
    return OutputError(f"cannot write {path}: {reason}; choose a writable folder")


def make_output_folder(folder: str | os.PathLike[str]) -> Path:
    """Create ``folder`` and its parents when missing.

    Raises
    ------
    OutputError
        If the folder cannot be created, for example because a file of that
        name is in the way or the parent is read-only.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError as error:
        raise OutputError(f"cannot create folder {error.filename or folder}: a file of that "
                          "name exists; choose another output path") from error
    except OSError as error:
        raise OutputError(f"cannot create folder {folder}: {error.strerror or error}; "
                          "choose a writable folder") from error
    return folder


def default_file_mode() -> int:
    """Return the mode that ``open()`` gives a new file under the current umask."""
    # os.umask is the only portable way to read the umask, and it also sets it.
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def make_temporary(path: str | os.PathLike[str], suffix: str = ".tmp") -> tuple[int, Path]:
    """Create an empty temporary file beside ``path``; return its descriptor and path.

    Raises
    ------
    OutputError
        If the folder of ``path`` is missing or not writable.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.",
                                                 suffix=suffix)
    except OSError as error:
        raise output_error(path, error) from error
    return descriptor, Path(temporary)


def publish(temporary: str | os.PathLike[str], path: str | os.PathLike[str]) -> None:
    """Give ``temporary`` the umask's file mode and rename it over ``path``.

    Raises
    ------
    OutputError
        If the rename fails, for example because ``path`` is a folder.
    """
    os.chmod(temporary, default_file_mode())
    try:
        os.replace(temporary, path)
    except OSError as error:
        raise output_error(path, error) from error


@contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w", *, encoding: str | None = None,
                newline: str | None = None, fsync: bool = False) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` that replaces ``path`` when the block ends.

    Parameters
    ----------
    path : path-like
        Final file; its folder must exist.
    mode : {"w", "wb"}, default="w"
    encoding, newline : str or None
        As for :func:`open` (text mode only).
    fsync : bool, default=False
        Flush the data to disk before the rename.

    Notes
    -----
    When the block raises, the temporary file is deleted and ``path`` is left
    as it was.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"invalid mode {mode!r}; expected 'w' or 'wb'")
    descriptor, temporary = make_temporary(path)
    try:
        with os.fdopen(descriptor, mode, encoding=encoding, newline=newline) as stream:
            yield stream
            try:
                stream.flush()
                if fsync:
                    os.fsync(stream.fileno())
            except OSError as error:
                raise output_error(path, error) from error
        publish(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, *, fsync: bool = False) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    with atomic_open(path, "wb", fsync=fsync) as stream:
        stream.write(data)


def atomic_write_text(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8",
                      fsync: bool = False) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    with atomic_open(path, "w", encoding=encoding, fsync=fsync) as stream:
        stream.write(text)
