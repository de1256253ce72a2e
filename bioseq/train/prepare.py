"""Steps between loading and training: splits, duplicates, input spec and model.

Each function takes the values it needs and returns plain results, so the
command line, the Python API and the tests share one path into training.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import numpy as np

from bioseq.data.split import SPLIT_NAMES, assign_splits, drop_duplicates, find_duplicates
from bioseq.data.store_records import StoreRecords
from bioseq.errors import ConfigError, LabelError
from bioseq.sequences import SequenceSet
from bioseq.train.config import DataConfig, InputConfig, ModelConfig

logger = logging.getLogger(__name__)

# k-mer size and stride used when the config leaves them unset.
_DEFAULT_K = {"tokens": {"protein": 1, "nucleic": 3}, "kmer_frequencies": {"protein": 2, "nucleic": 4}}


def prepare_splits(
    seqset: SequenceSet | StoreRecords, data: DataConfig, seed: int
) -> tuple[SequenceSet | StoreRecords, dict[str, Any]]:
    """Assign splits when the data carry none, report and optionally drop duplicates.

    With ``data.dedup == "drop"`` and no split in the data, duplicates are
    removed before the random split, so identical sequences cannot land in
    two splits. Data with a training split but no validation split get one
    carved from the training records by ``data.val_fraction``. Records of
    a store (:class:`~bioseq.data.store_records.StoreRecords`) are compared
    by their content keys.

    Returns
    -------
    tuple of (SequenceSet, dict)
        The records with ``splits`` filled in and the duplicate summary for
        the manifest.

    Raises
    ------
    LabelError
        For unknown split names, a missing training split, or a stratified
        split that a class is too small for.
    """
    split_seed = seed if data.split_seed is None else data.split_seed
    dropped = {"copies": 0, "conflicting": 0}
    if seqset.splits is None:
        if data.dedup == "drop":
            seqset, dropped = drop_duplicates(seqset, _content_keys(seqset))
        splits = assign_splits(seqset.labels, val_fraction=data.val_fraction,
                               test_fraction=data.test_fraction, seed=split_seed,
                               stratify=data.stratify, class_names=seqset.class_names)
        seqset = replace(seqset, splits=splits)
    else:
        unknown = sorted(set(seqset.splits.tolist()) - set(SPLIT_NAMES))
        if unknown:
            raise LabelError(
                f"unknown split name(s) {unknown} in the split column; allowed: {list(SPLIT_NAMES)}"
            )
        if not np.any(seqset.splits == "train"):
            raise LabelError("the split column names no 'train' records; nothing to train on")
        if not np.any(seqset.splits == "valid") and data.val_fraction > 0:
            seqset = _carve_validation(seqset, data, split_seed)
        if data.dedup == "drop":
            seqset, dropped = drop_duplicates(seqset, _content_keys(seqset))

    report = find_duplicates(seqset, _content_keys(seqset))
    summary = report.to_dict()
    summary["dropped"] = dropped
    if dropped["copies"] or dropped["conflicting"]:
        logger.info("--dedup drop removed %d duplicate copies and %d records with conflicting "
                    "labels", dropped["copies"], dropped["conflicting"])
    if report.cross_split:
        logger.warning(
            "%d sequences occur in more than one split (%s); for example ids %s. "
            "Pass --dedup to remove the later copies",
            len(report.cross_split),
            ", ".join(f"{n} {name}" for name, n in report.cross_split_pairs.items()),
            report.cross_split[:3],
        )
    if report.conflicting:
        logger.warning("%d sequences occur with conflicting labels, for example ids %s",
                       len(report.conflicting), report.conflicting[:3])
    for name in SPLIT_NAMES:
        count = int(np.sum(seqset.splits == name))
        if count:
            logger.info("split %s: %d records", name, count)
    return seqset, summary


def _content_keys(records: SequenceSet | StoreRecords) -> np.ndarray | None:
    # Store records carry hashes of their codes in place of the codes themselves.
    return records.content_keys if isinstance(records, StoreRecords) else None


def _carve_validation(seqset: SequenceSet, data: DataConfig, seed: int) -> SequenceSet:
    train = np.flatnonzero(seqset.splits == "train")
    inner = assign_splits(seqset.labels[train], val_fraction=data.val_fraction, test_fraction=0.0,
                          seed=seed, stratify=data.stratify, class_names=seqset.class_names)
    splits = seqset.splits.copy()
    splits[train[inner == "valid"]] = "valid"
    logger.info("no validation split in the data: moved %d training records to validation "
                "(val_fraction %.2f)", int(np.sum(inner == "valid")), data.val_fraction)
    return replace(seqset, splits=splits)


def build_input_spec(settings: InputConfig, train_set: SequenceSet, model_name: str) -> Any:
    """Build the ``InputSpec`` for the model's input kind and the training lengths.

    ``max_len`` of None fixes the length at the longest training sequence.
    """
    from bioseq.encode.batch import InputSpec
    from bioseq.models.registry import model_spec

    kind = model_spec(model_name).input_kind
    length = settings.max_len or int(train_set.lengths.max())
    family = "nucleic" if train_set.alphabet.is_nucleic else "protein"
    k = settings.k
    stride = settings.stride
    if kind in _DEFAULT_K:
        k = k or _DEFAULT_K[kind][family]
        stride = stride or (k if kind == "tokens" else 1)
    truncate = None if settings.truncate == "error" else settings.truncate
    pad = "right" if kind == "tokens" else settings.pad
    return InputSpec(
        kind=kind, alphabet=train_set.alphabet.name, length=length, pad=pad, truncate=truncate,
        ambiguity=settings.ambiguity, k=k if kind != "onehot" else None, stride=stride or 1,
        canonical=bool(settings.canonical) if kind == "kmer_frequencies" else False,
    )


def build_model_for(settings: ModelConfig, spec: Any, n_outputs: int, length: int) -> Any:
    """Build the configured model with the sizes that the data and the input spec fix."""
    from bioseq.models.registry import get_model, model_spec

    registered = model_spec(settings.name)
    allowed = set(registered.arguments)
    fixed: dict[str, Any] = {"n_outputs": n_outputs}
    if "in_channels" in allowed:
        fixed["in_channels"] = spec.n_channels
    if spec.kind == "tokens" and "vocab_size" in allowed:
        fixed["vocab_size"] = spec.vocab_size
    if spec.kind == "kmer_frequencies" and "k" in allowed:
        fixed["k"] = spec.k
    params = dict(settings.params)
    clashes = sorted(key for key in params if key in fixed and params[key] != fixed[key]
                     and key != "max_len")
    if clashes:
        raise ConfigError(
            f"model.params sets {clashes}, which the data and input spec fix "
            f"({', '.join(f'{key}={fixed[key]}' for key in clashes)}); remove them from model.params"
        )
    if "max_len" in allowed and "max_len" not in params:
        params["max_len"] = spec.n_tokens(length) if spec.kind == "tokens" else length
    return get_model(settings.name, **{**params, **fixed})
