"""Tests for the DNA, RNA and protein alphabets."""

from __future__ import annotations

import numpy as np
import pytest

from bioseq.alphabet import DNA, PAD_CODE, PROTEIN, RNA, get_alphabet, guess_alphabet
from bioseq.errors import SequenceError


@pytest.mark.parametrize("alphabet", [DNA, RNA, PROTEIN])
def test_round_trip_every_symbol(alphabet):
    text = alphabet.symbols
    assert alphabet.decode(alphabet.encode(text)) == text
    assert alphabet.decode(alphabet.encode(text.lower())) == text


def test_lowercase_same_codes_as_uppercase():
    upper = DNA.encode("ACGTN")
    lower = DNA.encode("acgtn")
    assert np.array_equal(upper, lower)


def test_dna_reads_u_as_t():
    assert np.array_equal(DNA.encode("ACGU"), DNA.encode("ACGT"))


def test_rna_reads_t_as_u():
    assert RNA.decode(RNA.encode("ACGT")) == "ACGU"


def test_protein_rare_residues_become_x():
    assert PROTEIN.decode(PROTEIN.encode("MUO")) == "MXX"


def test_invalid_character_names_position():
    with pytest.raises(SequenceError, match=r"'Z' at position 3"):
        DNA.encode("ACZT")


def test_fractional_onehot_rows_sum_to_one():
    table = DNA.onehot_table("fractional")
    codes = DNA.encode(DNA.symbols)
    assert np.allclose(table[codes].sum(axis=1), 1.0)
    r_row = table[DNA.encode("R")[0]]
    assert r_row.tolist() == [0.5, 0.0, 0.5, 0.0]


def test_zero_policy_leaves_ambiguity_empty():
    table = DNA.onehot_table("zeros")
    assert table[DNA.encode("N")[0]].sum() == 0
    assert table[PAD_CODE].sum() == 0


def test_complement_is_an_involution():
    complement = DNA.complement_codes()
    codes = DNA.encode(DNA.symbols)
    assert np.array_equal(complement[complement[codes]], codes)
    assert DNA.decode(complement[DNA.encode("ACGTRYKM")]) == "TGCAYRMK"
    assert complement[PAD_CODE] == PAD_CODE


def test_protein_has_no_complement():
    with pytest.raises(SequenceError, match="DNA and RNA only"):
        PROTEIN.complement_codes()


def test_unknown_alphabet_lists_names():
    with pytest.raises(ValueError, match=r"\['dna', 'protein', 'rna'\]"):
        get_alphabet("xna")


@pytest.mark.parametrize(
    ("sample", "expected"),
    [("ACGTACGTNN", "dna"), ("ACGUACGU", "rna"), ("MKVLAAGIWEDR", "protein")],
)
def test_guess_alphabet(sample, expected):
    assert guess_alphabet(sample).name == expected
