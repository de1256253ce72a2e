"""HDF5 sequence store: write once by streaming, read many times, check before use.

A store contains a :class:`~bioseq.sequences.SequenceSet` on disk in format
version :data:`FORMAT_VERSION`:

``codes``
    ``(total,)`` uint8, every sequence's codes one after another, in chunks of
    :data:`CODE_CHUNK` residues compressed with deflate (gzip filter).
``offsets``
    ``(N + 1,)`` int64; sequence ``i`` is ``codes[offsets[i]:offsets[i + 1]]``.
``id_text`` and ``id_offsets``
    Record ids: ``id_text`` is ``uint8``, every id in UTF-8 followed by one
    zero byte; ``id_offsets`` is ``(N + 1,)`` int64, and id ``i`` is
    ``id_text[id_offsets[i]:id_offsets[i + 1] - 1]``.
``description_text`` and ``description_offsets``
    FASTA header descriptions in the same layout, present when at least one
    record has a description.
``labels``
    ``(N,)`` int64 class indices, or ``(N, K)`` float32 (multilabel, regression).
``splits``
    ``(N,)`` uint8 index into the ``split_names`` attribute.

Root attributes record the format and its version, the alphabet, the task,
class names, the counts of what the reader transformed, every source file's
path, size, mtime and CRC-32 (or SHA-256), the bioseq version, ``checksums``
(JSON: each dataset's name and the CRC-32 of its uncompressed content, see
:func:`content_bytes`) and ``complete``, which is set last. The writer streams into a temporary file in the output's folder
(``.NAME.HOST.PID.part``) and renames it when done, so no file with the final
name is ever partial.
"""

from __future__ import annotations

import glob
import json
import logging
import os
import socket
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import h5py
import numpy as np

from bioseq import __version__
from bioseq.alphabet import ALPHABETS, Alphabet, get_alphabet
from bioseq.errors import BioseqWarning, StoreError
from bioseq.sequences import SequenceSet

try:  # isal inflates deflate streams about 1.7x faster than zlib; the output is identical.
    from isal import isal_zlib
except ImportError:  # isal has no wheels for some platforms
    isal_zlib = None
# isal's CRC-32 is about 7x faster than zlib's and gives the same value.
_crc32 = isal_zlib.crc32 if isal_zlib is not None else zlib.crc32
_INFLATE_ERRORS: tuple[type[BaseException], ...] = (OSError, ValueError, zlib.error) + (
    (isal_zlib.error,) if isal_zlib is not None else ()
)

logger = logging.getLogger(__name__)

#: Value of the ``format`` attribute that marks a bioseq store.
FORMAT_NAME = "bioseq-store"
#: Store layout version; readers reject any other version. Version 2 replaced the
#: variable-length string datasets of version 1 with zero-terminated UTF-8 text plus offsets.
FORMAT_VERSION = 2
#: Residues per ``codes`` chunk (1 MiB): the unit of compression and of reading.
CODE_CHUNK = 1 << 20
#: Records per chunk of the per-record datasets (offsets, ids, labels, splits).
RECORD_CHUNK = 1 << 16
#: Bytes per chunk of the text datasets (id_text, description_text).
TEXT_CHUNK = 1 << 20
#: The two datasets behind each text column: zero-terminated UTF-8, and where each value starts.
TEXT_DATASETS = {
    "ids": ("id_text", "id_offsets"),
    "descriptions": ("description_text", "description_offsets"),
}
#: The 8-byte signature at the start of every HDF5 file (without a user block).
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"

StaleAction = Literal["error", "warn", "ignore"]

# The documented way around file systems that refuse HDF5's file locks.
LOCKING_HINT = (
    "set the environment variable HDF5_USE_FILE_LOCKING=FALSE, or pass locking=False "
    "to bioseq.io.store.open_store; both are safe for reading a finished store, because "
    "bioseq never modifies a store after writing it"
)


def is_store_file(path: str | os.PathLike[str]) -> bool:
    """Tell whether ``path`` starts with the HDF5 signature.

    Only the first 8 bytes are read, so this is cheap enough for format
    detection. It does not check whether the file is a valid bioseq store.
    """
    try:
        with open(path, "rb") as handle:
            return handle.read(len(HDF5_SIGNATURE)) == HDF5_SIGNATURE
    except (IsADirectoryError, FileNotFoundError, PermissionError):
        return False


def _temp_stem(path: Path) -> str:
    """Return the part of the temporary name taken from ``path``'s name.

    A name too long to take host, process id and suffix as well (file names
    have at most 255 bytes) is cut, and a hash of the whole name keeps it
    unique.
    """
    name = path.name
    if len(name.encode("utf-8")) <= _MAX_TEMP_STEM_BYTES:
        return name
    import hashlib

    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:12]
    cut = name.encode("utf-8")[: _MAX_TEMP_STEM_BYTES - 13].decode("utf-8", errors="ignore")
    return f"{cut}~{digest}"


