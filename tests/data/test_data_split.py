"""Tests of seeded splits and the exact-duplicate report."""

from __future__ import annotations

import numpy as np
import pytest

from bioseq.data.split import assign_splits, drop_duplicates, find_duplicates
from bioseq.errors import LabelError
from bioseq.sequences import SequenceSet


def test_stratified_split_one_member_class() -> None:
    labels = np.array([0, 0, 0, 0, 1])
    with pytest.raises(LabelError, match=r"class 'b' has 1 record") as caught:
        assign_splits(labels, val_fraction=0.2, test_fraction=0.0, seed=0, class_names=["a", "b"])
    message = str(caught.value)
    assert "at least 2 records per class" in message
    assert "Drop or merge" in message
    assert "--no-stratify" in message


def test_one_member_class_without_stratification() -> None:
    labels = np.array([0, 0, 0, 0, 1])
    splits = assign_splits(labels, val_fraction=0.2, test_fraction=0.0, seed=0, stratify=False)
    assert sorted(splits.tolist()) == ["train", "train", "train", "train", "valid"]


def test_stratified_split_keeps_proportions() -> None:
    labels = np.array([0] * 80 + [1] * 20)
    splits = assign_splits(labels, val_fraction=0.1, test_fraction=0.2, seed=3)
    for name, share in (("valid", 0.1), ("test", 0.2)):
        member = splits == name
        assert member.sum() == round(100 * share)
        assert (labels[member] == 1).sum() == round(20 * share)


def test_split_seed_reproducible() -> None:
    labels = np.arange(60) % 3
    first = assign_splits(labels, val_fraction=0.2, test_fraction=0.2, seed=5)
    again = assign_splits(labels, val_fraction=0.2, test_fraction=0.2, seed=5)
    other = assign_splits(labels, val_fraction=0.2, test_fraction=0.2, seed=6)
    assert first.tolist() == again.tolist()
    assert first.tolist() != other.tolist()


def test_duplicates_across_splits_reported() -> None:
    seqset = SequenceSet.from_strings(
        ["ACGT", "ACGT", "GGCC", "TTAA", "TTAA"], ids=["a", "b", "c", "d", "e"],
        labels=np.array([0, 0, 1, 1, 0]), splits=["train", "test", "train", "train", "valid"],
    )
    report = find_duplicates(seqset)
    assert report.cross_split == [["a", "b"], ["d", "e"]]
    assert report.conflicting == [["d", "e"]]
    assert report.cross_split_pairs == {"test": 1, "valid": 1}
    assert report.to_dict()["n_cross_split_groups"] == 2


def test_drop_duplicates_keeps_training_copy() -> None:
    seqset = SequenceSet.from_strings(
        ["ACGT", "ACGT", "GGCC", "TTAA", "TTAA"], ids=["a", "b", "c", "d", "e"],
        labels=np.array([0, 0, 1, 1, 0]), splits=["test", "train", "train", "train", "valid"],
    )
    kept, counts = drop_duplicates(seqset)
    assert kept.ids.tolist() == ["b", "c"]
    assert counts == {"copies": 1, "conflicting": 2}
    assert find_duplicates(kept).n_groups == 0
