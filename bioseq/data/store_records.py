"""What training needs to know about a store's records, without their codes.

:class:`StoreRecords` contains, for every record of an HDF5 store, its store
row, id, length, label and split, plus a 128-bit content key. With it the
training run splits, deduplicates, sizes its input and writes its manifest
while the codes stay on disk. :func:`read_store_records` reads these small
arrays, applies the loader's label and split options exactly as
:func:`bioseq.io.load.load_sequences` does, and computes the content keys by
streaming the codes in bounded blocks.

Examples
--------
>>> import tempfile, pathlib
>>> from bioseq.sequences import SequenceSet
>>> from bioseq.io.store import write_store
>>> path = pathlib.Path(tempfile.mkdtemp()) / "enc.h5"
>>> data = SequenceSet.from_strings(["ACGT", "GG", "ACGT"], labels=[0, 1, 0],
...                                 class_names=["a", "b"], task="binary")
>>> _ = write_store(path, [data])
>>> records = read_store_records(path)
>>> records.lengths.tolist(), records.class_names
([4, 2, 4], ['a', 'b'])
>>> bool((records.content_keys[0] == records.content_keys[2]).all())
True
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from numba import njit

from bioseq.alphabet import Alphabet
from bioseq.io.store import StaleAction, open_store, read_dataset
from bioseq.io.store_stream import DEFAULT_BLOCK_RESIDUES, iter_code_blocks, read_checked_offsets

logger = logging.getLogger(__name__)

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_MIX = np.uint64(0x9E3779B97F4A7C15)


@njit(cache=True, nogil=True)
def _hash_records(codes: np.ndarray, offsets: np.ndarray, out: np.ndarray) -> None:
    # Two independent 64-bit hashes per record: FNV-1a over the codes, and a
    # multiply-add hash seeded with the length. Serial on purpose: a parallel
    # (OpenMP) kernel would break DataLoader workers forked later.
    for i in range(len(offsets) - 1):
        first = _FNV_OFFSET
        second = np.uint64(offsets[i + 1] - offsets[i]) * _MIX
        for j in range(offsets[i], offsets[i + 1]):
            code = np.uint64(codes[j])
            first = (first ^ code) * _FNV_PRIME
            second = (second + code + np.uint64(1)) * _MIX
            second ^= second >> np.uint64(29)
        out[i, 0] = first
        out[i, 1] = second


def hash_record_codes(codes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Compute a 128-bit content key for each record of a flat code array.

    Records with equal codes get equal keys, and the length is part of the
    second hash. Two different records share a key with a probability of
    about 2**-128 per pair. That is an estimate which treats the two
    non-cryptographic hashes as independent random functions. Keys therefore
    stand in for the codes in duplicate detection.

    Parameters
    ----------
    codes : numpy.ndarray of shape (total,), dtype uint8
    offsets : numpy.ndarray of shape (n + 1,), dtype int64
        Record ``i`` is ``codes[offsets[i]:offsets[i + 1]]``.

    Returns
    -------
    numpy.ndarray of shape (n, 2), dtype uint64
    """
    out = np.empty((len(offsets) - 1, 2), dtype=np.uint64)
    _hash_records(np.ascontiguousarray(codes, dtype=np.uint8),
                  np.ascontiguousarray(offsets, dtype=np.int64), out)
    return out


@dataclass
class StoreRecords:
    """The records of one store as ids, lengths, labels and splits, without codes.

    It offers the fields of :class:`~bioseq.sequences.SequenceSet` that the
    training steps read (``ids``, ``lengths``, ``labels``, ``class_names``,
    ``task``, ``splits``, ``alphabet``, ``transforms``, ``sources``,
    ``subset``, ``split``), so they run on it unchanged.

    Parameters
    ----------
    path : pathlib.Path
        The store.
    rows : numpy.ndarray of shape (N,), dtype int64
        Store row of each record; a subset keeps the rows of its records.
    ids : numpy.ndarray of shape (N,), dtype object
    lengths : numpy.ndarray of shape (N,), dtype int64
    alphabet : Alphabet
    n_store : int
        Records in the whole store (a subset keeps the count).
    content_keys : numpy.ndarray of shape (N, 2), dtype uint64, or None
        Content key of each record (see :func:`hash_record_codes`).
    identity : tuple or None
        :attr:`~bioseq.io.store.Store.identity` of the file the records came from.
    labels, class_names, task, splits, transforms, flagged, sources
        As in :class:`~bioseq.sequences.SequenceSet`.
    """

    path: Path
    rows: np.ndarray
    ids: np.ndarray
    lengths: np.ndarray
    alphabet: Alphabet
    n_store: int
    content_keys: np.ndarray | None = None
    labels: np.ndarray | None = None
    class_names: list[str] | None = None
    task: str | None = None
    splits: np.ndarray | None = None
    transforms: Counter = field(default_factory=Counter)
    flagged: dict[str, list[str]] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    identity: tuple[int, int, int] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, indices: np.ndarray | list[int]) -> StoreRecords:
        """Return the records at ``indices`` (or a boolean mask), in that order."""
        index = np.asarray(indices)
        if index.dtype == bool:
            index = np.flatnonzero(index)
        index = index.astype(np.int64)
        return replace(
            self,
            rows=self.rows[index],
            ids=self.ids[index],
            lengths=self.lengths[index],
            content_keys=None if self.content_keys is None else self.content_keys[index],
            labels=None if self.labels is None else self.labels[index],
            splits=None if self.splits is None else self.splits[index],
            transforms=Counter(self.transforms),
            flagged={key: list(value) for key, value in self.flagged.items()},
            sources=list(self.sources),
        )

    def split(self, name: str) -> StoreRecords:
        """Return the records whose split is ``name``.

        Raises
        ------
        ValueError
            If there is no split membership or no record in that split.
        """
        if self.splits is None:
            raise ValueError("these store records have no split membership")
        mask = self.splits == name
        if not mask.any():
            present = sorted(set(self.splits.tolist()))
            raise ValueError(f"no records in split {name!r}; splits present: {present}")
        return self.subset(mask)


