"""Feed a training run from one HDF5 store without loading its codes.

When the only training source is a store, :func:`find_training_store`
returns it, :func:`read_training_records` reads its per-record arrays
(:class:`~bioseq.data.store_records.StoreRecords`), and the loaders of
:func:`make_store_loaders` read batches of codes block by block with
:class:`~bioseq.data.store_dataset.StoreDataset` and
:class:`~bioseq.data.store_dataset.BlockBatchSampler`. The batches have
the layout of the in-memory path (codes padded on the right to the input
length, truncated by the input spec's rule), so the model, the training
module, checkpoints and outputs are the same.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from bioseq.data.store_records import StoreRecords, read_store_records
from bioseq.train.config import TrainConfig

logger = logging.getLogger(__name__)

#: Loader options that :func:`read_store_records` applies; the others concern FASTA and tables.
_STORE_OPTIONS = ("classes", "positive_class", "split_map", "task", "alphabet")


def find_training_store(config: TrainConfig) -> Path | None:
    """Return the store to train from out of core, or None for the in-memory path.

    Only a single source that is an HDF5 store, without a ``CLASS=`` prefix
    and read with ``format`` auto or store, is read out of core. Several
    stores, or a store beside FASTA or tables, are read into memory, and the
    log names the reason. The k-mer baseline (``kmer-logreg``) needs all codes for
    its k-mer counts, so it reads a store into memory too.
    """
    from bioseq.io.store_stream import find_single_store

    path, reason = find_single_store(config.data.sources, config.data.loader.get("format", "auto"))
    if path is None and reason is None:
        return None
    if path is not None and config.model.name == "kmer-logreg":
        reason = "the kmer-logreg baseline counts k-mers over all codes at once"
    if reason is not None:
        logger.info("reading the training data into memory: %s", reason)
        return None
    logger.info("store %s is read out of core: its codes are read block by block, never whole",
                path)
    return path


def read_training_records(config: TrainConfig, path: Path) -> StoreRecords:
    """Read the store's per-record arrays with the configured loader options.

    Raises
    ------
    ConfigError
        For a loader option that ``load_sequences`` does not accept.
    """
    from bioseq.io.load import DataSource, _check_options

    loader = dict(config.data.loader)
    loader.pop("format", None)
    named = {key: loader.pop(key) for key in _STORE_OPTIONS if key in loader}
    # Reader options of FASTA and tables are checked as load_sequences checks them, then ignored.
    _check_options(loader)
    split = DataSource.parse(config.data.sources[0]).split
    # NOTE: under DDP every rank reads the index and hashes the codes itself, so the
    # hashing pass over the store runs once per rank.
    return read_store_records(path, split=split, **named)


def check_layout(records: StoreRecords, length: int, truncate: str | None,
                 transforms: Counter | None) -> None:
    """Check that the records fit ``length`` and count truncation, from lengths alone.

    This raises the same SequenceError and records the same counts as the
    in-memory path's :func:`bioseq.encode.codes.to_fixed_length`, before any
    batch is read.
    """
    from bioseq.encode.codes import plan_layout, record_plan

    plan = plan_layout(records.lengths, length, ids=records.ids, pad="right",
                       truncate=truncate)  # type: ignore[arg-type]
    record_plan(plan, transforms, fixed=True)


def choose_block_records(lengths: np.ndarray, target_residues: int = 1 << 21) -> int:
    """Pick records per block so that one block holds about ``target_residues`` residues.

    The result lies in 1..4096; a store of long records gets small blocks,
    so the per-process block cache stays near ``8 * target_residues`` bytes.
    """
    from bioseq.data.store_dataset import DEFAULT_BLOCK_RECORDS

    mean = float(lengths.mean()) if len(lengths) else 1.0
    return int(min(max(target_residues // max(mean, 1.0), 1), DEFAULT_BLOCK_RECORDS))


def make_store_dataset(records: StoreRecords, length: int, truncate: str | None, *,
                       cache_blocks: int = 8) -> Any:
    """Build a StoreDataset that serves ``records``' labels (in the run's class order).

    Readers in store order need only ``cache_blocks=2``; shuffled training
    batches draw on a window of 4 blocks and keep 8.
    """
    from bioseq.data.store_dataset import StoreDataset

    labels = None
    if records.labels is not None:
        # Labels by store row: the loader options may have reordered the classes.
        labels = np.zeros((records.n_store, *records.labels.shape[1:]), dtype=records.labels.dtype)
        labels[records.rows] = records.labels
    return StoreDataset(records.path, length=length, pad="right", truncate=truncate,  # type: ignore[arg-type]
                        block_records=choose_block_records(records.lengths),
                        cache_blocks=cache_blocks, labels=labels, on_stale="ignore",
                        identity=records.identity)


def make_store_loaders(
    seqset: StoreRecords, train_set: StoreRecords, valid_set: StoreRecords | None, length: int,
    truncate: str | None, *, batch_size: int, seed: int, rank: int, world_size: int,
    num_workers: int,
) -> tuple[Any, Any]:
    """Build the training and validation loaders that read the store block by block."""
    from torch.utils.data import DataLoader

    from bioseq.data.store_dataset import BlockBatchSampler

    train_data = make_store_dataset(seqset, length, truncate)
    sampler = BlockBatchSampler(train_set.rows, batch_size, train_data.block_records,
                                shuffle=True, seed=seed, n_streams=num_workers, rank=rank,
                                world_size=world_size)
    train_loader = DataLoader(train_data, sampler=sampler, batch_size=None,
                              num_workers=num_workers, persistent_workers=num_workers > 0)
    valid_loader = None
    if valid_set is not None:
        valid_data = make_store_dataset(seqset, length, truncate, cache_blocks=2)
        valid_sampler = BlockBatchSampler(valid_set.rows, batch_size, valid_data.block_records,
                                          shuffle=False, rank=rank, world_size=world_size)
        valid_loader = DataLoader(valid_data, sampler=valid_sampler, batch_size=None)
    return train_loader, valid_loader


def evaluate_store_system(system: Any, seqset: StoreRecords, test_set: StoreRecords, length: int,
                          batch_size: int) -> dict[str, float]:
    """Score the test records block by block on the CPU and return their metrics."""
    import torch

    from bioseq.train.system import classification_metrics

    check_layout(test_set, length, system.spec.truncate, None)
    data = make_store_dataset(seqset, length, system.spec.truncate, cache_blocks=2)
    step = batch_size
    outputs = []
    labels = []
    with torch.no_grad():
        for start in range(0, len(test_set), step):
            batch = data[test_set.rows[start : start + step]]
            outputs.append(system.predict_probabilities(batch["codes"], batch["lengths"]))
            labels.append(batch["labels"])
    probabilities = torch.cat(outputs).float().numpy()
    return classification_metrics(system.task, probabilities, torch.cat(labels).numpy())
