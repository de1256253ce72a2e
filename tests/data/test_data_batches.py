"""Tests of the batch dataset, the sharded batch sampler and augmentations."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bioseq.alphabet import DNA, PAD_CODE, PROTEIN
from bioseq.data.augment import (
    complement_table,
    random_reverse_complement,
    random_shift,
    reverse_complement_codes,
)
from bioseq.data.dataset import CodesDataset, ShardedBatchSampler, make_loader
from bioseq.errors import BioseqError
from bioseq.sequences import SequenceSet


def _dataset(n: int = 10) -> CodesDataset:
    seqs = ["ACGT"[: 1 + i % 4] * 2 for i in range(n)]
    return CodesDataset.from_sequence_set(
        SequenceSet.from_strings(seqs, labels=np.arange(n) % 2), 8, pad="right"
    )


def test_loader_yields_every_record_once() -> None:
    loader = make_loader(_dataset(10), 3, shuffle=True, seed=1)
    seen = torch.cat([batch["index"] for batch in loader])
    assert sorted(seen.tolist()) == list(range(10))
    assert [len(batch["index"]) for batch in loader] == [3, 3, 3, 1]


def test_batch_rows_match_their_records() -> None:
    dataset = _dataset(10)
    for batch in make_loader(dataset, 4, shuffle=True, seed=2):
        for row, index in enumerate(batch["index"].tolist()):
            assert torch.equal(batch["codes"][row], dataset.codes[index])
            assert int(batch["labels"][row]) == index % 2


def test_sampler_ranks_disjoint() -> None:
    ranks = [ShardedBatchSampler(12, 4, seed=7, rank=r, world_size=2) for r in range(2)]
    seen = [np.concatenate(list(sampler)) for sampler in ranks]
    assert set(seen[0]).isdisjoint(seen[1])
    assert sorted(np.concatenate(seen).tolist()) == list(range(12))
    assert len(ranks[0]) == len(ranks[1]) == 2


def test_sampler_epoch_changes_order() -> None:
    sampler = ShardedBatchSampler(50, 50, seed=0)
    first = next(iter(sampler)).tolist()
    sampler.set_epoch(1)
    second = next(iter(sampler)).tolist()
    sampler.set_epoch(0)
    assert next(iter(sampler)).tolist() == first
    assert first != second


def test_reverse_complement_twice_is_identity() -> None:
    codes = torch.from_numpy(_dataset(6).codes.numpy())
    table = complement_table(DNA)
    once = reverse_complement_codes(codes, table)
    assert not torch.equal(once, codes)
    assert torch.equal(reverse_complement_codes(once, table), codes)


def test_reverse_complement_keeps_padding() -> None:
    codes = torch.tensor([[0, 0, 2, PAD_CODE, PAD_CODE]], dtype=torch.uint8)  # AAG
    flipped = reverse_complement_codes(codes, complement_table(DNA))
    assert DNA.decode(flipped[0, :3].numpy()) == "CTT"
    assert flipped[0, 3:].tolist() == [PAD_CODE, PAD_CODE]


def test_random_reverse_complement_flips_some_rows() -> None:
    codes = torch.zeros(64, 5, dtype=torch.uint8)  # all A
    out = random_reverse_complement(codes, complement_table(DNA),
                                    torch.Generator().manual_seed(0))
    flipped = (out == 3).all(dim=1)  # all T
    assert 0 < int(flipped.sum()) < 64
    assert bool(((out == 0).all(dim=1) | flipped).all())


def test_protein_has_no_complement() -> None:
    with pytest.raises(BioseqError, match="no complement"):
        complement_table(PROTEIN)


def test_random_shift_moves_residues() -> None:
    codes = torch.arange(4, dtype=torch.uint8).repeat(32, 5)[:, :20]
    out = random_shift(codes, 3, torch.Generator().manual_seed(0))
    assert out.shape == codes.shape
    assert bool((out != codes).any())
    for row in range(out.shape[0]):
        kept = out[row][out[row] != PAD_CODE]
        assert len(kept) >= codes.shape[1] - 3
