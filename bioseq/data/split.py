"""Train/validation/test splits and the exact-duplicate report.

A split comes from the data (a split column, or separate files) or from
:func:`assign_splits`, a seeded random split that is stratified by class for
binary and multiclass labels. :func:`find_duplicates` lists identical
sequences that occur in more than one split or with conflicting labels, and
:func:`drop_duplicates` removes them (``--dedup``).

Examples
--------
>>> import numpy as np
>>> splits = assign_splits(np.array([0] * 8 + [1] * 8), val_fraction=0.25, test_fraction=0.25, seed=1)
>>> sorted(np.unique(splits).tolist()), int((splits == "test").sum())
(['test', 'train', 'valid'], 4)
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bioseq.errors import LabelError
from bioseq.sequences import SequenceSet

logger = logging.getLogger(__name__)

SPLIT_NAMES: tuple[str, ...] = ("train", "valid", "test")
# Records kept first when duplicates are removed: the training copy wins.
_SPLIT_PRIORITY = {"train": 0, "valid": 1, "test": 2, None: 3}


def assign_splits(
    labels: np.ndarray | None,
    *,
    val_fraction: float,
    test_fraction: float,
    seed: int,
    stratify: bool = True,
    class_names: list[str] | None = None,
) -> np.ndarray:
    """Assign every record to ``train``, ``valid`` or ``test`` at random.

    Parameters
    ----------
    labels : numpy.ndarray of shape (N,) or (N, K), or None
        Class indices; stratification uses them when they are 1-D integers.
    val_fraction, test_fraction : float
        Fractions of the records (of each class, when stratified) that go to
        the validation and test splits, rounded to whole records.
    seed : int
        Seed of the permutation; the same seed gives the same split.
    stratify : bool, default=True
        Keep the class proportions in every split.
    class_names : list of str or None, default=None
        Names used in error messages.

    Returns
    -------
    numpy.ndarray of shape (N,), dtype object

    Raises
    ------
    LabelError
        If a stratified split meets a class with fewer records than there are
        non-empty splits.
    """
    n = 0 if labels is None else len(labels)
    rng = np.random.default_rng(seed)
    splits = np.full(n, "train", dtype=object)
    integer_labels = (
        labels is not None and labels.ndim == 1 and np.issubdtype(labels.dtype, np.integer)
    )
    if not stratify or not integer_labels:
        if stratify and labels is not None and not integer_labels:
            logger.info("labels are not class indices, so the split is random, not stratified")
        _fill(splits, rng.permutation(n), val_fraction, test_fraction)
        return splits

    minimum = 1 + int(val_fraction > 0) + int(test_fraction > 0)
    classes, counts = np.unique(labels, return_counts=True)
    small = [(int(c), int(k)) for c, k in zip(classes, counts, strict=True) if k < minimum]
    if small:
        described = ", ".join(
            f"class {_class_name(c, class_names)!r} has {k} record{'s' if k != 1 else ''}"
            for c, k in small
        )
        raise LabelError(
            f"cannot make a stratified split: {described}; a stratified split into "
            f"{minimum} parts needs at least {minimum} records per class. Drop or merge "
            "the class, or turn stratification off (--no-stratify) to split at random"
        )
    for value in classes:
        members = np.flatnonzero(labels == value)
        _fill(splits, rng.permutation(members), val_fraction, test_fraction)
    return splits


def _fill(splits: np.ndarray, order: np.ndarray, val_fraction: float, test_fraction: float) -> None:
    n = len(order)
    n_test = int(round(n * test_fraction))
    n_val = int(round(n * val_fraction))
    # Keep at least one training record in every group that has one to spare.
    while n_test + n_val >= n and n > 0 and (n_test or n_val):
        if n_val >= n_test and n_val:
            n_val -= 1
        else:
            n_test -= 1
    splits[order[:n_test]] = "test"
    splits[order[n_test : n_test + n_val]] = "valid"


def _class_name(index: int, class_names: list[str] | None) -> str:
    if class_names is not None and 0 <= index < len(class_names):
        return class_names[index]
    return str(index)


@dataclass
class DuplicateReport:
    """Exact duplicate sequences found in a sequence set.

    Attributes
    ----------
    n_groups : int
        Distinct sequences that occur more than once.
    n_extra_copies : int
        Records beyond the first copy of each such sequence.
    cross_split : list of list of str
        Id groups of identical sequences found in more than one split.
    conflicting : list of list of str
        Id groups of identical sequences with different labels.
    cross_split_pairs : dict of str to int
        Number of records of each non-training split whose sequence also
        occurs in an earlier split (``valid`` vs ``train``, ``test`` vs both).
    """

    n_groups: int = 0
    n_extra_copies: int = 0
    cross_split: list[list[str]] = field(default_factory=list)
    conflicting: list[list[str]] = field(default_factory=list)
    cross_split_pairs: dict[str, int] = field(default_factory=dict)

    def to_dict(self, max_ids: int = 200) -> dict[str, Any]:
        """Return a JSON-ready summary with at most ``max_ids`` id groups per list."""
        return {
            "n_groups": self.n_groups,
            "n_extra_copies": self.n_extra_copies,
            "n_cross_split_groups": len(self.cross_split),
            "cross_split_records": dict(self.cross_split_pairs),
            "n_conflicting_groups": len(self.conflicting),
            "cross_split_ids": self.cross_split[:max_ids],
            "conflicting_ids": self.conflicting[:max_ids],
        }


def _groups(seqset: SequenceSet, keys: np.ndarray | None = None) -> list[np.ndarray]:
    positions: dict[bytes, list[int]] = defaultdict(list)
    if keys is not None:
        for i in range(len(seqset)):
            positions[keys[i].tobytes()].append(i)
        return [np.asarray(members) for members in positions.values() if len(members) > 1]
    codes, offsets = seqset.codes, seqset.offsets
    for i in range(len(seqset)):
        positions[codes[offsets[i] : offsets[i + 1]].tobytes()].append(i)
    return [np.asarray(members) for members in positions.values() if len(members) > 1]


def _label_key(labels: np.ndarray | None, index: int) -> Any:
    if labels is None:
        return None
    value = labels[index]
    return tuple(np.atleast_1d(value).tolist())


def find_duplicates(seqset: SequenceSet, keys: np.ndarray | None = None) -> DuplicateReport:
    """Find identical sequences, across splits and with conflicting labels.

    Parameters
    ----------
    seqset : SequenceSet
        Sequences with optional ``splits`` and ``labels``.
    keys : numpy.ndarray of shape (N, ...) or None, default=None
        A content key per record (a hash of its codes) to compare in place of
        the codes, for records whose codes are not in memory.

    Returns
    -------
    DuplicateReport

    Examples
    --------
    >>> s = SequenceSet.from_strings(["ACGT", "ACGT", "GGCC"], ids=["a", "b", "c"],
    ...                              splits=["train", "test", "train"])
    >>> find_duplicates(s).cross_split
    [['a', 'b']]
    """
    report = DuplicateReport()
    pairs: dict[str, int] = defaultdict(int)
    for members in _groups(seqset, keys):
        report.n_groups += 1
        report.n_extra_copies += len(members) - 1
        ids = [str(seqset.ids[i]) for i in members]
        if seqset.splits is not None:
            names = [seqset.splits[i] for i in members]
            if len(set(names)) > 1:
                report.cross_split.append(ids)
                seen_train = "train" in names
                seen_valid = "valid" in names
                pairs["valid"] += sum(1 for s in names if s == "valid") if seen_train else 0
                pairs["test"] += (
                    sum(1 for s in names if s == "test") if (seen_train or seen_valid) else 0
                )
        if len({_label_key(seqset.labels, i) for i in members}) > 1:
            report.conflicting.append(ids)
    report.cross_split_pairs = {key: value for key, value in pairs.items() if value}
    return report


def drop_duplicates(
    seqset: SequenceSet, keys: np.ndarray | None = None
) -> tuple[SequenceSet, dict[str, int]]:
    """Keep one copy of each sequence and drop sequences with conflicting labels.

    Within a group of identical sequences the copy in the earliest split
    (train, then valid, then test) is kept, so no validation or test record
    repeats a training record. A group whose copies carry different labels
    is dropped whole, because its label is ambiguous. ``keys`` are content
    keys as for :func:`find_duplicates`.

    Returns
    -------
    tuple of (SequenceSet, dict of str to int)
        The remaining records, in their original order, and the number of
        records dropped as ``copies`` and as ``conflicting``.

    Examples
    --------
    >>> s = SequenceSet.from_strings(["ACGT", "ACGT", "GGCC"], splits=["test", "train", "train"])
    >>> kept, counts = drop_duplicates(s)
    >>> kept.ids.tolist(), counts
    (['seq1', 'seq2'], {'copies': 1, 'conflicting': 0})
    """
    keep = np.ones(len(seqset), dtype=bool)
    counts = {"copies": 0, "conflicting": 0}
    for members in _groups(seqset, keys):
        if len({_label_key(seqset.labels, i) for i in members}) > 1:
            keep[members] = False
            counts["conflicting"] += len(members)
            continue
        if seqset.splits is not None:
            order = sorted(members, key=lambda i: (_SPLIT_PRIORITY.get(seqset.splits[i], 3), i))
        else:
            order = sorted(members)
        keep[order[1:]] = False
        counts["copies"] += len(members) - 1
    return seqset.subset(keep), counts
