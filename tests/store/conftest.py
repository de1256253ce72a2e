"""Helpers for the store tests: small sequence sets and stores written for real."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bioseq.io.store import write_store
from bioseq.sequences import SequenceSet


def build_set(n: int, *, seed: int = 0, prefix: str = "r", min_length: int = 20,
             max_length: int = 200, classes: tuple[str, ...] = ("neg", "pos"),
             with_splits: bool = True) -> SequenceSet:
    """Build ``n`` random DNA records with binary labels and train/valid/test splits."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(min_length, max_length + 1, n)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return SequenceSet(
        ids=np.array([f"{prefix}{i}" for i in range(n)], dtype=object),
        codes=rng.integers(0, 4, int(offsets[-1]), dtype=np.uint8),
        offsets=offsets,
        alphabet="dna",
        labels=rng.integers(0, len(classes), n).astype(np.int64),
        class_names=list(classes),
        task="binary" if len(classes) == 2 else "multiclass",
        splits=rng.choice(["train", "valid", "test"], n, p=[0.7, 0.15, 0.15]) if with_splits else None,
        transforms={"uppercased": 5},
    )


@pytest.fixture
def make_set():
    """The :func:`build_set` helper, for tests that need their own records."""
    return build_set


@pytest.fixture
def small_store(tmp_path: Path) -> tuple[Path, SequenceSet]:
    """A store of 3000 records written in three batches, with the set it holds."""
    parts = [build_set(1000, seed=seed, prefix=f"b{seed}_") for seed in range(3)]
    path = tmp_path / "enc.h5"
    write_store(path, parts)
    from bioseq.io._combine import concat_sets

    return path, concat_sets(parts)