def read_store_records(
    path: str | os.PathLike[str],
    *,
    labels: bool = True,
    classes: Sequence[object] | int | str | None = None,
    positive_class: str | None = None,
    split_map: str | Sequence[str] | Mapping[object, object] | None = None,
    split: str | None = None,
    task: str | None = None,
    alphabet: str | Alphabet | None = None,
    content_keys: bool = True,
    block_residues: int = DEFAULT_BLOCK_RESIDUES,
    locking: bool | None = None,
    on_stale: StaleAction = "error",
) -> StoreRecords:
    """Read a store's ids, lengths, labels and splits, and hash its codes block by block.

    Memory holds the per-record arrays and one block of codes at a time,
    never the whole ``codes`` dataset.

    Parameters
    ----------
    path : path-like
        Store written by ``bioseq preprocess``.
    labels, classes, positive_class, split_map, task
        As for :func:`bioseq.io.load.load_sequences`, which gives the same
        class order, label indices and split names for the same store.
    split : str or None, default=None
        Split of every record, as the ``SPLIT:PATH`` source prefix sets it.
    alphabet : str, Alphabet or None, default=None
        Alphabet the caller expects; None or ``"auto"`` accepts the store's.
    content_keys : bool, default=True
        Compute the content keys (one pass over the codes).
    block_residues : int, default=4194304
        Residues of codes read at a time while hashing.
    locking, on_stale
        As for :func:`bioseq.io.store.open_store`.

    Returns
    -------
    StoreRecords

    Raises
    ------
    StoreError
        If the store is missing, incomplete, corrupt or stale.
    LabelError, ConfigError
        For labels or split values that the options reject.
    """
    # The label and split rules of load_sequences, applied to the small arrays only.
    from bioseq.io.labels import parse_classes
    from bioseq.io.load import (
        DataSource,
        _map_splits,
        _merge_labels,
        _warn_single_class,
        parse_split_map,
    )

    store_path = Path(path)
    expected = None if alphabet in (None, "auto") else alphabet
    with open_store(store_path, alphabet=expected, locking=locking, on_stale=on_stale) as store:
        offsets = read_checked_offsets(store)
        handle = store.handle
        ids = store.ids()
        store.verify("id_text", ids)
        stored_labels = None
        if labels and store.has_labels:
            stored_labels = read_dataset(store_path, handle["labels"])
            store.verify("labels", stored_labels)
        splits = None
        if "splits" in handle:
            store.verify("splits", read_dataset(store_path, handle["splits"]))
            splits = store.splits()
        keys = None
        if content_keys:
            keys = np.empty((store.n_sequences, 2), dtype=np.uint64)
            for start, block_offsets, codes in iter_code_blocks(store, offsets,
                                                                block_residues=block_residues):
                keys[start : start + len(block_offsets) - 1] = hash_record_codes(codes,
                                                                                block_offsets)
        records = StoreRecords(
            path=store_path,
            rows=np.arange(store.n_sequences, dtype=np.int64),
            ids=ids,
            lengths=np.diff(offsets),
            alphabet=store.alphabet,
            n_store=store.n_sequences,
            content_keys=keys,
            labels=stored_labels,
            class_names=store.class_names if stored_labels is not None else None,
            task=store.task if stored_labels is not None else None,
            splits=splits,
            transforms=Counter(store.transforms),
            sources=[str(store_path)],
            identity=store.identity,
        )
    _map_splits(records, parse_split_map(split_map), store_path)  # type: ignore[arg-type]
    if split is not None:
        records.splits = np.full(len(records), split, dtype=object)
    if labels:
        declared = parse_classes(classes)
        _merge_labels(records, [DataSource(store_path)], [records], declared,  # type: ignore[list-item, arg-type]
                      positive_class, task)
        if declared is not None and records.task in ("binary", "multiclass"):
            _warn_single_class(np.unique(records.labels).tolist(), len(records), records.class_names)
    logger.info("read the index of %d records from store %s (codes stay on disk%s)",
                len(records), store_path, ", hashed for duplicates" if content_keys else "")
    return records
