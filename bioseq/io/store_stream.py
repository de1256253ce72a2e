"""Stream an HDF5 store in chunks of records, without reading its codes whole.

:func:`iter_store` yields :class:`~bioseq.sequences.SequenceSet` chunks of a
store in store order, so prediction and evaluation hold one chunk of codes
at a time. :func:`iter_code_blocks` yields the raw codes of consecutive
records in blocks bounded by a residue budget, for passes over the content
such as hashing.

Examples
--------
>>> import tempfile, pathlib
>>> from bioseq.io.store import write_store
>>> path = pathlib.Path(tempfile.mkdtemp()) / "enc.h5"
>>> _ = write_store(path, [SequenceSet.from_strings(["ACGT", "GG", "TTA"], ids=["a", "b", "c"])])
>>> [chunk.ids.tolist() for chunk in iter_store(path, 2)]
[['a', 'b'], ['c']]
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from bioseq.alphabet import Alphabet
from bioseq.errors import StoreError
from bioseq.io.store import (
    TEXT_DATASETS,
    StaleAction,
    Store,
    open_store,
    read_codes,
    read_dataset,
    read_text,
    update_checksum,
)
from bioseq.sequences import SequenceSet

logger = logging.getLogger(__name__)

#: Residues of codes read at a time (4 MiB) by :func:`iter_code_blocks`, and the maximum
#: that one chunk of :func:`iter_store` contains unless a single record is longer.
DEFAULT_BLOCK_RESIDUES = 1 << 22


def find_single_store(sources: Sequence[str | os.PathLike[str]],
                      fmt: object = "auto") -> tuple[Path | None, str | None]:
    """Tell whether ``sources`` name exactly one HDF5 store that can be streamed.

    Returns
    -------
    tuple of (pathlib.Path or None, str or None)
        The store, or None with the reason why the sources must be read into
        memory (None as well when no source is a store).
    """
    from bioseq.io.load import DataSource
    from bioseq.io.store import find_partial_files, is_store_file

    parsed = [DataSource.parse(str(source)) for source in sources]
    # A store that a writer has not renamed into place yet counts as a store, so that
    # opening it reports the writer instead of a missing file.
    stores = [source for source in parsed if is_store_file(source.path)
              or (not source.path.exists() and find_partial_files(source.path))]
    if not stores:
        return None, None
    if len(parsed) > 1:
        return None, (f"{len(parsed)} sources ({len(stores)} HDF5 stores); only a single "
                      "store is read out of core")
    if stores[0].class_name is not None:
        return None, "the store has a CLASS= prefix"
    if fmt not in ("auto", "store"):
        return None, f"format {fmt!r} was requested"
    return stores[0].path, None


def read_checked_offsets(store: Store) -> np.ndarray:
    """Read the offsets of an open store and check them against the codes and the checksum.

    Raises
    ------
    StoreError
        If the offsets do not match the checksum, the record count or the codes.
    """
    offsets = store.offsets
    store.verify("offsets", offsets)
    n_codes = store.handle["codes"].shape[0]
    if len(offsets) != store.n_sequences + 1 or (len(offsets) and offsets[-1] != n_codes):
        raise StoreError(
            f"{store.path} is corrupt: {len(offsets)} offsets ending at "
            f"{int(offsets[-1]) if len(offsets) else 0} for {store.n_sequences} records and "
            f"{n_codes} residues; rebuild it with bioseq preprocess --overwrite"
        )
    return offsets


def iter_store(
    path: str | os.PathLike[str],
    chunk_size: int,
    *,
    alphabet: str | Alphabet | None = None,
    labels: bool = True,
    max_residues: int = DEFAULT_BLOCK_RESIDUES,
    locking: bool | None = None,
    on_stale: StaleAction = "error",
) -> Iterator[SequenceSet]:
    """Read a store as sequence sets of up to ``chunk_size`` records, in store order.

    Each chunk contains its own codes only, and a chunk ends early when its
    records reach ``max_residues`` residues (a longer record forms a chunk
    of its own), so memory is bounded whatever the record lengths. Every dataset is checked against its recorded CRC-32 as it
    streams past, and a mismatch raises after the last chunk, so a caller
    that writes its output atomically never renames a result built from a
    corrupt store. The store's transformation counts and flagged ids are
    attached to the first chunk only, so that summing over chunks counts
    them once.

    Parameters
    ----------
    path : path-like
        Store written by ``bioseq preprocess``.
    chunk_size : int
        Records per chunk, at least 1.
    alphabet, locking, on_stale
        As for :func:`bioseq.io.store.open_store`.
    labels : bool, default=True
        Read labels, class names and task; False yields unlabelled chunks.
    max_residues : int, default=4194304
        Residues of codes at which a chunk ends before ``chunk_size`` records.

    Yields
    ------
    SequenceSet

    Raises
    ------
    StoreError
        If the store cannot be opened or a dataset is corrupt.
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
    store_path = Path(path)
    with open_store(store_path, alphabet=alphabet, locking=locking, on_stale=on_stale) as store:
        offsets = read_checked_offsets(store)
        handle = store.handle
        # Datasets to stream beside the codes; each checksum is continued chunk by chunk.
        # Labels are read and checked even when unused, so a corrupt store never passes.
        # A text column's checksum covers its text. read_text checks that the offsets agree.
        names = ["codes", "ids"]
        names += [name for name in ("labels", "descriptions", "splits")
                  if TEXT_DATASETS.get(name, (name,))[0] in handle]
        crc = dict.fromkeys(names, 0)
        split_names = np.asarray(store.split_names, dtype=object)
        n_records = store.n_sequences
        start = 0
        while start < n_records:
            stop = _chunk_end(offsets, start, chunk_size, max_residues)
            values = {
                "codes": read_codes(store_path, handle["codes"], int(offsets[start]),
                                    int(offsets[stop])),
            }
            for name in names[1:]:
                if name in TEXT_DATASETS:
                    values[name] = read_text(store_path, handle, name, start, stop)
                else:
                    values[name] = read_dataset(store_path, handle[name], slice(start, stop))
            for name in names:
                crc[name] = update_checksum(crc[name], values[name])
            splits = None
            if "splits" in values:
                splits = _split_names(store_path, split_names, values["splits"])
            first = start == 0
            if not labels:
                values.pop("labels", None)
            yield SequenceSet(
                ids=values["ids"],
                codes=values["codes"],
                offsets=offsets[start : stop + 1] - offsets[start],
                alphabet=store.alphabet,
                labels=values.get("labels"),
                class_names=store.class_names if "labels" in values else None,
                task=store.task if "labels" in values else None,  # type: ignore[arg-type]
                splits=splits,
                transforms=dict(store.transforms) if first else {},  # type: ignore[arg-type]
                flagged=json.loads(store.attrs.get("flagged", "{}")) if first else {},
                sources=[str(store_path)],
                descriptions=values.get("descriptions"),
            )
            start = stop
        for name in names:
            stored_name = TEXT_DATASETS.get(name, (name,))[0]
            expected = store.checksums.get(stored_name)
            if expected is not None and n_records and crc[name] != expected:
                raise StoreError(
                    f"{store_path} is corrupt: dataset {stored_name} does not match its checksum "
                    f"(crc32 {crc[name]:08x}, recorded {expected:08x}); run bioseq validate "
                    f"{store_path} and rebuild the store with bioseq preprocess --overwrite"
                )
    logger.info("streamed %d records from store %s in chunks of up to %d records",
                n_records, store_path, chunk_size)


