"""Summaries and integrity checks of bioseq HDF5 stores (``inspect`` and ``validate``)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from bioseq.alphabet import PAD_CODE
from bioseq.errors import StoreError
from bioseq.io.store import (
    CODE_CHUNK,
    RECORD_CHUNK,
    TEXT_DATASETS,
    Store,
    find_stale_sources,
    open_store,
    read_codes,
    read_dataset,
    read_text,
    update_checksum,
)


def describe_store(path: str | os.PathLike[str], *, locking: bool | None = None) -> dict[str, Any]:
    """Summarize a store: counts, lengths, classes, splits, transforms, sources, storage.

    Class and split counts read the per-record datasets; the codes are not read.
    Changed sources are listed under ``stale_sources`` rather than raised.
    """
    with open_store(path, locking=locking, on_stale="ignore") as store:
        handle = store.handle
        lengths = np.diff(store.offsets)
        summary: dict[str, Any] = {
            "path": str(store.path),
            "file_bytes": store.path.stat().st_size,
            "format_version": store.attrs.get("format_version"),
            "bioseq_version": store.attrs.get("bioseq_version"),
            "created": store.attrs.get("created"),
            "alphabet": store.alphabet.name,
            "n_sequences": store.n_sequences,
            "n_residues": int(store.attrs.get("n_residues", 0)),
            "length": {
                "min": int(lengths.min()) if len(lengths) else 0,
                "median": float(np.median(lengths)) if len(lengths) else 0.0,
                "max": int(lengths.max()) if len(lengths) else 0,
            },
            "task": store.task,
            "class_names": store.class_names,
            "class_counts": None,
            "split_counts": None,
            "transforms": store.transforms,
            "input": json.loads(store.attrs.get("input", "{}")),
            "sources": store.sources,
            "stale_sources": find_stale_sources(store.path, store.sources),
            "codes_storage": {
                "chunk_residues": handle["codes"].chunks[0] if handle["codes"].chunks else None,
                "compression": handle["codes"].compression,
                "compression_level": handle["codes"].compression_opts,
            },
        }
        if store.has_labels and store.task in ("binary", "multiclass") and store.class_names:
            labels = read_dataset(store.path, handle["labels"])
            counts = np.bincount(labels[labels >= 0], minlength=len(store.class_names))
            summary["class_counts"] = dict(zip(store.class_names, counts.tolist(), strict=False))
        elif store.has_labels and store.task == "multilabel" and store.class_names:
            totals = read_dataset(store.path, handle["labels"]).sum(axis=0)
            summary["class_counts"] = dict(zip(store.class_names, totals.astype(int).tolist(),
                                               strict=True))
        if "splits" in handle:
            counts = np.bincount(read_dataset(store.path, handle["splits"]), minlength=len(store.split_names))
            summary["split_counts"] = dict(zip(store.split_names, counts.tolist(), strict=True))
    return summary


def validate_store(path: str | os.PathLike[str], *, deep: bool = True,
                   locking: bool | None = None) -> list[str]:
    """List what is wrong with one store; an empty list means it is valid.

    The header, format version, ``complete`` attribute and dataset shapes are
    always checked. With ``deep=True`` every dataset is read in full and its
    values are checked: codes against the alphabet, offsets against the codes,
    ids and descriptions as UTF-8, labels against the classes, splits against the split names.
    Each dataset must also match the CRC-32 recorded when it was written.
    Source files that changed are reported as well.
    """
    store_path = Path(path)
    try:
        store = open_store(store_path, locking=locking, on_stale="ignore")
    except StoreError as error:
        return [str(error)]
    problems: list[str] = []
    with store:
        handle = store.handle
        # open_store has checked every dataset's row count and where each offsets dataset
        # ends, so only the order of the offsets is left to check here.
        try:
            offsets = read_dataset(store_path, handle["offsets"])
            if offsets[0] != 0 or np.any(np.diff(offsets) < 0):
                problems.append(f"{store_path} is corrupt: dataset offsets does not rise from 0")
        except (OSError, KeyError, ValueError, StoreError) as error:
            problems.append(f"{store_path} is corrupt: {error}")
        if deep:
            problems.extend(_check_contents(store))
        problems.extend(
            f"{store_path} is stale: {item}" for item in find_stale_sources(store_path, store.sources)
        )
    return problems


def _check_contents(store: Store) -> list[str]:
    """Read every dataset of ``store`` and list the damage, one line per dataset."""
    checks = [("codes", _check_codes)]
    checks += [(name, _check_records) for name in ("offsets", "labels", "splits")
               if name in store.handle]
    for column, (text_name, offsets_name) in TEXT_DATASETS.items():
        if text_name in store.handle:
            checks += [(offsets_name, _check_records), (column, _check_text)]
    problems = []
    for name, check in checks:
        try:
            problem = check(store, name)
        except StoreError as error:
            problem = str(error)
        except (OSError, ValueError) as error:
            problem = f"{store.path} is corrupt: reading dataset {name} failed ({error})"
        if problem:
            problems.append(problem)
    return problems


def _checksum_problem(store: Store, name: str, found: int) -> str | None:
    expected = store.checksums.get(name)
    if expected is None or expected == found:
        return None
    return (f"{store.path} is corrupt: dataset {name} does not match its checksum "
            f"(crc32 {found:08x}, recorded {expected:08x})")


def _check_codes(store: Store, name: str) -> str | None:
    codes = store.handle[name]
    step = 16 * (codes.chunks[0] if codes.chunks else CODE_CHUNK)
    n_symbols = len(store.alphabet.symbols)
    checksum = 0
    for start in range(0, codes.shape[0], step):
        stop = min(start + step, codes.shape[0])
        block = read_codes(store.path, codes, start, stop)
        bad = (block >= n_symbols) & (block != PAD_CODE)
        if bad.any():
            where = start + int(np.argmax(bad))
            return (f"{store.path} is corrupt: dataset codes holds {int(block[where - start])} "
                    f"at residue {where}, but the {store.alphabet.name} alphabet has "
                    f"{n_symbols} symbols")
        checksum = update_checksum(checksum, block)
    return _checksum_problem(store, name, checksum)


def _check_records(store: Store, name: str) -> str | None:
    dataset = store.handle[name]
    checksum = 0
    for start in range(0, dataset.shape[0], RECORD_CHUNK):
        block = read_dataset(store.path, dataset, slice(start, start + RECORD_CHUNK))
        problem = _record_problem(store, name, block, start)
        if problem:
            return f"{store.path} is corrupt: dataset {name} {problem}"
        checksum = update_checksum(checksum, block)
    return _checksum_problem(store, name, checksum)


def _check_text(store: Store, column: str) -> str | None:
    # read_text checks that the offsets fall on value boundaries and that the text is UTF-8.
    checksum = 0
    for start in range(0, store.n_sequences, RECORD_CHUNK):
        values = read_text(store.path, store.handle, column, start, start + RECORD_CHUNK)
        checksum = update_checksum(checksum, values)
    return _checksum_problem(store, TEXT_DATASETS[column][0], checksum)


def _record_problem(store: Store, name: str, block: np.ndarray, start: int) -> str | None:
    if name == "labels" and block.dtype.kind in "iu":
        n_classes = len(store.class_names or [])
        bad = (block < -1) | (block >= n_classes)
        if bad.any():
            row = int(np.argmax(bad))
            return (f"holds class index {int(block[row])} at record {start + row}, but the "
                    f"store lists {n_classes} classes")
    elif name == "labels":
        bad = np.isinf(block)
        if store.task == "multilabel":
            bad |= (block < 0) | (block > 1)
        if bad.any():
            row = int(np.argwhere(bad)[0][0])
            return f"holds the value {block[row].tolist()} at record {start + row}"
    elif name == "splits":
        bad = block >= len(store.split_names)
        if bad.any():
            row = int(np.argmax(bad))
            return (f"holds split index {int(block[row])} at record {start + row}, but the "
                    f"store lists {len(store.split_names)} split names")
    return None


def check_stores(paths: list[str | os.PathLike[str]], *, deep: bool = False) -> None:
    """Check several stores and raise one error that lists every bad one.

    Multi-file commands call this before any work starts, so one run shows
    all the files to fix.

    Raises
    ------
    StoreError
        If any store has a problem; the message has one line per problem.
    """
    problems = [problem for path in paths for problem in validate_store(path, deep=deep)]
    if problems:
        raise StoreError(
            f"{len(problems)} problem(s) in {len(paths)} store(s):\n  " + "\n  ".join(problems)
        )
