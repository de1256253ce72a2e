"""Fixed-length layout: truncation, padding and tiling of codes."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from bioseq.alphabet import DNA, PAD_CODE
from bioseq.encode.codes import tile_codes, to_fixed_length
from bioseq.errors import SequenceError
from bioseq.sequences import SequenceSet


def test_too_long_is_error_by_default(fasta):
    seqs = fasta(">long\n" + "A" * 600 + "\n")
    with pytest.raises(SequenceError, match=r"'long' is 600 residues long, more than the input length 512"):
        to_fixed_length(seqs, 512)


@pytest.mark.parametrize(
    ("side", "kept"),
    [("right", slice(0, 4)), ("left", slice(2, 6)), ("center", slice(1, 5))],
)
def test_truncate_sides(side, kept):
    text = "ACGTAC"
    seqs = SequenceSet.from_strings([text], ids=["r"])
    transforms: Counter = Counter()
    codes, mask = to_fixed_length(seqs, 4, truncate=side, transforms=transforms)
    assert DNA.decode(codes[0]) == text[kept]
    assert mask.all()
    assert transforms["truncated_records"] == 1
    assert transforms["truncated_residues"] == 2


def test_truncate_counts_only_long_records(fasta):
    seqs = fasta(">long\n" + "A" * 600 + "\n>ok\n" + "C" * 512 + "\n")
    transforms: Counter = Counter()
    codes, _ = to_fixed_length(seqs, 512, truncate="right", transforms=transforms)
    assert codes.shape == (2, 512)
    assert transforms["truncated_records"] == 1
    assert transforms["truncated_residues"] == 88


def test_too_short_is_error_when_fixed(fasta):
    seqs = fasta(">short\n" + "ACGT" * 250 + "\n")
    with pytest.raises(SequenceError, match=r"'short' is 1000 residues long, less than the fixed input length 2000"):
        to_fixed_length(seqs, 2000)


@pytest.mark.parametrize(("side", "first"), [("right", 0), ("left", 1000), ("both", 500)])
def test_pad_on_request_records_amount(fasta, side, first):
    seqs = fasta(">short\n" + "ACGT" * 250 + "\n")
    transforms: Counter = Counter()
    codes, mask = to_fixed_length(seqs, 2000, pad=side, transforms=transforms)
    assert np.flatnonzero(mask[0])[0] == first
    assert mask[0].sum() == 1000
    assert (codes[0][~mask[0]] == PAD_CODE).all()
    assert transforms["padded_records"] == 1
    assert transforms["padded_positions"] == 1000


def test_pad_with_unknown_code():
    seqs = SequenceSet.from_strings(["AC"])
    codes, mask = to_fixed_length(seqs, 4, pad="right", pad_code=DNA.unknown_code)
    assert DNA.decode(codes[0]) == "ACNN"
    assert mask[0].tolist() == [True, True, False, False]


def test_variable_length_pads_to_longest():
    seqs = SequenceSet.from_strings(["ACGT", "G", ""])
    transforms: Counter = Counter()
    codes, mask = to_fixed_length(seqs, transforms=transforms)
    assert codes.shape == (3, 4)
    assert mask.sum(axis=1).tolist() == [4, 1, 0]
    assert transforms["padded_records"] == 0


def test_tile_covers_every_residue():
    text = "ACGTACGTACG"
    seqs = SequenceSet.from_strings([text, "GG"], ids=["a", "b"])
    transforms: Counter = Counter()
    codes, mask, record = tile_codes(seqs, 4, stride=3, pad="right", transforms=transforms)
    windows = [DNA.decode(row[m]) for row, m in zip(codes, mask, strict=True)]
    # The last window of "a" would start at 9 and run past the end, so it starts at 7.
    assert windows == [text[0:4], text[3:7], text[6:10], text[7:11], "GG"]
    assert record.tolist() == [0, 0, 0, 0, 1]
    assert transforms["tiled_records"] == 1
    assert transforms["tiles"] == 5


def test_tile_short_record_needs_pad():
    seqs = SequenceSet.from_strings(["GG"], ids=["b"])
    with pytest.raises(SequenceError, match="'b' is 2 residues long"):
        tile_codes(seqs, 4)


def test_invalid_side_lists_choices():
    seqs = SequenceSet.from_strings(["ACGT"])
    with pytest.raises(ValueError, match="'middle'.*'center'"):
        to_fixed_length(seqs, 2, truncate="middle")
