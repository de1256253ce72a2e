"""BlockBatchSampler under DDP: every rank gets batches, validation ranks stay equal."""

from __future__ import annotations

import numpy as np
import pytest

from bioseq.data.store_dataset import BlockBatchSampler


def rank_batches(indices, world_size, **options):
    return [list(BlockBatchSampler(indices, options.pop("batch_size", 8), 4096,
                                   rank=rank, world_size=world_size, **options))
            for rank in range(world_size)]


def test_one_window_split_between_ranks():
    indices = np.arange(50)
    per_rank = rank_batches(indices, 2, shuffle=True, seed=1)
    seen = [np.concatenate(batches) for batches in per_rank]
    assert len(per_rank[0]) == len(per_rank[1])
    assert len(per_rank[0]) > 0
    assert not set(seen[0].tolist()) & set(seen[1].tolist())
    assert sorted(np.concatenate(seen).tolist()) == indices.tolist()


@pytest.mark.parametrize("n_records", [1, 7, 25, 64])
def test_validation_ranks_equal_sizes(n_records):
    indices = np.arange(100, 100 + n_records)
    per_rank = rank_batches(indices, 3, shuffle=False)
    sizes = [[len(batch) for batch in batches] for batches in per_rank]
    assert sizes[0] == sizes[1] == sizes[2]
    covered = set(np.concatenate([np.concatenate(b) for b in per_rank]).tolist())
    assert covered == set(indices.tolist())


def test_fewer_records_than_ranks_still_batches():
    per_rank = rank_batches(np.arange(1), 2, shuffle=True)
    assert len(per_rank[0]) == len(per_rank[1]) == 1


def test_short_window_smaller_than_batch():
    batches = list(BlockBatchSampler(np.arange(5), 64, 4096, shuffle=True))
    assert [sorted(batch.tolist()) for batch in batches] == [[0, 1, 2, 3, 4]]
