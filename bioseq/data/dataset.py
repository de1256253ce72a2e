"""Batches gathered straight from in-memory ``uint8`` code arrays.

Training reads batches, not items: :class:`ShardedBatchSampler` yields one
index array per batch, and :class:`CodesDataset` serves it with one fancy
index into each tensor. No per-item collation happens, so the loader runs far
ahead of the model with ``num_workers=0`` in the main process. One-hot or
token expansion happens later, on the device (see ``bioseq.train.system``).

Examples
--------
>>> from bioseq.sequences import SequenceSet
>>> s = SequenceSet.from_strings(["ACGT", "GG", "TTA"], labels=[0, 1, 0])
>>> dataset = CodesDataset.from_sequence_set(s, length=4, pad="right")
>>> batch = dataset[[2, 0]]
>>> batch["codes"].shape, batch["lengths"].tolist(), batch["labels"].tolist()
(torch.Size([2, 4]), [3, 4], [0, 0])
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from bioseq.encode.codes import to_fixed_length
from bioseq.sequences import SequenceSet


class CodesDataset(Dataset):
    """Fixed-length codes, lengths and labels, indexed a whole batch at a time.

    Parameters
    ----------
    codes : numpy.ndarray of shape (N, L), dtype uint8
        Sequences laid out in rows, ``PAD_CODE`` at padding.
    lengths : numpy.ndarray of shape (N,)
        Residues in each row (after truncation).
    labels : numpy.ndarray or None
        ``(N,)`` int64 class indices, or ``(N, K)`` float32 targets; None
        stores zeros, for unlabelled prediction.
    """

    def __init__(self, codes: np.ndarray, lengths: np.ndarray, labels: np.ndarray | None) -> None:
        self.codes = torch.from_numpy(np.ascontiguousarray(codes, dtype=np.uint8))
        self.lengths = torch.from_numpy(np.ascontiguousarray(lengths, dtype=np.int64))
        if labels is None:
            labels = np.zeros(len(codes), dtype=np.int64)
        labels = np.asarray(labels)
        if labels.dtype.kind in "iub":
            labels = labels.astype(np.int64)
        else:
            labels = labels.astype(np.float32)
        self.labels = torch.from_numpy(np.ascontiguousarray(labels))

    @classmethod
    def from_sequence_set(
        cls,
        seqset: SequenceSet,
        length: int | None = None,
        *,
        pad: str | None = "right",
        truncate: str | None = None,
        transforms: Counter | None = None,
    ) -> CodesDataset:
        """Lay out a sequence set in rows of ``length`` codes.

        ``pad`` and ``truncate`` are passed to
        :func:`bioseq.encode.codes.to_fixed_length`, which raises for records
        that do not fit when they are None.
        """
        codes, mask = to_fixed_length(
            seqset, length, pad=pad, truncate=truncate, transforms=transforms  # type: ignore[arg-type]
        )
        return cls(codes, mask.sum(axis=1), seqset.labels)

    def __len__(self) -> int:
        return self.codes.shape[0]

    def __getitem__(self, index: int | Sequence[int] | np.ndarray | torch.Tensor) -> dict[str, torch.Tensor]:
        rows = torch.as_tensor(index, dtype=torch.int64)
        return {"codes": self.codes[rows], "lengths": self.lengths[rows], "labels": self.labels[rows],
                "index": rows}

    def __getitems__(self, indices: Sequence[int]) -> dict[str, torch.Tensor]:
        return self[indices]


class ShardedBatchSampler(Sampler[np.ndarray]):
    """Yield index arrays of one batch each, shuffled per epoch and sharded by rank.

    Every rank draws the same seeded permutation for an epoch, pads it by
    repeating its first indices to a multiple of ``world_size`` and takes
    every ``world_size``-th index from ``rank``. Ranks therefore see disjoint
    records (apart from the padding repeats) and the same number of batches,
    which DDP needs.

    Parameters
    ----------
    n_records : int
        Dataset size N.
    batch_size : int
        Records per batch on this rank.
    shuffle : bool, default=True
        Draw a new permutation every epoch; False keeps the data order.
    seed : int, default=0
        Seed of the permutations (combined with the epoch).
    rank, world_size : int, default=0, 1
        This process's rank and the number of processes.
    drop_last : bool, default=False
        Drop a last batch smaller than ``batch_size``.

    Examples
    --------
    >>> sampler = ShardedBatchSampler(5, 2, shuffle=False, rank=1, world_size=2)
    >>> [batch.tolist() for batch in sampler]
    [[1, 3], [0]]
    """

    def __init__(
        self,
        n_records: int,
        batch_size: int,
        *,
        shuffle: bool = True,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
        drop_last: bool = False,
    ) -> None:
        self.n_records = n_records
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.drop_last = drop_last
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch that seeds the next permutation (Lightning calls this)."""
        self.epoch = epoch

    def _indices(self) -> np.ndarray:
        if self.shuffle:
            rng = np.random.default_rng([self.seed, self.epoch])
            order = rng.permutation(self.n_records)
        else:
            order = np.arange(self.n_records)
        total = math.ceil(self.n_records / self.world_size) * self.world_size
        if total > self.n_records:
            order = np.concatenate([order, order[: total - self.n_records]])
        return order[self.rank :: self.world_size]

    def __iter__(self) -> Iterator[np.ndarray]:
        indices = self._indices()
        for start in range(0, len(indices), self.batch_size):
            batch = indices[start : start + self.batch_size]
            if self.drop_last and len(batch) < self.batch_size:
                return
            yield batch

    def __len__(self) -> int:
        per_rank = math.ceil(self.n_records / self.world_size)
        if self.drop_last:
            return per_rank // self.batch_size
        return math.ceil(per_rank / self.batch_size)


def make_loader(
    dataset: CodesDataset,
    batch_size: int,
    *,
    shuffle: bool,
    seed: int = 0,
    rank: int = 0,
    world_size: int = 1,
    num_workers: int = 0,
    drop_last: bool = False,
) -> DataLoader:
    """Build a data loader that yields whole batches from ``dataset``.

    The sampler yields index arrays and ``batch_size=None`` turns off
    PyTorch's per-item collation, so each batch costs one indexing call.
    """
    sampler = ShardedBatchSampler(
        len(dataset), batch_size, shuffle=shuffle, seed=seed, rank=rank,
        world_size=world_size, drop_last=drop_last,
    )
    return DataLoader(
        dataset, sampler=sampler, batch_size=None, num_workers=num_workers,
        persistent_workers=num_workers > 0,
    )