def _chunk_end(offsets: np.ndarray, start: int, max_records: int, max_residues: int) -> int:
    # The last record whose end stays within the residue budget, but at least one record.
    n_records = len(offsets) - 1
    stop = int(np.searchsorted(offsets, offsets[start] + max(max_residues, 1), side="right")) - 1
    return min(max(stop, start + 1), start + max_records, n_records)


def _split_names(path: Path, names: np.ndarray, indices: np.ndarray) -> np.ndarray:
    if len(indices) and int(indices.max()) >= len(names):
        raise StoreError(
            f"{path} is corrupt: dataset splits holds index {int(indices.max())} but the store "
            f"lists {len(names)} split names; rebuild it with bioseq preprocess"
        )
    return names[indices]


def iter_code_blocks(
    store: Store, offsets: np.ndarray, *, block_residues: int = DEFAULT_BLOCK_RESIDUES
) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Yield the codes of consecutive records in blocks of about ``block_residues`` residues.

    A record longer than the budget comes in a block of its own, so a
    block never splits a record.

    Parameters
    ----------
    store : Store
        Open store.
    offsets : numpy.ndarray of shape (N + 1,)
        The store's offsets, from :func:`read_checked_offsets`.
    block_residues : int, default=4194304
        Residue budget of one block.

    Yields
    ------
    tuple of (int, numpy.ndarray, numpy.ndarray)
        The first record of the block, the block's offsets ``(n + 1,)``
        starting at 0, and its codes ``(offsets[-1],)`` uint8.
    """
    n_records = len(offsets) - 1
    start = 0
    while start < n_records:
        stop = _chunk_end(offsets, start, n_records, block_residues)
        codes = read_codes(store.path, store.handle["codes"], int(offsets[start]),
                           int(offsets[stop]))
        yield start, offsets[start : stop + 1] - offsets[start], codes
        start = stop
