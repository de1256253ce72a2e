"""Out-of-core training batches read from an HDF5 store.

:class:`StoreDataset` takes a whole batch of record indices at once and
returns the same dict as :class:`bioseq.data.dataset.CodesDataset` (``codes``
``(B, L)`` uint8, ``lengths``, ``labels``), so the training module expands one-hot on the
device exactly as for in-memory data. It reads the store in blocks of
``block_records`` contiguous records (one HDF5 hyperslab each) and keeps a few
blocks in a per-process cache. The HDF5 file is opened lazily in the process
that reads, so every DataLoader worker gets its own handle and none is shared
across a fork.

:class:`BlockBatchSampler` shuffles at two levels: the order of blocks, and
records within a window of ``blocks_per_window`` blocks, which are cut into
batches. Windows are dealt to loader workers so that each worker reads its
own blocks, and PyTorch's round-robin dispatch of batches to workers keeps
that assignment.

Examples
--------
>>> import tempfile, pathlib
>>> from bioseq.sequences import SequenceSet
>>> from bioseq.io.store import write_store
>>> path = pathlib.Path(tempfile.mkdtemp()) / "enc.h5"
>>> data = SequenceSet.from_strings(["ACGT", "GG", "TTA"], labels=[0, 1, 0],
...                                 class_names=["a", "b"], task="binary")
>>> _ = write_store(path, [data])
>>> loader = make_store_loader(path, batch_size=2, shuffle=False)
>>> [batch["lengths"].tolist() for batch in loader]
[[4, 2], [3]]
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from bioseq.alphabet import PAD_CODE
from bioseq.encode.codes import PadSide, TruncateSide
from bioseq.errors import SequenceError, StoreError
from bioseq.io.store import StaleAction, Store, open_store, read_codes, read_dataset, read_text

#: Records per block: the unit that one HDF5 read fetches (about 4 MB at 1 kb a record).
DEFAULT_BLOCK_RECORDS = 4096
#: Blocks whose records are shuffled together into batches.
DEFAULT_BLOCKS_PER_WINDOW = 4


class StoreDataset(Dataset):
    """Batches of codes, lengths and labels read from a store on demand.

    Parameters
    ----------
    path : path-like
        Store written by ``bioseq preprocess``.
    length : int or None, default=None
        Row length ``L`` of every batch; None pads each batch to its longest record.
    pad, truncate : str or None
        Where short records are padded (``"right"``, ``"left"``, ``"both"``) and
        which end of long records is cut (``"right"``, ``"left"``,
        ``"center"``), as in :func:`bioseq.encode.codes.to_fixed_length`. None
        makes a record that does not fit ``length`` an error naming it.
    block_records : int, default=4096
        Records read per HDF5 access.
    cache_blocks : int, default=8
        Blocks kept in memory in each process.
    alphabet, locking, on_stale
        As for :func:`bioseq.io.store.open_store`; the store is checked once here.
    labels : numpy.ndarray or None, default=None
        Labels by store row, ``(n_records,)`` or ``(n_records, K)``, served
        in place of the store's own (for example re-encoded in another class
        order); None serves the store's labels.
    identity : tuple or None, default=None
        :attr:`~bioseq.io.store.Store.identity` of the store that the caller
        read its records from; a store replaced since then is rejected.

    Raises
    ------
    StoreError
        If the store is replaced (``bioseq preprocess --overwrite``) between
        the reads of this data set, which would mix two stores' records.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        length: int | None = None,
        pad: PadSide | None = "right",
        truncate: TruncateSide | None = None,
        block_records: int = DEFAULT_BLOCK_RECORDS,
        cache_blocks: int = 2 * DEFAULT_BLOCKS_PER_WINDOW,
        alphabet: str | None = None,
        locking: bool | None = None,
        on_stale: StaleAction = "error",
        labels: np.ndarray | None = None,
        identity: tuple[int, int, int] | None = None,
    ) -> None:
        if block_records < 1:
            raise ValueError(f"block_records must be at least 1, got {block_records}")
        self.path = Path(path)
        self.length = length
        self.pad = pad
        self.truncate = truncate
        self.block_records = block_records
        self.cache_blocks = max(cache_blocks, 1)
        self.locking = locking
        with open_store(self.path, alphabet=alphabet, locking=locking, on_stale=on_stale) as store:
            self.identity = store.identity
            if identity is not None and identity != self.identity:
                raise _replaced(self.path)
            self.alphabet = store.alphabet
            self.task = store.task
            self.class_names = store.class_names
            self.split_names = store.split_names
            self.n_records = store.n_sequences
            # NOTE: offsets, labels and splits are held in memory (about 17 bytes a record,
            # 85 MB for 5 million records); only codes and ids are read on demand.
            self.offsets = store.offsets
            store.verify("offsets", self.offsets)
            self.labels = None
            if labels is not None:
                if len(labels) != self.n_records:
                    raise ValueError(f"{len(labels)} labels for the {self.n_records} records "
                                     f"of {self.path}; pass one label per store row")
                # The dtypes of CodesDataset: int64 class indices, float32 targets.
                kind = np.int64 if labels.dtype.kind in "iub" else np.float32
                self.labels = np.ascontiguousarray(labels, dtype=kind)
            elif store.has_labels:
                self.labels = read_dataset(self.path, store.handle["labels"])
                store.verify("labels", self.labels)
            self.splits = None
            if "splits" in store.handle:
                self.splits = read_dataset(self.path, store.handle["splits"])
                store.verify("splits", self.splits)
            self.attrs = dict(store.attrs)
        self._store: Store | None = None
        self._pid: int | None = None
        self._cache: OrderedDict[int, tuple[np.ndarray, np.ndarray]] = OrderedDict()

    def __len__(self) -> int:
        return self.n_records

    def __getstate__(self) -> dict[str, Any]:
        # A pickled copy (spawned worker) opens its own handle on first use.
        state = dict(self.__dict__)
        state["_store"] = None
        state["_pid"] = None
        state["_cache"] = OrderedDict()
        return state

    def split_indices(self, split: str) -> np.ndarray:
        """Return the ascending record indices of one split.

        Raises
        ------
        StoreError
            If the store has no split membership or no record in ``split``.
        """
        if self.splits is None:
            raise StoreError(
                f"{self.path} has no split membership, so split {split!r} cannot be selected; "
                "rebuild it with a split column or pass record indices"
            )
        if split not in self.split_names:
            raise StoreError(
                f"{self.path} has no records in split {split!r}; splits present: {self.split_names}"
            )
        return np.flatnonzero(self.splits == self.split_names.index(split))

    def _handle(self) -> Store:
        # Never reuse a handle opened before a fork: HDF5 handles are not fork-safe.
        if self._store is None or self._pid != os.getpid():
            store = open_store(self.path, locking=self.locking, on_stale="ignore")
            if store.identity != self.identity:
                store.close()
                raise _replaced(self.path)
            self._store = store
            self._pid = os.getpid()
            self._cache.clear()
        return self._store

    def _block(self, block: int) -> tuple[np.ndarray, np.ndarray]:
        cached = self._cache.get(block)
        if cached is not None:
            self._cache.move_to_end(block)
            return cached
        store = self._handle()
        first = block * self.block_records
        last = min(first + self.block_records, self.n_records)
        start, stop = int(self.offsets[first]), int(self.offsets[last])
        codes = read_codes(self.path, store.handle["codes"], start, stop)
        ids = read_text(self.path, store.handle, "ids", first, last)
        self._cache[block] = (codes, ids)
        while len(self._cache) > self.cache_blocks:
            self._cache.popitem(last=False)
        return self._cache[block]

    def __getitem__(self, index: Sequence[int] | np.ndarray | torch.Tensor) -> dict[str, torch.Tensor]:
        rows = np.asarray(index, dtype=np.int64).reshape(-1)
        lengths = self.offsets[rows + 1] - self.offsets[rows]
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        codes = np.empty(int(offsets[-1]), dtype=np.uint8)
        ids = np.empty(len(rows), dtype=object)
        for position, row in enumerate(rows):
            block = int(row) // self.block_records
            block_codes, block_ids = self._block(block)
            base = self.offsets[block * self.block_records]
            start = self.offsets[row] - base
            codes[offsets[position] : offsets[position + 1]] = block_codes[start : start + lengths[position]]
            ids[position] = block_ids[row - block * self.block_records]
        fixed, row_lengths = self._layout(codes, offsets, ids)
        if self.labels is None:
            labels = torch.zeros(len(rows), dtype=torch.int64)
        else:
            labels = torch.from_numpy(np.ascontiguousarray(self.labels[rows]))
        return {
            "codes": torch.from_numpy(fixed),
            "lengths": torch.from_numpy(row_lengths),
            "labels": labels,
            "index": torch.from_numpy(rows),
        }

    def _layout(self, codes: np.ndarray, offsets: np.ndarray,
                ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # The same pad/truncate rules as bioseq.encode.codes.to_fixed_length, in plain numpy:
        # its numba kernels use OpenMP, which aborts in a DataLoader worker forked after
        # the parent process used it.
        lengths = np.diff(offsets)
        width = int(lengths.max(initial=0)) if self.length is None else self.length
        rows = np.full((len(lengths), width), PAD_CODE, dtype=np.uint8)
        kept = np.minimum(lengths, width)
        for row, size in enumerate(lengths.tolist()):
            start, stop = int(offsets[row]), int(offsets[row + 1])
            if size > width:
                start += _truncate_start(size, width, self.truncate, ids[row], self.path)
            elif size < width and self.length is not None:
                column = _pad_start(size, width, self.pad, ids[row], self.path)
                rows[row, column : column + size] = codes[start:stop]
                continue
            rows[row, : kept[row]] = codes[start : start + kept[row]]
        return rows, kept.astype(np.int64)

    def __getitems__(self, indices: Sequence[int]) -> dict[str, torch.Tensor]:
        return self[indices]


def _replaced(path: Path) -> StoreError:
    return StoreError(
        f"{path} was replaced (bioseq preprocess --overwrite?) after this run read its "
        "records, so its rows no longer match; run the command again to read the new store, "
        "or write new stores to another path while runs use the old one"
    )


def _truncate_start(size: int, width: int, truncate: str | None, record: str, path: Path) -> int:
    surplus = size - width
    if truncate is None:
        raise SequenceError(
            f"{path}: record {record!r} has {size} residues, more than the length {width}; "
            "pass truncate='right', 'left' or 'center', or a larger length"
        )
    return {"right": 0, "left": surplus, "center": surplus // 2}[truncate]


def _pad_start(size: int, width: int, pad: str | None, record: str, path: Path) -> int:
    surplus = width - size
    if pad is None:
        raise SequenceError(
            f"{path}: record {record!r} has {size} residues, fewer than the length {width}; "
            "pass pad='right', 'left' or 'both'"
        )
    return {"right": 0, "left": surplus, "both": surplus // 2}[pad]


class BlockBatchSampler(Sampler[np.ndarray]):
    """Yield batches of record indices that stay within a few contiguous blocks.

    Parameters
    ----------
    indices : numpy.ndarray of shape (n,)
        Records to draw from (a split), ascending.
    batch_size : int
        Records per batch.
    block_records : int
        Block size of the dataset; records ``[b * block_records, (b + 1) *
        block_records)`` form block ``b``.
    blocks_per_window : int, default=4
        Blocks whose records are shuffled together.
    shuffle : bool, default=True
        Shuffle block order and records in a window, anew every epoch;
        False yields the records in store order.
    seed : int, default=0
        Seed, combined with the epoch.
    n_streams : int, default=1
        Loader workers (at least 1); windows are dealt to them in turn.
    rank, world_size : int, default=0, 1
        DDP process and process count; ranks get disjoint windows (or, with
        fewer windows than ranks, disjoint records of each window) and the
        same number of batches (a short rank repeats its first batches).
    drop_last : bool, default=False
        Drop each stream's last batch when it is smaller than ``batch_size``.
    """

    def __init__(
        self,
        indices: np.ndarray,
        batch_size: int,
        block_records: int,
        *,
        blocks_per_window: int = DEFAULT_BLOCKS_PER_WINDOW,
        shuffle: bool = True,
        seed: int = 0,
        n_streams: int = 1,
        rank: int = 0,
        world_size: int = 1,
        drop_last: bool = False,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is outside 0..{world_size - 1}")
        self.indices = np.sort(np.asarray(indices, dtype=np.int64))
        self.batch_size = batch_size
        self.block_records = block_records
        self.blocks_per_window = max(blocks_per_window, 1)
        self.shuffle = shuffle
        self.seed = seed
        self.n_streams = max(n_streams, 1)
        self.rank = rank
        self.world_size = world_size
        self.drop_last = drop_last
        self.epoch = 0
        self._plan: tuple[int, list[np.ndarray]] | None = None

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch that seeds the next shuffle (Lightning calls this)."""
        self.epoch = epoch

    def _windows(self, rng: np.random.Generator | None) -> list[np.ndarray]:
        blocks = self.indices // self.block_records
        bounds = np.flatnonzero(np.diff(blocks)) + 1
        per_block = np.split(self.indices, bounds) if len(self.indices) else []
        order = np.arange(len(per_block))
        if rng is not None:
            order = rng.permutation(len(per_block))
        step = self.blocks_per_window
        return [np.concatenate([per_block[b] for b in order[i : i + step]])
                for i in range(0, len(order), step)]

    def _stream_batches(self, windows: list[np.ndarray], rng: np.random.Generator | None) -> list[np.ndarray]:
        # Leftover records of one window fill the first batch of the stream's next window,
        # so only the stream's last batch can be short and a batch spans at most two windows.
        batches = []
        carry = np.zeros(0, dtype=np.int64)
        for window in windows:
            if rng is not None:
                window = rng.permutation(window)
            pool = np.concatenate([carry, window])
            n_full = len(pool) // self.batch_size * self.batch_size
            if n_full:
                batches.extend(np.sort(b) for b in np.split(pool[:n_full], n_full // self.batch_size))
            carry = pool[n_full:]
        if len(carry) and not self.drop_last:
            batches.append(np.sort(carry))
        return batches

    def _rank_slice(self, rank: int) -> np.ndarray:
        # Unshuffled DDP reading (validation): equal-sized contiguous slices, padded by
        # repeating the first records, because the ranks gather equal-sized outputs.
        n_records = len(self.indices)
        per_rank = -(-n_records // self.world_size)
        padded = np.resize(self.indices, per_rank * self.world_size)
        return padded[rank * per_rank : (rank + 1) * per_rank]

    def _rank_batches(self, rank: int) -> list[np.ndarray]:
        rng = np.random.default_rng([self.seed, self.epoch]) if self.shuffle else None
        if self.world_size == 1:
            windows = self._windows(rng)
        elif rng is None:
            windows = [self._rank_slice(rank)]
        else:
            windows = self._windows(rng)
            if len(windows) >= self.world_size:
                windows = windows[rank :: self.world_size]
            else:
                # Too few windows to give every rank one (a small split, or few large
                # blocks): every rank takes every world_size-th record of each window.
                windows = [window[rank :: self.world_size] for window in windows]
        streams = [self._stream_batches(windows[s :: self.n_streams], rng)
                   for s in range(self.n_streams)]
        # Round-robin over streams matches PyTorch's dispatch of batches to workers.
        ordered = []
        for round_index in range(max((len(s) for s in streams), default=0)):
            ordered.extend(s[round_index] for s in streams if round_index < len(s))
        return ordered

    def _batches(self) -> list[np.ndarray]:
        if self._plan is not None and self._plan[0] == self.epoch:
            return self._plan[1]
        batches = self._rank_batches(self.rank)
        if self.world_size > 1:
            target = max(len(self._rank_batches(r)) for r in range(self.world_size))
            if not batches and target:
                # Fewer records than ranks: this rank repeats rank 0's batches, because
                # DDP needs the same number of batches on every rank.
                batches = self._rank_batches(0)
            while batches and len(batches) < target:
                batches = batches + batches[: target - len(batches)]
        self._plan = (self.epoch, batches)
        return batches

    def __iter__(self) -> Iterator[np.ndarray]:
        yield from self._batches()

    def __len__(self) -> int:
        return len(self._batches())


def make_store_loader(
    path: str | os.PathLike[str],
    split: str | None = None,
    batch_size: int = 64,
    *,
    indices: np.ndarray | None = None,
    shuffle: bool = True,
    seed: int = 0,
    length: int | None = None,
    pad: PadSide | None = "right",
    truncate: TruncateSide | None = None,
    num_workers: int = 0,
    rank: int = 0,
    world_size: int = 1,
    drop_last: bool = False,
    block_records: int = DEFAULT_BLOCK_RECORDS,
    blocks_per_window: int = DEFAULT_BLOCKS_PER_WINDOW,
    alphabet: str | None = None,
    locking: bool | None = None,
    on_stale: StaleAction = "error",
) -> DataLoader:
    """Build a DataLoader that streams batches of one split from a store.

    Parameters
    ----------
    path : path-like
        Store written by ``bioseq preprocess``.
    split : str or None, default=None
        Split to read (``"train"``, ``"valid"``, ``"test"``); None reads every
        record, or those in ``indices``.
    batch_size : int, default=64
        Records per batch.
    indices : numpy.ndarray or None, default=None
        Record indices to read instead of a split.
    num_workers : int, default=0
        Loader worker processes; each opens the store itself.

    The other parameters are those of :class:`StoreDataset` and
    :class:`BlockBatchSampler`.

    Returns
    -------
    torch.utils.data.DataLoader
        Yields dicts with ``codes`` ``(B, L)`` uint8, ``lengths`` ``(B,)``
        int64 and ``labels``. Its ``dataset`` attribute carries the store's
        alphabet, task and class names.
    """
    dataset = StoreDataset(path, length=length, pad=pad, truncate=truncate,
                           block_records=block_records,
                           cache_blocks=2 * max(blocks_per_window, 1), alphabet=alphabet,
                           locking=locking, on_stale=on_stale)
    if indices is not None and split is not None:
        raise ValueError("pass split or indices, not both")
    if split is not None:
        chosen = dataset.split_indices(split)
    elif indices is not None:
        chosen = np.asarray(indices, dtype=np.int64)
        if len(chosen) and (chosen.min() < 0 or chosen.max() >= len(dataset)):
            raise StoreError(
                f"{path}: record indices must lie in 0..{len(dataset) - 1}, "
                f"got {int(chosen.min())}..{int(chosen.max())}"
            )
    else:
        chosen = np.arange(len(dataset))
    sampler = BlockBatchSampler(chosen, batch_size, block_records, blocks_per_window=blocks_per_window,
                                shuffle=shuffle, seed=seed, n_streams=num_workers, rank=rank,
                                world_size=world_size, drop_last=drop_last)
    return DataLoader(dataset, sampler=sampler, batch_size=None, num_workers=num_workers,
                      persistent_workers=num_workers > 0)

