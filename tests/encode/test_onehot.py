"""One-hot encoding, decoding and reverse complements (numpy and torch paths)."""

from __future__ import annotations

import logging
from collections import Counter

import numpy as np
import pytest
import torch

from bioseq.alphabet import DNA, PAD_CODE, RNA
from bioseq.encode.codes import to_fixed_length
from bioseq.encode.onehot import (
    decode_onehot,
    encode_onehot,
    onehot_torch,
    reverse_complement_codes,
    reverse_complement_onehot,
)
from bioseq.errors import SequenceError
from bioseq.sequences import SequenceSet

AMBIGUOUS = ">s\nACGTRYKMSWBDHVN\n"


def test_ambiguity_fractional_columns(fasta):
    x = encode_onehot(fasta(AMBIGUOUS))[0]
    # Each ambiguity code spreads one unit evenly over the bases it stands for.
    for position, symbol in enumerate("ACGTRYKMSWBDHVN"):
        members = DNA.ambiguity.get(symbol, symbol)
        expected = [1 / len(members) if base in members else 0.0 for base in "ACGT"]
        assert x[:, position].tolist() == pytest.approx(expected), symbol


def test_ambiguity_zeros_columns(fasta):
    x = encode_onehot(fasta(AMBIGUOUS), ambiguity="zeros")[0]
    assert (x[:, 4:] == 0).all()
    assert (x[:, :4] == np.eye(4)).all()


def test_ambiguity_error_lists_record_position(fasta):
    with pytest.raises(SequenceError, match=r"11 ambiguity code.*record 's' position 5 'R'"):
        encode_onehot(fasta(AMBIGUOUS), ambiguity="error")


def test_ambiguity_count_logged(fasta, caplog):
    transforms: Counter = Counter()
    with caplog.at_level(logging.INFO, logger="bioseq.encode.onehot"):
        encode_onehot(fasta(AMBIGUOUS), transforms=transforms)
    assert "11 non-canonical position(s) in 1 record(s)" in caplog.text
    assert transforms["noncanonical_positions"] == 11


def test_lowercase_encodes_like_uppercase(fasta):
    x = encode_onehot(fasta(">s\nACGTacgtNn\n"))[0]
    assert (x[:, 4:8] == x[:, 0:4]).all()
    assert (x[:, 0:4] == np.eye(4)).all()
    n_column = encode_onehot(SequenceSet.from_strings(["N"]))[0][:, 0]
    assert (x[:, 8] == n_column).all()
    assert (x[:, 9] == n_column).all()


def test_softmask_channel_on_request(fasta):
    seqs = fasta(">s\nACGTacgtNn\n", keep_softmask=True)
    plain = encode_onehot(seqs)
    masked = encode_onehot(seqs, softmask=True)
    assert masked.shape == (1, 5, 10)
    assert (masked[:, :4] == plain).all()
    assert masked[0, 4].tolist() == [0, 0, 0, 0, 1, 1, 1, 1, 0, 1]


def test_softmask_without_mask_is_error(fasta):
    with pytest.raises(SequenceError, match="soft mask"):
        encode_onehot(fasta(">s\nACgt\n"), softmask=True)


@pytest.mark.parametrize("text", ["ACGTN", "acgtRYKMSWBDHVNn", "A", ""])
def test_decode_round_trip(text):
    x = encode_onehot(SequenceSet.from_strings([text]))
    assert decode_onehot(x) == [text.upper()]


def test_decode_round_trip_zeros_policy():
    x = encode_onehot(SequenceSet.from_strings(["ACGTN"]), ambiguity="zeros")
    assert decode_onehot(x) == ["ACGTN"]


def test_decode_keeps_case_with_softmask(fasta):
    seqs = fasta(">s\nACgtNn\n", keep_softmask=True)
    assert decode_onehot(encode_onehot(seqs, softmask=True), softmask=True) == ["ACgtNn"]


def test_decode_drops_padding_by_mask():
    seqs = SequenceSet.from_strings(["ACGTN", "GA"])
    codes, mask = to_fixed_length(seqs)
    x = onehot_torch(torch.from_numpy(codes))
    assert decode_onehot(x, mask=mask) == ["ACGTN", "GA"]


def test_decode_rejects_uneven_column():
    x = np.array([[[0.9], [0.1], [0.0], [0.0]]], dtype=np.float32)
    with pytest.raises(SequenceError, match="column 1 of row 0"):
        decode_onehot(x)


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_numpy_matches_torch(dtype):
    seqs = SequenceSet.from_strings(["ACGTNRYacg", "TTA", "G" * 12])
    codes, _ = to_fixed_length(seqs, 10, pad="left", truncate="center")
    expected = encode_onehot(seqs, length=10, pad="left", truncate="center", dtype=dtype)
    x = onehot_torch(torch.from_numpy(codes), "dna", dtype=getattr(torch, dtype))
    assert expected.dtype == np.dtype(dtype)
    assert np.array_equal(x.numpy(), expected)


