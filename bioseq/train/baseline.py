"""The ``kmer-logreg`` baseline: logistic regression on k-mer frequencies.

:func:`fit_baseline` counts k-mer frequencies with the same batch encoder
that prediction uses, standardises them and fits scikit-learn's
``LogisticRegression``. The fitted scaler and coefficients are copied into
the registry model ``kmer-logreg`` (:class:`bioseq.models.linear.KmerLinear`),
so the result is saved with :func:`bioseq.models.modelfile.save_model` and
read back by ``bioseq evaluate`` and ``bioseq predict`` like any other model.

Examples
--------
>>> from bioseq.sequences import SequenceSet
>>> train = SequenceSet.from_strings(["AAAAAC", "AAAAAG", "CCCCCA", "CCCCGC"],
...                                  labels=np.array([0, 0, 1, 1]),
...                                  class_names=["a_rich", "c_rich"], task="binary")
>>> model, metadata = fit_baseline(train, k=2)
>>> metadata["input"]["kind"], metadata["class_names"]
('kmer_frequencies', ['a_rich', 'c_rich'])
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from torch import nn

from bioseq.encode.batch import InputSpec, encode_batch
from bioseq.encode.codes import to_fixed_length
from bioseq.errors import ConfigError, LabelError
from bioseq.sequences import SequenceSet

logger = logging.getLogger(__name__)

#: Records encoded at once while counting k-mers.
FEATURE_BATCH = 4096


def iter_code_batches(seqs: SequenceSet, batch_size: int) -> Iterator[tuple[torch.Tensor,
                                                                             torch.Tensor]]:
    """Yield ``(codes (B, W) uint8, lengths (B,))`` tensors, right-padded per batch."""
    for start in range(0, len(seqs), batch_size):
        part = seqs.subset(np.arange(start, min(start + batch_size, len(seqs))))
        codes, _ = to_fixed_length(part, None)
        yield torch.from_numpy(codes), torch.from_numpy(part.lengths)


def kmer_features(seqs: SequenceSet, spec: InputSpec) -> np.ndarray:
    """Encode every record as k-mer frequencies, ``(N, A ** k)`` float32."""
    rows = [encode_batch(spec, codes, lengths)["x"].numpy()
            for codes, lengths in iter_code_batches(seqs, FEATURE_BATCH)]
    if not rows:
        return np.zeros((0, spec.n_features), dtype=np.float32)
    return np.concatenate(rows)


def _check_training_set(train: SequenceSet) -> list[str]:
    if train.task not in ("binary", "multiclass"):
        raise ConfigError(
            f"the kmer-logreg baseline fits binary or multiclass labels, but the training set "
            f"has task {train.task!r}; choose a neural model for multilabel or regression"
        )
    if train.labels is None or not train.class_names:
        raise LabelError("the training set has no labels; the baseline needs labelled records")
    class_names = [str(c) for c in train.class_names]
    counts = np.bincount(train.labels, minlength=len(class_names))
    missing = [name for name, count in zip(class_names, counts, strict=True) if count == 0]
    if missing:
        raise LabelError(
            f"class(es) {missing} have no training records, so logistic regression cannot "
            "learn them; add records of those classes or drop them from the declared classes"
        )
    return class_names


def fit_baseline(
    train: SequenceSet,
    valid: SequenceSet | None = None,
    *,
    k: int = 4,
    C: float = 1.0,
    seed: int = 0,
    canonical: bool = False,
    max_iter: int = 2000,
) -> tuple[nn.Module, dict[str, Any]]:
    """Fit logistic regression on k-mer frequencies and return it as a ``kmer-logreg`` model.

    Parameters
    ----------
    train : SequenceSet
        Labelled training records (binary or multiclass).
    valid : SequenceSet or None, default=None
        Validation records; their accuracy and log loss go into the
        metadata's ``training`` entry.
    k : int, default=4
        k-mer size.
    C : float, default=1.0
        Inverse L2 regularisation strength of ``LogisticRegression``.
    seed : int, default=0
        ``random_state`` of the solver.
    canonical : bool, default=False
        Count a k-mer and its reverse complement together (DNA, RNA).
    max_iter : int, default=2000
        Solver iteration limit; a warning is logged when it is reached.

    Returns
    -------
    model : torch.nn.Module
        A :class:`~bioseq.models.linear.KmerLinear` holding the scaler and
        coefficients, in eval mode.
    metadata : dict
        Keys ``task``, ``class_names``, ``positive_class``, ``alphabet``,
        ``input`` (``InputSpec.to_dict()``) and ``training``: what
        :func:`~bioseq.models.modelfile.save_model` stores beside the weights.

    Raises
    ------
    ConfigError
        For a multilabel or regression training set, or an invalid ``k``.
    LabelError
        If the training set is unlabelled or a class has no records.
    """
    from bioseq.models.registry import get_model

    class_names = _check_training_set(train)
    if C <= 0:
        raise ConfigError(f"invalid C {C}; expected a positive number")
    spec = InputSpec(kind="kmer_frequencies", alphabet=train.alphabet.name, k=k,
                     canonical=canonical)
    started = time.perf_counter()
    features = kmer_features(train, spec)
    scaler = StandardScaler()
    scaled = scaler.fit_transform(features)
    classifier = LogisticRegression(C=C, max_iter=max_iter, random_state=seed)
    classifier.fit(scaled, train.labels)
    if classifier.n_iter_.max() >= max_iter:
        logger.warning("logistic regression stopped at max_iter=%d before converging; "
                       "raise max_iter or lower C", max_iter)
    n_outputs = 1 if train.task == "binary" else len(class_names)
    model = get_model("kmer-logreg", n_outputs=n_outputs, k=k, in_channels=spec.n_channels,
                      n_features=features.shape[1], standardize=True)
    # sklearn scales zero-variance features by 1, so the copied scale never divides by 0.
    with torch.no_grad():
        model.mean.copy_(torch.from_numpy(scaler.mean_.astype(np.float32)))
        model.scale.copy_(torch.from_numpy(scaler.scale_.astype(np.float32)))
        model.linear.weight.copy_(torch.from_numpy(classifier.coef_.astype(np.float32)))
        model.linear.bias.copy_(torch.from_numpy(classifier.intercept_.astype(np.float32)))
    model.eval()

    training: dict[str, Any] = {
        "trainer": "scikit-learn LogisticRegression",
        "k": k, "C": C, "seed": seed, "canonical": canonical, "max_iter": max_iter,
        "n_iter": int(classifier.n_iter_.max()),
        "n_train": len(train),
        "train_accuracy": float(classifier.score(scaled, train.labels)),
        "seconds": round(time.perf_counter() - started, 3),
        "device": "cpu",
    }
    if valid is not None and len(valid):
        probabilities = classifier.predict_proba(scaler.transform(kmer_features(valid, spec)))
        training["n_valid"] = len(valid)
        training["valid_accuracy"] = float(np.mean(probabilities.argmax(axis=1) == valid.labels))
    logger.info("fitted kmer-logreg (k=%d, %d features) on %d records in %.1f s", k,
                features.shape[1], len(train), training["seconds"])
    metadata = {
        "task": train.task,
        "class_names": class_names,
        "positive_class": class_names[1] if train.task == "binary" else None,
        "alphabet": train.alphabet.name,
        "input": spec.to_dict(),
        "training": training,
    }
    return model, metadata
