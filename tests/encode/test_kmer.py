"""k-mer counts, frequencies and the k-mer tokenizer."""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pytest
import torch

from bioseq.encode.codes import to_fixed_length
from bioseq.encode.kmer import (
    KmerTokenizer,
    kmer_counts,
    kmer_frequencies,
    kmer_frequencies_torch,
    kmer_names,
)
from bioseq.errors import BioseqWarning, SequenceError
from bioseq.sequences import SequenceSet

COMPLEMENT = str.maketrans("ACGT", "TGCA")


def count_by_hand(texts, k, stride=1, canonical=False):
    """Count k-mers with plain Python, the reference for the kernels."""
    names = {name: i for i, name in enumerate(kmer_names(k))}
    counts = np.zeros((len(texts), 4**k), dtype=np.int64)
    for row, text in enumerate(texts):
        for start in range(0, len(text) - k + 1, stride):
            kmer = text[start : start + k].upper()
            if set(kmer) - set("ACGT"):
                continue
            if canonical:
                kmer = min(kmer, kmer.translate(COMPLEMENT)[::-1])
            counts[row, names[kmer]] += 1
    return counts


@pytest.fixture(scope="module")
def random_texts():
    rng = np.random.default_rng(7)
    letters = np.array(list("ACGTNacgt"))
    weights = np.array([0.2, 0.2, 0.2, 0.2, 0.04, 0.04, 0.04, 0.04, 0.04])
    return ["".join(rng.choice(letters, size=n, p=weights)) for n in rng.integers(3, 80, 40)]


def test_shorter_than_k_flagged(fasta):
    seqs = fasta(">s1\nAC\n>s2\nACGTA\n")
    with pytest.warns(BioseqWarning, match=r"shorter than k=3.*'s1' \(2\)"):
        counts = kmer_counts(seqs, 3)
    assert counts[0].sum() == 0
    assert counts[1].sum() == 3
    assert seqs.flagged["shorter_than_k3"] == ["s1"]


def test_shorter_than_k_error_policy(fasta):
    seqs = fasta(">s1\nAC\n>s2\nACGTA\n")
    with pytest.raises(SequenceError, match=r"'s1' \(2\)"):
        kmer_counts(seqs, 3, short="error")


def test_k1_counts_each_base():
    counts = kmer_counts("ACG", 1)
    assert dict(zip(kmer_names(1), counts[0].tolist(), strict=True)) == {
        "A": 1, "C": 1, "G": 1, "T": 0
    }


def test_sum_is_length_minus_k_plus_one():
    rng = np.random.default_rng(1)
    texts = ["".join(rng.choice(list("ACGT"), size=n)) for n in range(8, 40)]
    for k in range(1, 9):
        counts = kmer_counts(texts, k)
        assert counts.sum(axis=1).tolist() == [len(t) - k + 1 for t in texts], k


@pytest.mark.parametrize(("k", "stride", "canonical"),
                         list(itertools.product([1, 3, 5], [1, 2, 3], [False, True])))
def test_dense_and_sparse_match_reference(random_texts, k, stride, canonical):
    expected = count_by_hand(random_texts, k, stride, canonical)
    with pytest.warns(BioseqWarning) if k > 3 else _no_warning():
        dense = kmer_counts(random_texts, k, stride=stride, canonical=canonical)
    with pytest.warns(BioseqWarning) if k > 3 else _no_warning():
        csr = kmer_counts(random_texts, k, stride=stride, canonical=canonical, sparse=True)
    assert np.array_equal(dense, expected)
    assert np.array_equal(csr.toarray(), expected)
    assert csr.has_sorted_indices


def _no_warning():
    import contextlib

    return contextlib.nullcontext()


def test_sparse_large_k_matches_reference():
    rng = np.random.default_rng(3)
    texts = ["".join(rng.choice(list("ACGT"), size=n)) for n in (30, 50, 12)]
    texts.append(texts[0][:20] * 2)
    csr = kmer_counts(texts, 12, sparse=True)
    assert csr.shape == (4, 4**12)
    for row, text in enumerate(texts):
        expected = Counter(int(text[i : i + 12].translate(str.maketrans("ACGT", "0123")), 4)
                           for i in range(len(text) - 11))
        got = dict(zip(csr[row].indices.tolist(), csr[row].data.tolist(), strict=True))
        assert got == dict(expected), row


def test_dense_too_wide_is_error():
    with pytest.raises(ValueError, match="sparse=True"):
        kmer_counts("ACGTACGTACGT", 9)


