"""The parallel builds of the kernels give the same results as the serial ones."""

from __future__ import annotations

import numpy as np
import pytest

from bioseq.encode import _parallel
from bioseq.encode.codes import tile_codes, to_fixed_length
from bioseq.encode.kmer import KmerTokenizer, kmer_counts
from bioseq.encode.onehot import encode_onehot
from bioseq.sequences import SequenceSet


@pytest.fixture(scope="module")
def seqs() -> SequenceSet:
    rng = np.random.default_rng(11)
    letters = list("ACGTNacgtR")
    texts = ["".join(rng.choice(letters, size=n)) for n in rng.integers(1, 300, size=150)]
    return SequenceSet.from_strings(texts)


def csr_parts(matrix) -> np.ndarray:
    """Concatenate a CSR matrix's arrays, so two matrices compare without densifying."""
    return np.concatenate([matrix.indptr, matrix.indices, matrix.data]).astype(np.int64)


def encode_all(seqs: SequenceSet) -> dict[str, np.ndarray]:
    """Run every kernel once; small inputs take the serial build unless forced."""
    tokenizer = KmerTokenizer(3, stride=2, on_unknown="ignore")
    return {
        "layout": to_fixed_length(seqs, 200, pad="both", truncate="center")[0],
        "tiles": tile_codes(seqs, 64, stride=50, pad="left")[0],
        "onehot": encode_onehot(seqs, length=250, pad="right", truncate="left"),
        "dense": kmer_counts(seqs, 4, canonical=True, short="warn"),
        "sparse": csr_parts(kmer_counts(seqs, 6, stride=2, sparse=True)),
        "sparse_large_k": csr_parts(kmer_counts(seqs, 11, sparse=True)),
        "tokens": tokenizer.encode(seqs)[0],
        "unknown": tokenizer.check_unknown(seqs),
    }


@pytest.mark.filterwarnings("ignore:.*shorter than k")
def test_parallel_matches_serial(seqs, monkeypatch):
    serial = encode_all(seqs)
    monkeypatch.setattr(_parallel, "PARALLEL_MIN_WORK", 0)
    parallel = encode_all(seqs)
    for name, expected in serial.items():
        assert np.array_equal(parallel[name], expected), name