def test_padding_columns_are_zero():
    x = encode_onehot(SequenceSet.from_strings(["AC", "ACGT"]))
    assert (x[0, :, 2:] == 0).all()
    assert (x[0, :, :2].sum(axis=0) == 1).all()


def test_uint8_needs_zero_policy():
    seqs = SequenceSet.from_strings(["ACGN"])
    with pytest.raises(ValueError, match="uint8"):
        encode_onehot(seqs, dtype="uint8")
    x = encode_onehot(seqs, dtype="uint8", ambiguity="zeros")
    assert x.dtype == np.uint8
    assert x[0].sum(axis=0).tolist() == [1, 1, 1, 0]


def test_torch_bfloat16_and_padding():
    codes = torch.tensor([[0, 4, PAD_CODE]], dtype=torch.uint8)
    x = onehot_torch(codes, dtype=torch.bfloat16)
    assert x.dtype == torch.bfloat16
    assert x[0, :, 1].tolist() == [0.25, 0.25, 0.25, 0.25]
    assert x[0, :, 2].tolist() == [0.0, 0.0, 0.0, 0.0]


def test_code_array_input():
    codes = np.array([[0, 1, PAD_CODE]], dtype=np.uint8)
    x = encode_onehot(codes, alphabet="dna")
    assert x.shape == (1, 4, 3)
    assert x[0, :, 2].tolist() == [0, 0, 0, 0]


def test_reverse_complement_codes_dna():
    codes = DNA.encode("AACGTRN")
    assert DNA.decode(reverse_complement_codes(codes)) == "NYACGTT"


def test_reverse_complement_codes_rna():
    codes = RNA.encode("AACGU")
    assert RNA.decode(reverse_complement_codes(codes, "rna")) == "ACGUU"


def test_reverse_complement_keeps_padding_right():
    seqs = SequenceSet.from_strings(["AAC", "GT"])
    codes, _ = to_fixed_length(seqs)
    flipped = reverse_complement_codes(codes, lengths=seqs.lengths)
    assert DNA.decode(flipped[0]) == "GTT"
    assert DNA.decode(flipped[1]) == "AC-"
    as_tensor = reverse_complement_codes(torch.from_numpy(codes), lengths=seqs.lengths)
    assert np.array_equal(as_tensor.numpy(), flipped)


def test_reverse_complement_onehot_matches_codes():
    seqs = SequenceSet.from_strings(["ACGTRKN", "GGA"])
    codes, _ = to_fixed_length(seqs)
    x = encode_onehot(seqs)
    expected = encode_onehot(reverse_complement_codes(codes, lengths=seqs.lengths),
                             alphabet="dna")
    assert np.array_equal(reverse_complement_onehot(x, lengths=seqs.lengths), expected)
    tensor = reverse_complement_onehot(torch.from_numpy(x), lengths=torch.from_numpy(seqs.lengths))
    assert np.array_equal(tensor.numpy(), expected)


def test_reverse_complement_protein_is_error():
    with pytest.raises(SequenceError, match="protein alphabet has no complement"):
        reverse_complement_codes(np.zeros(3, dtype=np.uint8), "protein")
    with pytest.raises(SequenceError, match="protein alphabet has no complement"):
        reverse_complement_onehot(np.zeros((1, 20, 3), dtype=np.float32), "protein")


@pytest.mark.gpu
def test_onehot_torch_stays_on_cuda():
    codes = torch.tensor([[0, 1, 4, PAD_CODE]], dtype=torch.uint8, device="cuda")
    x = onehot_torch(codes)
    assert x.device.type == "cuda"
    assert decode_onehot(x, mask=codes != PAD_CODE) == ["ACN"]
    flipped = reverse_complement_onehot(x, lengths=torch.tensor([3], device="cuda"))
    assert decode_onehot(flipped, mask=codes != PAD_CODE) == ["NGT"]


@pytest.mark.parametrize("alphabet", ["rna", "protein"])
def test_decode_round_trip_other_alphabets(alphabet):
    symbols = {"rna": RNA.symbols, "protein": "ACDEFGHIKLMNPQRSTVWYXBZJ"}[alphabet]
    text = symbols + symbols.lower()
    x = encode_onehot(SequenceSet.from_strings([text], alphabet=alphabet))
    assert decode_onehot(x, alphabet) == [text.upper()]


def test_u_in_dna_encodes_as_t(fasta):
    seqs = fasta(">r\nACGU\n>d\nACGT\n>m\nTTUU\n")
    x = encode_onehot(seqs)
    assert np.array_equal(x[0], x[1])
    assert (x[2, 3] == 1).all()
    assert seqs.flagged["mixed_t_u"] == ["m"]


def test_terminal_stop_not_encoded(fasta):
    seqs = fasta(">p1\nMKV*\n", alphabet="protein")
    x = encode_onehot(seqs)
    assert x.shape == (1, 20, 3)
    assert (x.sum(axis=1) == 1).all()
