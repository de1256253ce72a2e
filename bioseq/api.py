"""A scikit-learn style estimator over sequence strings, plus the lower-level pieces.

:class:`SequenceClassifier` trains any registered model with the same code
path as ``bioseq train`` and follows the scikit-learn estimator contract
(``get_params``/``set_params``, ``fit``, ``predict``, ``predict_proba``,
``score``), so it works with ``cross_val_score``, ``GridSearchCV`` and
pipelines.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = ["".join(rng.choice(list("ACGT"), 30)) for _ in range(40)]
>>> y = ["a" if i % 2 else "b" for i in range(40)]
>>> clf = SequenceClassifier(model="deepbind", epochs=1, batch_size=16)
>>> clf.fit(X, y).predict(X[:3]).shape
(3,)
>>> clf.classes_.tolist()
['a', 'b']
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from bioseq.data.dataset import CodesDataset, ShardedBatchSampler, make_loader
from bioseq.data.split import assign_splits, drop_duplicates, find_duplicates
from bioseq.errors import ConfigError, LabelError
from bioseq.sequences import SequenceSet
from bioseq.train.config import TrainConfig, resolve_config
from bioseq.train.run import RunResult, train_run

logger = logging.getLogger(__name__)

__all__ = [
    "SequenceClassifier", "train_run", "RunResult", "resolve_config", "TrainConfig",
    "CodesDataset", "ShardedBatchSampler", "make_loader", "assign_splits", "find_duplicates",
    "drop_duplicates",
]


class SequenceClassifier(ClassifierMixin, BaseEstimator):
    """Train a bioseq model on sequence strings, scikit-learn style.

    Parameters
    ----------
    model : str, default="cnn"
        Registered model name (``bioseq models`` lists them).
    model_params : dict or None, default=None
        Constructor arguments for the model.
    alphabet : {"dna", "rna", "protein"}, default="dna"
        Alphabet of the sequence strings.
    epochs : int, default=10
    batch_size : int, default=64
    lr : float or None, default=None
        Peak learning rate; None takes the model family's default (0.01 for
        the CNN presets, 0.001 for the transformers).
    schedule : {"onecycle", "cosine", "exponential", "none"}, default="onecycle"
    max_len : int or None, default=None
        Input length; None uses the longest training sequence. Longer
        sequences at prediction time are cut on the right.
    val_fraction : float, default=0.1
        Share of ``fit``'s records held out for validation (best epoch and
        early stopping); 0 trains on everything.
    early_stopping : int, default=0
        Patience in epochs; 0 turns early stopping off.
    rc_augment, rc_average : bool, default=False
        Reverse-complement augmentation and strand averaging (DNA, RNA).
    shift : int, default=0
        Largest random shift in training, in residues.
    seed : int, default=0
    accelerator : {"auto", "cpu", "gpu"}, default="auto"
    work_dir : str or None, default=None
        Run directory to keep; None trains in a temporary folder.

    Attributes
    ----------
    classes_ : numpy.ndarray
        Class labels in the order of ``predict_proba``'s columns.
    model_ : torch.nn.Module
        The trained model, on the CPU, in eval mode.
    metadata_ : dict
        Model-file metadata (task, class names, input spec, training).
    """

    def __init__(
        self,
        model: str = "cnn",
        model_params: dict[str, Any] | None = None,
        alphabet: str = "dna",
        epochs: int = 10,
        batch_size: int = 64,
        lr: float | None = None,
        schedule: str = "onecycle",
        max_len: int | None = None,
        val_fraction: float = 0.1,
        early_stopping: int = 0,
        rc_augment: bool = False,
        rc_average: bool = False,
        shift: int = 0,
        seed: int = 0,
        accelerator: str = "auto",
        work_dir: str | None = None,
    ) -> None:
        self.model = model
        self.model_params = model_params
        self.alphabet = alphabet
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.schedule = schedule
        self.max_len = max_len
        self.val_fraction = val_fraction
        self.early_stopping = early_stopping
        self.rc_augment = rc_augment
        self.rc_average = rc_average
        self.shift = shift
        self.seed = seed
        self.accelerator = accelerator
        self.work_dir = work_dir

    def _config(self) -> TrainConfig:
        return resolve_config(overrides={
            "data": {"val_fraction": self.val_fraction, "test_fraction": 0.0},
            "input": {"max_len": self.max_len, "truncate": "right" if self.max_len else "error"},
            "model": {"name": self.model, "params": dict(self.model_params or {})},
            "optimizer": {"lr": self.lr},
            "schedule": {"name": self.schedule},
            "trainer": {"epochs": self.epochs, "batch_size": self.batch_size, "seed": self.seed,
                        "early_stopping": self.early_stopping, "rc_augment": self.rc_augment,
                        "rc_average": self.rc_average, "shift": self.shift,
                        "accelerator": self.accelerator, "devices": "1"},
        })

    def _as_set(self, X: Any, labels: np.ndarray | None = None, **fields: Any) -> SequenceSet:
        if isinstance(X, SequenceSet):
            return X
        sequences = [str(s) for s in (X.tolist() if isinstance(X, np.ndarray) else X)]
        if labels is not None:
            fields["labels"] = labels
        return SequenceSet.from_strings(sequences, alphabet=self.alphabet, **fields)

    def fit(self, X: Any, y: Any = None) -> SequenceClassifier:
        """Train on sequences ``X`` with labels ``y``.

        Parameters
        ----------
        X : list of str, numpy.ndarray of str, or SequenceSet
            Sequences. A labelled ``SequenceSet`` may be passed without ``y``.
        y : array-like of shape (N,) or None
            Class labels of any hashable type.

        Returns
        -------
        SequenceClassifier
            ``self``, fitted.

        Raises
        ------
        LabelError
            If labels are missing, of the wrong length or of a single class.
        """
        if y is None:
            if not isinstance(X, SequenceSet) or X.labels is None:
                raise LabelError("fit needs labels: pass y, or a labelled SequenceSet as X")
            seqset = X
            self.classes_ = np.asarray(seqset.class_names, dtype=object)
        else:
            y = np.asarray(y)
            if len(y) != len(X):
                raise LabelError(f"X has {len(X)} sequences but y has {len(y)} labels")
            self.classes_, indices = np.unique(y, return_inverse=True)
            if len(self.classes_) < 2:
                raise LabelError(f"y contains a single class {self.classes_.tolist()}; need at least 2")
            task = "binary" if len(self.classes_) == 2 else "multiclass"
            seqset = self._as_set(X, indices.astype(np.int64),
                                  class_names=[str(c) for c in self.classes_], task=task)
        temp = None
        if self.work_dir is None:
            temp = tempfile.TemporaryDirectory(prefix="bioseq-fit-")
            out = Path(temp.name)
        else:
            out = Path(self.work_dir)
        try:
            result = train_run(self._config(), out, seqset)
            self._load(result.model_path)
        finally:
            if temp is not None:
                temp.cleanup()
        return self

    def _load(self, path: Path) -> None:
        from bioseq.encode.batch import InputSpec
        from bioseq.models.modelfile import load_model
        from bioseq.tasks import get_task

        self.model_, self.metadata_ = load_model(path)
        self.spec_ = InputSpec.from_dict(self.metadata_["input"])
        self.task_ = get_task(self.metadata_["task"])

    def predict_proba(self, X: Any) -> np.ndarray:
        """Return class probabilities ``(N, n_classes)`` in the order of ``classes_``."""
        import torch

        from bioseq.data.augment import complement_table, reverse_complement_codes
        from bioseq.encode.batch import encode_batch

        check_is_fitted(self, "model_")
        seqset = self._as_set(X)
        length = int(self.spec_.length)
        data = CodesDataset.from_sequence_set(seqset, length, pad="right",
                                              truncate=self.spec_.truncate or "right")
        rc = bool(self.metadata_.get("training", {}).get("rc_average"))
        table = complement_table(seqset.alphabet) if rc else None
        outputs = []
        with torch.no_grad():
            for start in range(0, len(data), 1024):
                batch = data[np.arange(start, min(start + 1024, len(data)))]
                views = [batch["codes"]]
                if table is not None:
                    views.append(reverse_complement_codes(batch["codes"], table))
                total = 0
                for codes in views:
                    encoded = encode_batch(self.spec_, codes, batch["lengths"])
                    logits = self.model_(encoded["x"], mask=encoded.get("mask"))
                    total = total + self.task_.activation(logits.float())
                outputs.append(total / len(views))
        probabilities = torch.cat(outputs).numpy() if outputs else np.zeros((0,))
        if self.task_.name == "binary":
            probabilities = np.column_stack([1.0 - probabilities, probabilities])
        return probabilities

    def predict(self, X: Any) -> np.ndarray:
        """Return the most probable class label of each sequence."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the fitted model as a bioseq model file (``bioseq predict`` reads it too)."""
        from bioseq.models.modelfile import save_model

        check_is_fitted(self, "model_")
        metadata = {key: value for key, value in self.metadata_.items()
                    if key not in ("format", "format_version", "bioseq_version", "model")}
        metadata["estimator"] = {"classes": [str(c) for c in self.classes_],
                                 "params": _json_params(self.get_params())}
        return save_model(path, self.model_, metadata)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> SequenceClassifier:
        """Rebuild a fitted classifier from a file written by :meth:`save` or ``bioseq train``."""
        from bioseq.models.modelfile import read_model_metadata

        metadata = read_model_metadata(path)
        params = dict(metadata.get("estimator", {}).get("params", {}))
        estimator = cls(**params) if params else cls(alphabet=metadata.get("alphabet", "dna"))
        estimator._load(Path(path))
        classes = metadata.get("estimator", {}).get("classes") or metadata.get("class_names")
        if not classes:
            raise ConfigError(f"{path} has no class names, so it is not a classifier model file")
        estimator.classes_ = np.asarray(classes, dtype=object)
        return estimator


def _json_params(params: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in params.items()
            if isinstance(value, str | int | float | bool | dict | type(None))}