# Bytes of the store's name kept in its temporary name: 255 less the dot, the host name
# (up to 64 bytes), the process id and ".part".
_MAX_TEMP_STEM_BYTES = 160


def temp_path_for(path: Path) -> Path:
    """Return the temporary file name the writer of ``path`` streams into."""
    return path.with_name(f".{_temp_stem(path)}.{socket.gethostname()}.{os.getpid()}.part")


def find_partial_files(path: Path) -> list[Path]:
    """List the temporary files that writers of ``path`` have left or are writing."""
    pattern = str(path.with_name(f".{glob.escape(_temp_stem(path))}.*.part"))
    return sorted(Path(found) for found in glob.glob(pattern))


#: Temporary files that writers in this process are writing now.
ACTIVE_WRITES: set[Path] = set()


def writer_is_alive(partial: Path, store_path: Path) -> bool | None:
    """Tell whether the process that writes ``partial`` (a temp file of ``store_path``) runs.

    Returns None when the writer runs on another host, which cannot be checked.
    A file named with this process's own id is alive only while a writer here
    writes it: a killed run's leftover can carry the same id when process ids
    are reused, as they often are in containers.
    """
    middle = partial.name[len(f".{_temp_stem(store_path)}.") : -len(".part")]
    host, _, pid_text = middle.rpartition(".")
    return _process_is_alive(host, pid_text, partial)


def _process_is_alive(host: str, pid_text: str, own_file: Path) -> bool | None:
    # None: another host, which cannot be checked. This process's own id counts as alive
    # only while a writer here has own_file open.
    if host != socket.gethostname() or not pid_text.isdigit():
        return None
    if int(pid_text) == os.getpid():
        return own_file.resolve() in ACTIVE_WRITES
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def lock_path_for(path: Path) -> Path:
    """Return the lock file that one writer of ``path`` at a time creates."""
    return path.with_name(f".{_temp_stem(path)}.lock")


def claim_writer_lock(path: Path) -> Path:
    """Create the writer lock of ``path`` atomically, replacing one left by a dead writer.

    The lock contains ``HOST PID``. Two writers that start at the same moment
    cannot both create it, while each one's own temporary file has a
    different name.

    Raises
    ------
    StoreError
        If a live writer (or one on another host) holds the lock.
    """
    lock = lock_path_for(path)
    # The lock appears with its content: a filled file is hard-linked to the lock name,
    # which fails when the name exists, so no writer ever reads a half-written lock.
    owner = f"{socket.gethostname()} {os.getpid()}"
    filled = lock.with_name(f"{lock.name}.{socket.gethostname()}.{os.getpid()}")
    filled.write_text(owner + "\n")
    try:
        for _ in range(2):
            try:
                os.link(filled, lock)
                return lock
            except FileExistsError:
                pass
            try:
                host, _, pid_text = lock.read_text().strip().rpartition(" ")
            except FileNotFoundError:
                continue  # released meanwhile: try again
            except UnicodeDecodeError:
                host, pid_text = "", ""
            alive = _process_is_alive(host, pid_text, lock) if host else False
            if alive is False:
                logger.info("removing %s, left by an interrupted writer", lock)
                lock.unlink(missing_ok=True)
                continue
            elsewhere = "" if alive else f"; if no writer runs on {host}, delete {lock}"
            raise StoreError(f"{path} is being written by another process ({lock.name} "
                             f"exists); wait for it to finish or write to another path"
                             f"{elsewhere}")
    finally:
        filled.unlink(missing_ok=True)
    raise StoreError(f"{path}: could not create the writer lock {lock}; another writer may "
                     "be starting, so run the command again")


# ------------------------------------------------------------------ checksums


def content_bytes(values: np.ndarray) -> bytes | memoryview:
    """Return the bytes that a dataset's checksum covers, for one block of its values.

    Numbers are their little-endian bytes in C order. Strings are each value
    in UTF-8 followed by one zero byte. The checksum of a dataset is the
    CRC-32 of these bytes over all its values in order, so a reader without
    bioseq can recompute it with ``zlib.crc32``.
    """
    if values.dtype == object:
        if len(values) == 0:
            return b""
        return ("\0".join(values.tolist()) + "\0").encode("utf-8")
    little = np.ascontiguousarray(values, dtype=values.dtype.newbyteorder("<"))
    return little.reshape(-1).view(np.uint8).data


def update_checksum(value: int, values: np.ndarray) -> int:
    """Continue the CRC-32 ``value`` over one more block of a dataset's values."""
    return _crc32(content_bytes(values), value)


