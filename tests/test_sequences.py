"""Tests for the in-memory SequenceSet."""

from __future__ import annotations

import numpy as np
import pytest

from bioseq.sequences import SequenceSet


def test_from_strings_offsets_and_decoding():
    sequences = SequenceSet.from_strings(["ACGT", "gg", "TTTAA"], ids=["a", "b", "c"])
    assert sequences.offsets.tolist() == [0, 4, 6, 11]
    assert sequences.lengths.tolist() == [4, 2, 5]
    assert [sequences.sequence(i) for i in range(3)] == ["ACGT", "GG", "TTTAA"]


def test_subset_keeps_fields_aligned():
    sequences = SequenceSet.from_strings(
        ["AAAA", "CC", "GGG"],
        ids=["a", "b", "c"],
        labels=np.array([0, 1, 0]),
        splits=np.array(["train", "test", "train"], dtype=object),
    )
    picked = sequences.subset([2, 0])
    assert picked.ids.tolist() == ["c", "a"]
    assert [picked.sequence(i) for i in range(2)] == ["GGG", "AAAA"]
    assert picked.labels.tolist() == [0, 0]
    assert picked.splits.tolist() == ["train", "train"]


def test_subset_with_boolean_mask():
    sequences = SequenceSet.from_strings(["AA", "CC", "GG"])
    picked = sequences.subset(np.array([True, False, True]))
    assert [picked.sequence(i) for i in range(len(picked))] == ["AA", "GG"]


def test_take_range_shares_arrays_and_keeps_fields_aligned():
    sequences = SequenceSet.from_strings(
        ["AAAA", "CC", "GGG", "T"], ids=["a", "b", "c", "d"], labels=np.array([0, 1, 0, 1]),
    )
    middle = sequences.take_range(1, 3)
    assert middle.ids.tolist() == ["b", "c"]
    assert middle.offsets.tolist() == [0, 2, 5]
    assert [middle.sequence(i) for i in range(2)] == ["CC", "GGG"]
    assert middle.labels.tolist() == [1, 0]
    assert np.shares_memory(middle.codes, sequences.codes)
    assert len(sequences.take_range(2, 2)) == 0


def test_split_selects_members():
    sequences = SequenceSet.from_strings(
        ["AA", "CC", "GG"], splits=np.array(["train", "test", "train"], dtype=object)
    )
    assert len(sequences.split("train")) == 2


def test_split_unknown_name_lists_present():
    sequences = SequenceSet.from_strings(["AA"], splits=np.array(["train"], dtype=object))
    with pytest.raises(ValueError, match=r"splits present: \['train'\]"):
        sequences.split("test")


def test_mismatched_offsets_rejected():
    with pytest.raises(ValueError, match="offsets must have shape"):
        SequenceSet(ids=np.array(["a"], dtype=object), codes=np.zeros(3, np.uint8),
                    offsets=np.array([0, 1, 3]), alphabet="dna")


def test_labels_length_checked():
    with pytest.raises(ValueError, match="2 labels for 1 sequences"):
        SequenceSet.from_strings(["AC"], labels=np.array([0, 1]))
