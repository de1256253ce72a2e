"""Summaries and integrity checks of bioseq HDF5 stores (``inspect`` and ``validate``)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from bioseq.errors import StoreError
from bioseq.io.store import CODE_CHUNK, find_stale_sources, open_store, read_codes


def describe_store(path: str | os.PathLike[str], *, locking: bool | None = None) -> dict[str, Any]:
    """Summarize a store: counts, lengths, classes, splits, transforms, sources, storage.

    Class and split counts read the per-record datasets; the codes are not read.
    Changed sources are listed under ``stale_sources`` rather than raised.
    """
    with open_store(path, locking=locking, on_stale="ignore") as store:
        handle = store.handle
        lengths = np.diff(handle["offsets"][...])
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
            labels = handle["labels"][...]
            counts = np.bincount(labels[labels >= 0], minlength=len(store.class_names))
            summary["class_counts"] = dict(zip(store.class_names, counts.tolist(), strict=False))
        elif store.has_labels and store.task == "multilabel" and store.class_names:
            totals = handle["labels"][...].sum(axis=0)
            summary["class_counts"] = dict(zip(store.class_names, totals.astype(int).tolist(),
                                               strict=True))
        if "splits" in handle:
            counts = np.bincount(handle["splits"][...], minlength=len(store.split_names))
            summary["split_counts"] = dict(zip(store.split_names, counts.tolist(), strict=True))
    return summary


def validate_store(path: str | os.PathLike[str], *, deep: bool = True,
                   locking: bool | None = None) -> list[str]:
    """List what is wrong with one store; an empty list means it is valid.

    The header, format version, ``complete`` attribute and dataset shapes are
    always checked. With ``deep=True`` every ``codes`` chunk is decompressed,
    which finds corrupt chunks through deflate's checksum. Source files that
    changed are reported as well.
    """
    store_path = Path(path)
    try:
        store = open_store(store_path, locking=locking, on_stale="ignore")
    except StoreError as error:
        return [str(error)]
    problems: list[str] = []
    with store:
        handle = store.handle
        try:
            offsets = handle["offsets"][...]
            n = store.n_sequences
            if offsets.shape != (n + 1,):
                problems.append(f"{store_path}: offsets have shape {offsets.shape}, expected ({n + 1},)")
            elif np.any(np.diff(offsets) < 0):
                problems.append(f"{store_path}: offsets decrease, so the store is corrupt")
            elif offsets[-1] != handle["codes"].shape[0]:
                problems.append(
                    f"{store_path}: offsets end at {int(offsets[-1])} but codes hold "
                    f"{handle['codes'].shape[0]} residues"
                )
            for name in ("ids", "labels", "splits", "descriptions"):
                if name in handle and handle[name].shape[0] != n:
                    problems.append(
                        f"{store_path}: dataset {name} has {handle[name].shape[0]} rows, expected {n}"
                    )
            if deep:
                problems.extend(_check_chunks(store_path, handle["codes"]))
        except (OSError, KeyError, ValueError) as error:
            problems.append(f"{store_path} is corrupt: {error}")
        problems.extend(
            f"{store_path} is stale: {item}" for item in find_stale_sources(store_path, store.sources)
        )
    return problems


def _check_chunks(path: Path, codes: h5py.Dataset) -> list[str]:
    step = 16 * (codes.chunks[0] if codes.chunks else CODE_CHUNK)
    for start in range(0, codes.shape[0], step):
        try:
            read_codes(path, codes, start, min(start + step, codes.shape[0]))
        except StoreError as error:
            return [str(error)]
    return []


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