def encode_text(values: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Encode strings as zero-terminated UTF-8, the layout of the text datasets.

    Returns
    -------
    text : numpy.ndarray of dtype uint8
        Every value in UTF-8 followed by one zero byte.
    ends : numpy.ndarray of dtype int64
        The position after each value's zero byte.

    Raises
    ------
    TextValueError
        If a value contains a NUL character or cannot be encoded as UTF-8
        (a lone surrogate); its index is ``error.index``.
    """
    if len(values) == 0:
        return np.zeros(0, dtype=np.uint8), np.zeros(0, dtype=np.int64)
    joined = "\0".join(values) + "\0"
    try:
        raw = joined.encode("utf-8")
    except UnicodeEncodeError:
        index = next(i for i, value in enumerate(values) if not _encodes(value))
        raise TextValueError(index, "is not valid Unicode (it contains a lone surrogate)") from None
    text = np.frombuffer(raw, dtype=np.uint8)
    ends = np.flatnonzero(text == 0) + 1
    if len(ends) != len(values):
        index = next(i for i, value in enumerate(values) if "\0" in value)
        raise TextValueError(index, "contains a NUL character")
    return text, ends


def _encodes(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class TextValueError(ValueError):
    """A string that the text datasets cannot hold; ``index`` is its position in the batch."""

    def __init__(self, index: int, problem: str) -> None:
        super().__init__(f"value {index} {problem}")
        self.index = index
        self.problem = problem


def read_text(path: Path, handle: h5py.File, column: str, start: int = 0,
              stop: int | None = None) -> np.ndarray:
    """Read values ``start`` to ``stop`` of a text column (``ids`` or ``descriptions``).

    Every offset in the range must point right after a zero byte and the
    bytes must hold one zero byte per value, so damaged offsets are reported
    rather than read as other values.

    Returns
    -------
    numpy.ndarray of dtype object
        The values as ``str``.

    Raises
    ------
    StoreError
        If the datasets cannot be read or do not agree.
    """
    text_name, offsets_name = TEXT_DATASETS[column]
    n_values = handle[offsets_name].shape[0] - 1
    stop = n_values if stop is None else min(stop, n_values)
    if stop <= start:
        return np.empty(0, dtype=object)
    offsets = read_dataset(path, handle[offsets_name], slice(start, stop + 1))
    first, last = int(offsets[0]), int(offsets[-1])
    text = handle[text_name]
    lead = 1 if start > 0 else 0
    if (first - lead < 0 or last > text.shape[0] or (start == 0 and first != 0)
            or np.any(np.diff(offsets) < 1)):
        raise _text_corrupt(path, offsets_name, f"offsets {start} to {stop} that do not rise "
                            f"by at least 1 within the {text.shape[0]} bytes of {text_name}")
    raw = read_dataset(path, text, slice(first - lead, last))
    # The byte before each value's start, and the value's own last byte, must be zero.
    ends = offsets - first + lead - 1
    checked = ends if lead else ends[1:]
    not_zero = np.flatnonzero(raw[checked] != 0)
    if len(not_zero):
        record = start + int(not_zero[0]) + (0 if lead else 1)
        raise _text_corrupt(path, offsets_name, f"offset {int(offsets[record - start])} at "
                            f"record {record}, which is not the start of a value")
    try:
        values = raw[lead:].tobytes().decode("utf-8").split("\0")
    except UnicodeDecodeError as error:
        raise _text_corrupt(path, text_name, f"bytes that are not valid UTF-8 ({error})") from error
    values.pop()
    if len(values) != stop - start:
        raise _text_corrupt(path, text_name, f"{len(values)} values where offsets "
                            f"{start} to {stop} expect {stop - start}")
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _text_corrupt(path: Path, name: str, detail: str) -> StoreError:
    return StoreError(f"{path} is corrupt: dataset {name} contains {detail}; rebuild the store "
                      "with bioseq preprocess --overwrite")


def read_failure(path: Path, name: str, error: BaseException, where: str = "") -> StoreError:
    """Build the error for a dataset that HDF5 (or inflate) failed to read."""
    return StoreError(
        f"{path} is corrupt: reading dataset {name}{where} failed ({error}); run "
        f"bioseq validate {path} to list the damage, and rebuild the store with "
        "bioseq preprocess --overwrite"
    )


def read_dataset(path: Path, dataset: h5py.Dataset, selection: Any = Ellipsis) -> np.ndarray:
    """Read ``dataset[selection]``, turning HDF5 read failures into a StoreError.

    String datasets come back as ``str`` (object array), decoded as UTF-8.
    """
    name = dataset.name.lstrip("/")
    try:
        if dataset.dtype.kind == "O":
            return np.asarray(dataset.asstr("utf-8")[selection], dtype=object)
        return dataset[selection]
    except UnicodeDecodeError as error:
        raise StoreError(
            f"{path} is corrupt: dataset {name} contains bytes that are not valid UTF-8 "
            f"({error}); rebuild the store with bioseq preprocess --overwrite"
        ) from error
    except OSError as error:
        raise read_failure(path, name, error) from error


# --------------------------------------------------------------------- opening


def _explain_open_failure(path: Path, error: OSError) -> StoreError:
    """Turn an HDF5 open failure into a StoreError that names the file and the fix."""
    text = str(error)
    if "unable to lock file" in text or "errno = 37" in text:
        if "errno = 11" in text or "temporarily unavailable" in text:
            return StoreError(
                f"{path}: another process holds a conflicting HDF5 lock on this file "
                f"({text}); wait for it to finish, or {LOCKING_HINT}"
            )
        return StoreError(
            f"{path}: the file system refused the HDF5 file lock (errno 37, no locks "
            f"available; common on NFS). To read the store, {LOCKING_HINT}"
        )
    if "truncated file" in text:
        size = path.stat().st_size if path.exists() else 0
        return StoreError(
            f"{path} is truncated or corrupt: the file has {size} bytes but its HDF5 header "
            f"expects more ({text}); copy it again or rebuild it with bioseq preprocess"
        )
    if "file signature not found" in text:
        return StoreError(
            f"{path} is not an HDF5 file (no HDF5 signature); it is corrupt, or the path "
            "names a FASTA/CSV file rather than a store"
        )
    return StoreError(f"{path}: failed to open the HDF5 store ({text}); it may be corrupt")


def _open_hdf5(path: Path, locking: bool | None) -> h5py.File:
    kwargs: dict[str, Any] = {}
    if locking is not None:
        kwargs["locking"] = locking
    try:
        return h5py.File(path, "r", **kwargs)
    except FileNotFoundError as error:
        raise _missing_store_error(path) from error
    except OSError as error:
        raise _explain_open_failure(path, error) from error


def _missing_store_error(path: Path) -> StoreError:
    partials = find_partial_files(path)
    for partial in partials:
        alive = writer_is_alive(partial, path)
        if alive or alive is None:
            elsewhere = "" if alive else (
                f" (by a process on another host; if none runs there, delete {partial})")
            return StoreError(
                f"{path} is being written (incomplete): {partial.name} exists in the same "
                f"folder{elsewhere}; wait for bioseq preprocess to finish, then read the store"
            )
    if partials:
        names = ", ".join(p.name for p in partials)
        return StoreError(
            f"{path} not found; an interrupted bioseq preprocess left {names} behind. "
            "Run bioseq preprocess again (it removes leftovers of dead writers)"
        )
    return StoreError(f"{path} not found")


def _check_header(path: Path, handle: h5py.File, alphabet: str | Alphabet | None) -> None:
    attrs = handle.attrs
    if attrs.get("format") != FORMAT_NAME:
        raise StoreError(
            f"{path} is an HDF5 file but not a bioseq store (no format={FORMAT_NAME!r} "
            "attribute); build stores with bioseq preprocess"
        )
    version = int(attrs.get("format_version", -1))
    if version != FORMAT_VERSION:
        raise StoreError(
            f"{path} has store format version {version} (written by bioseq "
            f"{attrs.get('bioseq_version', 'unknown')}); this bioseq {__version__} reads "
            f"version {FORMAT_VERSION}. Rebuild it with bioseq preprocess --overwrite"
        )
    if not bool(attrs.get("complete", False)):
        raise StoreError(
            f"{path} is incomplete (its writer never finished: the 'complete' attribute is "
            "not set); rebuild it with bioseq preprocess --overwrite"
        )
    if alphabet is not None:
        expected = get_alphabet(alphabet).name
        stored = str(attrs.get("alphabet"))
        if stored != expected:
            raise StoreError(
                f"{path} contains {stored} sequences but {expected} was expected; "
                f"pass --alphabet {stored} or use a store built for {expected}"
            )
    missing = [name for name in ("codes", "offsets", *TEXT_DATASETS["ids"]) if name not in handle]
    if missing:
        raise StoreError(f"{path} is corrupt: datasets {missing} are missing")


# ---------------------------------------------------------------- source hashes


#: Digests that can identify a source file: CRC-32 (the default, read at memory speed)
#: or SHA-256 (to compare with published checksums, at about 1.3 GB/s on one core).
SOURCE_DIGESTS = ("crc32", "sha256")


def hash_file(path: Path, algorithm: str = "crc32", block_size: int = 1 << 22) -> str:
    """Compute the hex digest of a file, reading it in 4 MiB blocks.

    Parameters
    ----------
    path : pathlib.Path
        File to read.
    algorithm : {"crc32", "sha256"}, default="crc32"
        ``crc32`` gives 8 hex digits (the CRC that gzip and zip use);
        ``sha256`` gives 64.
    """
    if algorithm not in SOURCE_DIGESTS:
        raise ValueError(f"invalid source digest {algorithm!r}; expected one of {list(SOURCE_DIGESTS)}")
    if algorithm == "crc32":
        value = 0

        def add(block: memoryview) -> None:
            nonlocal value
            value = _crc32(block, value)

        _read_blocks(path, block_size, add)
        return f"{value:08x}"
    import hashlib

    digest = hashlib.sha256()
    _read_blocks(path, block_size, digest.update)
    return digest.hexdigest()


def _read_blocks(path: Path, block_size: int, consume: Callable[[memoryview], None]) -> None:
    """Pass the bytes of ``path`` to ``consume`` one block at a time, in order.

    One buffer is reused for every block. The file is read rather than mapped
    into memory, because a mapped file that another process truncates kills
    the reader with SIGBUS.
    """
    buffer = bytearray(block_size)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as handle:
        if hasattr(os, "posix_fadvise"):
            try:
                os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
            except OSError:  # pipes and some file systems do not take the hint
                pass
        while size := handle.readinto(buffer):
            consume(view[:size])


def describe_source(path: Path, store_path: Path, digest: str,
                    algorithm: str = "crc32") -> dict[str, Any]:
    """Build the provenance record of one source file (path, size, mtime and its digest)."""
    info = path.stat()
    absolute = path.resolve()
    try:
        relative = os.path.relpath(absolute, store_path.resolve().parent)
    except ValueError:
        relative = str(absolute)
    return {"path": str(absolute), "relative": relative, "size": info.st_size,
            "mtime_ns": info.st_mtime_ns, algorithm: digest}


def source_digest(source: dict[str, Any]) -> tuple[str, str]:
    """Return ``(algorithm, hex digest)`` of a source record.

    Stores written before CRC-32 became the default record ``sha256``.
    """
    for algorithm in SOURCE_DIGESTS:
        if algorithm in source:
            return algorithm, str(source[algorithm])
    raise KeyError(f"source record of {source.get('path')} has no digest")


def find_stale_sources(store_path: Path, sources: list[dict[str, Any]]) -> list[str]:
    """List the sources that changed since the store was built.

    A source is looked up at its recorded absolute path, then at its path
    relative to the store. A file with the recorded size and mtime is taken as
    unchanged; otherwise its recorded digest (CRC-32 or SHA-256) decides.
    Missing sources are not stale, because the store contains the data itself.
    """
    stale = []
    for source in sources:
        candidates = [Path(source["path"]), store_path.parent / source.get("relative", "")]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            logger.debug("source %s of %s not found; not checked", source["path"], store_path)
            continue
        info = found.stat()
        if info.st_size == source["size"] and info.st_mtime_ns == source["mtime_ns"]:
            continue
        algorithm, digest = source_digest(source)
        if info.st_size == source["size"] and hash_file(found, algorithm) == digest:
            continue
        stale.append(
            f"{found} (size {source['size']} -> {info.st_size} bytes, {algorithm} changed)"
        )
    return stale


# --------------------------------------------------------------------- reading


@dataclass
class Store:
    """An open, checked bioseq store; use :func:`open_store` to create one.

    Datasets are read on request, so opening costs only the header. Close the
    store (or use it as a context manager) to release the HDF5 handle.
    """

    path: Path
    handle: h5py.File
    alphabet: Alphabet
    n_sequences: int
    task: str | None
    class_names: list[str] | None
    split_names: list[str]
    sources: list[dict[str, Any]]
    transforms: dict[str, int]
    attrs: dict[str, Any] = field(default_factory=dict)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HDF5 handle."""
        self.handle.close()

    @property
    def offsets(self) -> np.ndarray:
        """Start of each sequence in ``codes``, ``(N + 1,)`` int64 (read on each access)."""
        return read_dataset(self.path, self.handle["offsets"])

    @property
    def identity(self) -> tuple[int, int, int]:
        """Device, inode and modification time of the open file.

        A store replaced by ``bioseq preprocess --overwrite`` is a new file,
        so readers that open the path again compare this to tell.
        """
        info = os.fstat(self.handle.id.get_vfd_handle())
        return info.st_dev, info.st_ino, info.st_mtime_ns

    @property
    def checksums(self) -> dict[str, int]:
        """The CRC-32 of each dataset's content recorded at write time (empty for old stores)."""
        return {name: int(value, 16)
                for name, value in json.loads(self.attrs.get("checksums", "{}")).items()}

    def verify(self, name: str, values: np.ndarray) -> None:
        """Check a whole dataset's values against the checksum recorded for it.

        Raises
        ------
        StoreError
            If the values differ from what the writer stored.
        """
        expected = self.checksums.get(name)
        if expected is None:
            return
        found = update_checksum(0, values)
        if found != expected:
            raise StoreError(
                f"{self.path} is corrupt: dataset {name} does not match its checksum "
                f"(crc32 {found:08x}, recorded {expected:08x}); run bioseq validate "
                f"{self.path} and rebuild the store with bioseq preprocess --overwrite"
            )

    @property
    def has_labels(self) -> bool:
        """Whether the store contains labels."""
        return "labels" in self.handle

    def ids(self) -> np.ndarray:
        """Read every record id as ``str``, ``(N,)`` object array."""
        return read_text(self.path, self.handle, "ids")

    def splits(self) -> np.ndarray | None:
        """Read each record's split name, ``(N,)`` object array, or None without splits."""
        if "splits" not in self.handle:
            return None
        names = np.asarray(self.split_names, dtype=object)
        indices = read_dataset(self.path, self.handle["splits"])
        if len(indices) and int(indices.max()) >= len(names):
            raise StoreError(
                f"{self.path} is corrupt: dataset splits holds index {int(indices.max())} but "
                f"the store lists {len(names)} split names; rebuild it with bioseq preprocess"
            )
        return names[indices]

    def split_indices(self, split: str) -> np.ndarray:
        """Return the record indices of one split, ascending ``(n,)`` int64.

        Raises
        ------
        StoreError
            If the store has no split membership or no record in ``split``.
        """
        if "splits" not in self.handle:
            raise StoreError(
                f"{self.path} has no split membership, so split {split!r} cannot be selected; "
                "rebuild it with --split-column, or select records by index"
            )
        if split not in self.split_names:
            raise StoreError(
                f"{self.path} has no records in split {split!r}; splits present: "
                f"{self.split_names}"
            )
        splits = read_dataset(self.path, self.handle["splits"])
        return np.flatnonzero(splits == self.split_names.index(split))

    def index_of(self, ids: list[str] | np.ndarray) -> np.ndarray:
        """Find the record index of each id, ``-1`` where the store lacks it.

        Use it to join a table keyed by record id (``labels.csv``, say) with
        the store. The counts of matched and unmatched ids are logged at INFO.

        Returns
        -------
        numpy.ndarray of shape (len(ids),), dtype int64
        """
        stored = self.ids()
        position = {name: index for index, name in enumerate(stored.tolist())}
        wanted = [str(name) for name in ids]
        found = np.array([position.get(name, -1) for name in wanted], dtype=np.int64)
        n_matched = int((found >= 0).sum())
        logger.info(
            "%s: matched %d of %d ids; %d not in the store; %d store records not listed",
            self.path, n_matched, len(wanted), len(wanted) - n_matched,
            len(stored) - len(set(found[found >= 0].tolist())),
        )
        return found

    def read(self, indices: np.ndarray | None = None) -> SequenceSet:
        """Read the whole store, or the records at ``indices``, into a SequenceSet."""
        handle = self.handle
        offsets = self.offsets
        codes = read_codes(self.path, handle["codes"], 0, handle["codes"].shape[0])
        if len(codes) != offsets[-1]:
            raise StoreError(
                f"{self.path} is corrupt: offsets end at {int(offsets[-1])} but codes hold "
                f"{len(codes)} residues"
            )
        ids = self.ids()
        labels = read_dataset(self.path, handle["labels"]) if "labels" in handle else None
        descriptions = None
        if "description_text" in handle:
            descriptions = read_text(self.path, handle, "descriptions")
        splits = read_dataset(self.path, handle["splits"]) if "splits" in handle else None
        for name, values in (("codes", codes), ("offsets", offsets), ("id_text", ids),
                             ("labels", labels), ("description_text", descriptions),
                             ("splits", splits)):
            if values is not None:
                self.verify(name, values)
        # The text offsets are not needed to read whole columns, but damage in them would
        # mislead any reader of single records, so they are checked too.
        for _, offsets_name in TEXT_DATASETS.values():
            if offsets_name in handle:
                self.verify(offsets_name, read_dataset(self.path, handle[offsets_name]))
        whole = SequenceSet(
            ids=ids,
            codes=codes,
            offsets=offsets,
            alphabet=self.alphabet,
            labels=labels,
            class_names=self.class_names,
            task=self.task,  # type: ignore[arg-type]
            splits=self.splits(),
            transforms=dict(self.transforms),  # type: ignore[arg-type]
            flagged=json.loads(self.attrs.get("flagged", "{}")),
            sources=[str(self.path)],
            descriptions=descriptions,
        )
        return whole if indices is None else whole.subset(indices)


def _inflate(data: bytes) -> bytes:
    if isal_zlib is not None:
        return isal_zlib.decompress(data)
    return zlib.decompress(data)


def read_codes(path: Path, codes: h5py.Dataset, start: int, stop: int) -> np.ndarray:
    """Read ``codes[start:stop]`` by inflating whole chunks outside HDF5's filter pipeline.

    This reads the same bytes as ``codes[start:stop]`` about three times
    faster (isal's inflate, and no per-call overhead of the filter pipeline),
    and ranges of several chunks are inflated in two threads.

    Raises
    ------
    StoreError
        If a chunk is missing or fails to inflate (a corrupt store).
    """
    if stop <= start:
        return np.zeros(0, dtype=np.uint8)
    if codes.compression != "gzip" or not codes.chunks:
        return read_dataset(path, codes, slice(start, stop))
    size = codes.chunks[0]
    first, last = start // size, (stop - 1) // size
    out = np.empty(stop - start, dtype=np.uint8)

    def fetch(index: int) -> None:
        try:
            # A filter mask of 0 means every filter (here only deflate) was applied.
            mask, raw = codes.id.read_direct_chunk((index * size,))
            data = _inflate(raw) if mask == 0 else raw
        except _INFLATE_ERRORS as error:
            raise read_failure(path, "codes", error,
                               f" (the chunk at residue {index * size})") from error
        chunk = np.frombuffer(data, dtype=np.uint8)
        low, high = max(start, index * size), min(stop, (index + 1) * size)
        out[low - start : high - start] = chunk[low - index * size : high - index * size]

    if last - first < 2:
        for index in range(first, last + 1):
            fetch(index)
    else:
        list(_inflate_pool().map(fetch, range(first, last + 1)))
    return out


_INFLATE_POOL: tuple[int, ThreadPoolExecutor] | None = None


def _inflate_pool() -> ThreadPoolExecutor:
    """Return this process's two inflate threads, started on first use.

    The threads live as long as the process. A pool per call started two new
    threads each time, and each new thread can get its own malloc arena, which
    kept freed chunk buffers and made a long training run grow by hundreds of MB.
    A forked child (a DataLoader worker) starts its own pool, since threads do
    not survive a fork.
    """
    global _INFLATE_POOL
    if _INFLATE_POOL is None or _INFLATE_POOL[0] != os.getpid():
        _INFLATE_POOL = (os.getpid(), ThreadPoolExecutor(max_workers=2,
                                                         thread_name_prefix="bioseq-inflate"))
    return _INFLATE_POOL[1]


def open_store(
    path: str | os.PathLike[str],
    *,
    alphabet: str | Alphabet | None = None,
    locking: bool | None = None,
    on_stale: StaleAction = "error",
) -> Store:
    """Open a store for reading after checking that it is whole and current.

    Parameters
    ----------
    path : path-like
        The ``.h5`` store written by :func:`write_store`.
    alphabet : str or Alphabet or None, default=None
        Alphabet the caller expects; a store of another alphabet is rejected.
    locking : bool or None, default=None
        HDF5 file locking. None keeps HDF5's default (which honours
        ``HDF5_USE_FILE_LOCKING``); False reads without locks, for file
        systems that refuse them (NFS).
    on_stale : {"error", "warn", "ignore"}, default="error"
        What to do when a source file beside the store changed after the
        store was built.

    Returns
    -------
    Store

    Raises
    ------
    StoreError
        If the file is missing, being written, truncated, corrupt, not a
        bioseq store, of another format version or alphabet, incomplete,
        locked, or older than its changed sources (with ``on_stale="error"``).
    """
    store_path = Path(path)
    if on_stale not in ("error", "warn", "ignore"):
        raise ValueError(f"invalid on_stale {on_stale!r}; expected 'error', 'warn' or 'ignore'")
    handle = _open_hdf5(store_path, locking)
    try:
        _check_header(store_path, handle, alphabet)
        attrs = {key: _plain(value) for key, value in handle.attrs.items()}
        parsed = _parse_attributes(store_path, attrs)
        _check_layout(store_path, handle, parsed["n_sequences"])
        if on_stale != "ignore":
            _report_stale(store_path, find_stale_sources(store_path, parsed["sources"]), on_stale)
        store = Store(
            path=store_path,
            handle=handle,
            alphabet=get_alphabet(parsed["alphabet"]),
            n_sequences=parsed["n_sequences"],
            task=parsed["task"] or None,
            class_names=parsed["class_names"],
            split_names=parsed["split_names"],
            sources=parsed["sources"],
            transforms=parsed["transforms"],
            attrs=attrs,
        )
    except BaseException:
        handle.close()
        raise
    return store


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _is_count_map(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(count, int) for count in value.values())


# Root attributes that readers use: JSON default (None when the attribute is required and
# plain), the check of the parsed value, and what the value must be.
_ATTRIBUTES: dict[str, tuple[str | None, Callable[[Any], bool], str]] = {
    "alphabet": (None, lambda value: value in ALPHABETS, f"one of {sorted(ALPHABETS)}"),
    "n_sequences": (None, lambda value: isinstance(value, int) and value >= 0,
                    "a record count"),
    "task": (None, lambda value: isinstance(value, str), "a task name or empty text"),
    "sources": ("[]", lambda value: isinstance(value, list) and all(
        isinstance(item, dict) and {"path", "size", "mtime_ns"} <= set(item) for item in value),
        "a JSON list of source records"),
    "class_names": ("null", lambda value: value is None or _is_str_list(value),
                    "a JSON list of class names or null"),
    "split_names": ("[]", _is_str_list, "a JSON list of split names"),
    "transforms": ("{}", _is_count_map, "a JSON object of counts"),
    "flagged": ("{}", lambda value: isinstance(value, dict) and all(
        _is_str_list(ids) for ids in value.values()), "a JSON object of id lists"),
    "checksums": ("{}", lambda value: isinstance(value, dict) and all(
        isinstance(text, str) and len(text) == 8 and all(c in "0123456789abcdef" for c in text)
        for text in value.values()), "a JSON object of 8-digit hex CRC-32 values"),
    "input": ("{}", lambda value: isinstance(value, dict), "a JSON object"),
}


def _parse_attributes(path: Path, attrs: dict[str, Any]) -> dict[str, Any]:
    """Parse the root attributes that readers use, and reject damaged ones by name."""
    parsed = {}
    for name, (default, valid, expected) in _ATTRIBUTES.items():
        if default is None:
            if name not in attrs:
                raise StoreError(f"{path} is corrupt: root attribute {name} is missing; "
                                 "rebuild the store with bioseq preprocess --overwrite")
            value = attrs[name]
            if name == "n_sequences" and isinstance(value, (int, np.integer)):
                value = int(value)
        else:
            try:
                value = json.loads(attrs.get(name, default))
            except (TypeError, ValueError):
                value = _INVALID
        if value is _INVALID or not valid(value):
            excerpt = str(attrs.get(name))
            excerpt = excerpt if len(excerpt) <= 60 else excerpt[:57] + "..."
            raise StoreError(f"{path} is corrupt: root attribute {name} is {excerpt!r}, expected "
                             f"{expected}; rebuild the store with bioseq preprocess --overwrite")
        parsed[name] = value
    return parsed


_INVALID = object()


def _check_layout(path: Path, handle: h5py.File, n_records: int) -> None:
    """Check every dataset's row count against the record count, so no reader runs off one."""
    expected = {"offsets": n_records + 1, "labels": n_records, "splits": n_records}
    for text_name, offsets_name in TEXT_DATASETS.values():
        if (text_name in handle) != (offsets_name in handle):
            present, missing = (text_name, offsets_name) if text_name in handle else (
                offsets_name, text_name)
            raise StoreError(f"{path} is corrupt: dataset {present} is present but {missing} is "
                             "missing; rebuild the store with bioseq preprocess --overwrite")
        expected[offsets_name] = n_records + 1
    for name, rows in expected.items():
        if name in handle and handle[name].shape[0] != rows:
            raise StoreError(f"{path} is corrupt: dataset {name} has {handle[name].shape[0]} "
                             f"rows, but the store has {n_records} records, so it needs {rows}; "
                             "rebuild the store with bioseq preprocess --overwrite")
    ends = {"offsets": "codes", **{offsets_name: text_name
                                   for text_name, offsets_name in TEXT_DATASETS.values()}}
    for offsets_name, data_name in ends.items():
        if offsets_name not in handle:
            continue
        last = int(read_dataset(path, handle[offsets_name], n_records))
        if last != handle[data_name].shape[0]:
            raise StoreError(f"{path} is corrupt: dataset {offsets_name} ends at {last}, but "
                             f"{data_name} holds {handle[data_name].shape[0]} values; rebuild "
                             "the store with bioseq preprocess --overwrite")


def _report_stale(path: Path, stale: list[str], on_stale: StaleAction) -> None:
    if not stale:
        return
    message = (
        f"{path} is stale: its source files changed after it was built: {'; '.join(stale)}. "
        "Rebuild it with bioseq preprocess ... --overwrite"
    )
    if on_stale == "error":
        raise StoreError(message)
    import warnings

    warnings.warn(message, BioseqWarning, stacklevel=3)
    logger.warning(message)


def _plain(value: Any) -> Any:
    """Convert an HDF5 attribute value to a plain Python value (bytes to str)."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.generic):
        return value.item()
    return value


def read_store(
    path: str | os.PathLike[str],
    *,
    alphabet: str | Alphabet | None = None,
    split: str | None = None,
    locking: bool | None = None,
    on_stale: StaleAction = "error",
) -> SequenceSet:
    """Read a whole store (or one split of it) into memory.

    Parameters are those of :func:`open_store`, plus ``split`` to keep only
    the records of one split.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from bioseq.sequences import SequenceSet
    >>> from bioseq.io.store import write_store
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> data = SequenceSet.from_strings(["ACGT", "GGA"], ids=["s1", "s2"])
    >>> _ = write_store(folder / "enc.h5", [data])
    >>> back = read_store(folder / "enc.h5")
    >>> back.ids.tolist(), back.sequence(1)
    (['s1', 's2'], 'GGA')
    """
    with open_store(path, alphabet=alphabet, locking=locking, on_stale=on_stale) as store:
        indices = None if split is None else store.split_indices(split)
        result = store.read(indices)
    logger.info("read %d records from store %s", len(result), path)
    return result


def __getattr__(name: str) -> Any:
    # The writer and the checks live in modules that import this one; exporting them
    # lazily here lets callers import everything from bioseq.io.store without a cycle.
    if name in ("StoreWriter", "write_store"):
        from bioseq.io import store_writer

        return getattr(store_writer, name)
    if name in ("check_stores", "describe_store", "validate_store"):
        from bioseq.io import store_check

        return getattr(store_check, name)
    raise AttributeError(f"module 'bioseq.io.store' has no attribute {name!r}")
