"""Sequence sets that several store tests write."""

from __future__ import annotations

import numpy as np

from bioseq.sequences import SequenceSet


def labelled_set(n: int, *, seed: int, min_length: int, id_format: str) -> SequenceSet:
    """Build ``n`` random binary-labelled DNA records of ``min_length`` to 59 bases.

    Ids are ``id_format.format(i)``; splits cycle through train, valid and test.
    """
    rng = np.random.default_rng(seed)
    lengths = rng.integers(min_length, 60, n)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return SequenceSet(
        ids=np.array([id_format.format(i) for i in range(n)], dtype=object),
        codes=rng.integers(0, 4, int(offsets[-1]), dtype=np.uint8),
        offsets=offsets,
        alphabet="dna",
        labels=rng.integers(0, 2, n).astype(np.int64),
        class_names=["neg", "pos"],
        task="binary",
        splits=np.array(["train", "valid", "test"], dtype=object)[np.arange(n) % 3],
    )