def test_ambiguous_kmers_skipped_and_counted():
    transforms: Counter = Counter()
    counts = kmer_counts("ACNGTA", 2, transforms=transforms)
    assert counts.sum() == 3
    assert transforms["kmers_skipped_ambiguous"] == 2


def test_frequencies_sum_to_one():
    freqs = kmer_frequencies(["ACGTAC", "GGGG"], 2)
    assert freqs.dtype == np.float32
    assert freqs.sum(axis=1).tolist() == pytest.approx([1.0, 1.0])
    sparse = kmer_frequencies(["ACGTAC", "GGGG"], 2, sparse=True)
    assert np.allclose(sparse.toarray(), freqs)


def test_frequencies_torch_matches_numpy(random_texts):
    seqs = SequenceSet.from_strings(random_texts)
    codes, _ = to_fixed_length(seqs)
    for canonical in (False, True):
        expected = kmer_frequencies(seqs, 3, canonical=canonical)
        got = kmer_frequencies_torch(torch.from_numpy(codes), k=3, canonical=canonical)
        assert np.allclose(got.numpy(), expected, atol=1e-6), canonical


def test_protein_kmers():
    counts = kmer_counts(SequenceSet.from_strings(["MKVX"], alphabet="protein"), 2)
    assert counts.shape == (1, 400)
    assert counts.sum() == 2


def test_canonical_protein_is_error():
    with pytest.raises(ValueError, match="canonical"):
        kmer_counts(SequenceSet.from_strings(["MKV"], alphabet="protein"), 2, canonical=True)


def test_tokenizer_lowercase_same_as_uppercase(fasta):
    seqs = fasta(">low\natgaaatga\n>up\nATGAAATGA\n")
    tokenizer = KmerTokenizer(3, stride=3)
    ids, mask = tokenizer.encode(seqs)
    assert ids[0].tolist() == ids[1].tolist()
    assert tokenizer.decode(ids)[0] == ["ATG", "AAA", "TGA"]
    assert mask.all()


def test_tokenizer_vocabulary_order():
    tokenizer = KmerTokenizer(2)
    assert tokenizer.vocabulary[:6] == ["[PAD]", "[CLS]", "[UNK]", "[MASK]", "AA", "AC"]
    assert tokenizer.vocab_size == 4 + 16
    assert [tokenizer.token_of(i) for i in range(tokenizer.vocab_size)] == tokenizer.vocabulary


def test_tokenizer_unknown_over_limit_warns():
    seqs = SequenceSet.from_strings(["ACGNNNACG", "ACGTACGTA"], ids=["messy", "clean"])
    with pytest.warns(BioseqWarning, match=r"'messy' \(5 of 7\)"):
        KmerTokenizer(3).encode(seqs)


def test_tokenizer_unknown_over_limit_error():
    seqs = SequenceSet.from_strings(["ACGNNNACG"], ids=["messy"])
    tokenizer = KmerTokenizer(3, on_unknown="error")
    with pytest.raises(SequenceError, match=r"'messy' \(5 of 7\)"):
        tokenizer.encode(seqs)


def test_check_unknown_counts_per_record():
    seqs = SequenceSet.from_strings(["ACGNACG", "ACGTACG"], ids=["a", "b"])
    tokenizer = KmerTokenizer(3, on_unknown="ignore")
    assert tokenizer.check_unknown(seqs).tolist() == [3, 0]


def test_tokenizer_cls_and_padding():
    tokenizer = KmerTokenizer(2, stride=2, add_cls=True)
    ids, mask = tokenizer.encode(["ACGTA", "AC"])
    assert ids[0].tolist() == [1, 4 + 1, 4 + 11]
    assert ids[1].tolist() == [1, 4 + 1, 0]
    assert mask[1].tolist() == [True, True, False]


def test_tokenizer_torch_matches_numpy(random_texts):
    seqs = SequenceSet.from_strings(random_texts)
    codes, mask = to_fixed_length(seqs)
    for stride in (1, 3):
        tokenizer = KmerTokenizer(3, stride=stride, add_cls=True, on_unknown="ignore")
        ids, token_mask = tokenizer.encode(seqs)
        got, got_mask = tokenizer.encode_torch(torch.from_numpy(codes), torch.from_numpy(mask))
        assert np.array_equal(got.numpy(), ids)
        assert np.array_equal(got_mask.numpy(), token_mask)
