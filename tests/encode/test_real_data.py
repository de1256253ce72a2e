"""The encoders on a real data set with IUPAC codes (nRC ncRNA families, RNA written as DNA)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bioseq.encode.batch import InputSpec, encode_batch
from bioseq.encode.codes import to_fixed_length
from bioseq.encode.kmer import kmer_counts
from bioseq.encode.onehot import decode_onehot, encode_onehot
from bioseq.io.fasta import read_fasta


@pytest.fixture(scope="module")
def ncrna(shared_data):
    return read_fasta(shared_data / "nrc_ncrna" / "dataset_Rfam_validated_2600_13classes.fasta",
                      alphabet="dna", labels=False)


def test_real_onehot_round_trip(ncrna):
    x = encode_onehot(ncrna)
    _, mask = to_fixed_length(ncrna)
    decoded = decode_onehot(x, mask=mask)
    assert decoded == [ncrna.sequence(i) for i in range(len(ncrna))]


def test_real_kmer_totals_with_ambiguity(ncrna):
    counts = kmer_counts(ncrna, 4, sparse=True)
    totals = np.asarray(counts.sum(axis=1)).ravel()
    for i in range(len(ncrna)):
        text = ncrna.sequence(i)
        clean = sum(set(text[p : p + 4]) <= set("ACGT") for p in range(len(text) - 3))
        assert totals[i] == clean, ncrna.ids[i]


def test_real_batch_matches_numpy(ncrna):
    subset = ncrna.subset(np.arange(64))
    codes, _ = to_fixed_length(subset)
    spec = InputSpec(kind="onehot", length=200, pad="both", truncate="center")
    batch = encode_batch(spec, torch.from_numpy(codes), torch.from_numpy(subset.lengths))
    expected = encode_onehot(subset, length=200, pad="both", truncate="center")
    assert np.array_equal(batch["x"].numpy(), expected)
