"""Out-of-core batches: coverage of a split, shuffling, workers, ranks, concurrent readers."""

from __future__ import annotations

import multiprocessing
import pickle

import numpy as np
import pytest
import torch

from bioseq.alphabet import PAD_CODE
from bioseq.data.store_dataset import BlockBatchSampler, StoreDataset, make_store_loader
from bioseq.errors import SequenceError, StoreError
from bioseq.io.store import read_store, write_store
from bioseq.sequences import SequenceSet


def test_split_read_once_with_matching_codes(small_store):
    path, expected = small_store
    loader = make_store_loader(path, "train", batch_size=64, block_records=256, seed=1)
    train = np.flatnonzero(expected.splits == "train")
    batches = list(loader)
    assert len(batches) == len(loader)
    assert sum(len(b["labels"]) for b in batches) == len(train)
    assert all(b["codes"].dtype == torch.uint8 for b in batches)
    # Match records by content: each batch row equals one train record's codes.
    wanted = {expected.codes_of(i).tobytes(): int(expected.labels[i]) for i in train}
    for batch in batches:
        for row, length, label in zip(batch["codes"], batch["lengths"], batch["labels"], strict=True):
            key = row[: int(length)].numpy().tobytes()
            assert wanted[key] == int(label)
            assert torch.all(row[int(length):] == PAD_CODE)


def test_batches_full_except_last(small_store):
    path, _ = small_store
    sizes = [len(b["labels"]) for b in make_store_loader(path, "train", 64, block_records=100)]
    assert all(size == 64 for size in sizes[:-1])
    assert 0 < sizes[-1] <= 64


def test_shuffle_changes_with_epoch(small_store):
    path, _ = small_store
    dataset = StoreDataset(path, block_records=128)
    sampler = BlockBatchSampler(np.arange(len(dataset)), 32, 128, seed=5)
    first = np.concatenate(list(sampler))
    sampler.set_epoch(1)
    second = np.concatenate(list(sampler))
    assert sorted(first.tolist()) == sorted(second.tolist()) == list(range(len(dataset)))
    assert not np.array_equal(first, second)


def test_batches_stay_within_window(small_store):
    path, _ = small_store
    sampler = BlockBatchSampler(np.arange(3000), 64, 100, blocks_per_window=2, seed=2)
    for batch in sampler:
        # A batch draws on at most two windows: its own and the carried leftover.
        assert len(np.unique(batch // 100)) <= 4


def test_unshuffled_order_is_store_order(small_store):
    path, expected = small_store
    loader = make_store_loader(path, batch_size=50, shuffle=False, block_records=64)
    first = next(iter(loader))
    assert first["lengths"].tolist() == expected.lengths[:50].tolist()


def test_ranks_get_disjoint_records_and_equal_counts(small_store):
    path, _ = small_store
    indices = np.arange(3000)
    samplers = [BlockBatchSampler(indices, 64, 200, seed=3, rank=r, world_size=2) for r in range(2)]
    seen = [set(np.concatenate(list(s)).tolist()) for s in samplers]
    assert len(samplers[0]) == len(samplers[1])
    assert seen[0] | seen[1] == set(range(3000))
    assert len(seen[0] & seen[1]) < 200  # only repeats that pad the shorter rank


def test_two_workers_read_every_record(small_store):
    path, expected = small_store
    loader = make_store_loader(path, batch_size=64, num_workers=2, block_records=200, seed=4)
    total = sorted(int(length) for b in loader for length in b["lengths"])
    assert total == sorted(expected.lengths.tolist())


def test_dataset_pickles_without_handle(small_store):
    path, _ = small_store
    dataset = StoreDataset(path)
    dataset[[0, 1]]
    assert dataset._store is not None
    clone = pickle.loads(pickle.dumps(dataset))
    assert clone._store is None
    assert clone[[0, 1]]["codes"].shape == dataset[[0, 1]]["codes"].shape


def test_fixed_length_pads_and_rejects_long(tmp_path):
    data = SequenceSet.from_strings(["ACGTAC", "GG"], ids=["long", "short"], labels=[0, 1],
                                    class_names=["a", "b"], task="binary")
    write_store(tmp_path / "f.h5", [data])
    padded = StoreDataset(tmp_path / "f.h5", length=8)[[0, 1]]
    assert padded["codes"].shape == (2, 8)
    assert padded["lengths"].tolist() == [6, 2]
    with pytest.raises(SequenceError, match="record 'long' has 6 residues, more than the length 4"):
        StoreDataset(tmp_path / "f.h5", length=4)[[0]]
    cut = StoreDataset(tmp_path / "f.h5", length=4, truncate="left")[[0]]
    assert cut["codes"][0].tolist() == [2, 3, 0, 1]


def test_split_missing_from_store(tmp_path):
    write_store(tmp_path / "n.h5", [SequenceSet.from_strings(["ACGT"], ids=["a"])])
    with pytest.raises(StoreError, match="has no split membership"):
        make_store_loader(tmp_path / "n.h5", "train")


def _read_checksum(path: str, queue: multiprocessing.Queue) -> None:
    data = read_store(path)
    loader = make_store_loader(path, batch_size=128, shuffle=False)
    total = 0
    for batch in loader:
        residues = torch.arange(batch["codes"].shape[1]) < batch["lengths"][:, None]
        total += int(batch["codes"].to(torch.int64)[residues].sum())
    queue.put((int(data.codes.astype(np.int64).sum()), total))


def test_two_processes_read_one_store(small_store):
    path, expected = small_store
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [context.Process(target=_read_checksum, args=(str(path), queue)) for _ in range(2)]
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    codes_sum = int(expected.codes.astype(np.int64).sum())
    assert [whole for whole, _ in results] == [codes_sum, codes_sum]
    assert [batched for _, batched in results] == [codes_sum, codes_sum]
    assert all(worker.exitcode == 0 for worker in workers)
