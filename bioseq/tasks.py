"""Prediction tasks: how logits become a loss, probabilities and labels.

A model maps its input to logits ``(N, n_outputs)`` and does not depend on
the task. A :class:`Task` supplies the rest:

============  ===========  ==========================  ===========  ======================
task          n_outputs    loss                        activation   prediction
============  ===========  ==========================  ===========  ======================
binary        1            BCE with logits             sigmoid      P >= threshold
multiclass    K            cross entropy               softmax      argmax
multilabel    K            BCE with logits (per label) sigmoid      P >= threshold
regression    K            mean squared error          identity     the values themselves
============  ===========  ==========================  ===========  ======================

For a binary task the single logit scores the positive class
``class_names[1]``, so the probability is P(``class_names[1]``) and label
index 1 means that class. Binary and regression outputs with one column are
returned as ``(N,)``; everything else is ``(N, K)``.

Examples
--------
>>> import torch
>>> task = get_task("multiclass")
>>> task.n_outputs(["a", "b", "c"])
3
>>> probabilities = task.activation(torch.tensor([[0.0, 2.0, 0.0]]))
>>> task.predict(probabilities).tolist()
[1]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from bioseq.errors import ConfigError, LabelError

TaskName = Literal["binary", "multiclass", "multilabel", "regression"]
TASK_NAMES: tuple[str, ...] = ("binary", "multiclass", "multilabel", "regression")


@dataclass(frozen=True)
class Task:
    """Loss, activation and prediction rule of one task.

    Parameters
    ----------
    name : {"binary", "multiclass", "multilabel", "regression"}
        Task name.
    class_weights : tuple of float or None, default=None
        Weight of each class (binary, multiclass) or each label's positive
        examples (multilabel). For a binary task the loss uses
        ``pos_weight = class_weights[1] / class_weights[0]``. Regression
        takes no class weights.
    threshold : float, default=0.5
        Probability at or above which binary and multilabel predictions are 1.
    """

    name: TaskName
    class_weights: tuple[float, ...] | None = None
    threshold: float = 0.5

    def n_outputs(self, class_names: Sequence[str] | None) -> int:
        """Return the number of logits a model needs for this task.

        Parameters
        ----------
        class_names : sequence of str or None
            Class names (binary, multiclass), label names (multilabel) or
            target names (regression; None means one target).

        Returns
        -------
        int

        Raises
        ------
        LabelError
            If the number of classes does not fit the task.
        """
        names = list(class_names) if class_names is not None else []
        if self.name == "binary":
            if len(names) != 2:
                raise LabelError(
                    f"a binary task needs exactly 2 class names, got {len(names)}: {names}; "
                    "use the multiclass task for more classes"
                )
            return 1
        if self.name == "multiclass":
            if len(names) < 2:
                raise LabelError(
                    f"a multiclass task needs at least 2 class names, got {len(names)}: {names}"
                )
            return len(names)
        if self.name == "multilabel":
            if len(names) < 1:
                raise LabelError("a multilabel task needs at least 1 label name, got none")
            return len(names)
        return max(len(names), 1)

    def loss(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Compute the mean loss of a batch.

        Parameters
        ----------
        logits : torch.Tensor of shape (N, n_outputs)
            Model output.
        targets : torch.Tensor
            ``(N,)`` class indices (binary, multiclass; any integer or float
            dtype), ``(N, K)`` 0/1 values (multilabel) or ``(N,)``/``(N, K)``
            values (regression).

        Returns
        -------
        torch.Tensor
            Scalar loss.
        """
        weights = self._weight_tensor(logits)
        if self.name == "binary":
            pos_weight = None
            if weights is not None:
                pos_weight = (weights[1] / weights[0]).reshape(1)
            return F.binary_cross_entropy_with_logits(
                logits.reshape(-1), targets.reshape(-1).to(logits.dtype), pos_weight=pos_weight
            )
        if self.name == "multiclass":
            return F.cross_entropy(logits, targets.reshape(-1).long(), weight=weights)
        if self.name == "multilabel":
            return F.binary_cross_entropy_with_logits(
                logits, targets.to(logits.dtype), pos_weight=weights
            )
        return F.mse_loss(logits, targets.reshape(logits.shape).to(logits.dtype))

    def activation(self, logits: torch.Tensor) -> torch.Tensor:
        """Turn logits into probabilities (classification) or values (regression).

        Parameters
        ----------
        logits : torch.Tensor of shape (N, n_outputs)

        Returns
        -------
        torch.Tensor
            ``(N,)`` P(``class_names[1]``) for binary; ``(N, K)`` softmax
            probabilities for multiclass; ``(N, K)`` independent
            probabilities for multilabel; ``(N,)`` (one target) or ``(N, K)``
            values for regression.
        """
        if self.name == "binary":
            return torch.sigmoid(logits.reshape(-1))
        if self.name == "multiclass":
            return torch.softmax(logits, dim=-1)
        if self.name == "multilabel":
            return torch.sigmoid(logits)
        if logits.ndim == 2 and logits.shape[1] == 1:
            return logits[:, 0]
        return logits

    def predict(self, probabilities: torch.Tensor) -> torch.Tensor:
        """Turn the output of :meth:`activation` into labels.

        Parameters
        ----------
        probabilities : torch.Tensor
            Output of :meth:`activation`.

        Returns
        -------
        torch.Tensor
            ``(N,)`` int64 class indices (binary, multiclass), ``(N, K)``
            int64 0/1 (multilabel) or the values unchanged (regression).
        """
        if self.name == "binary":
            return (probabilities >= self.threshold).long()
        if self.name == "multiclass":
            return probabilities.argmax(dim=-1)
        if self.name == "multilabel":
            return (probabilities >= self.threshold).long()
        return probabilities

    def _weight_tensor(self, logits: torch.Tensor) -> torch.Tensor | None:
        if self.class_weights is None:
            return None
        return torch.tensor(self.class_weights, dtype=logits.dtype, device=logits.device)


def get_task(
    name: str,
    class_weights: Sequence[float] | None = None,
    threshold: float = 0.5,
) -> Task:
    """Build the task called ``name``.

    Parameters
    ----------
    name : {"binary", "multiclass", "multilabel", "regression"}
        Task name.
    class_weights : sequence of float or None, default=None
        See :class:`Task`; every weight must be positive and finite.
    threshold : float, default=0.5
        Decision threshold for binary and multilabel predictions, in (0, 1).

    Returns
    -------
    Task

    Raises
    ------
    ConfigError
        If the name is unknown, the weights are invalid or the threshold is
        outside (0, 1).

    Examples
    --------
    >>> get_task("binary", class_weights=[1.0, 4.0]).class_weights
    (1.0, 4.0)
    """
    if name not in TASK_NAMES:
        raise ConfigError(f"unknown task {name!r}; choose one of {', '.join(TASK_NAMES)}")
    if not 0.0 < threshold < 1.0:
        raise ConfigError(f"threshold must be between 0 and 1 (exclusive), got {threshold}")
    weights = None
    if class_weights is not None:
        if name == "regression":
            raise ConfigError("class weights apply to classification tasks, not regression")
        weights = tuple(float(w) for w in class_weights)
        if not weights or not all(np.isfinite(w) and w > 0 for w in weights):
            raise ConfigError(f"class weights must be positive finite numbers, got {list(weights)}")
        if name == "binary" and len(weights) != 2:
            raise ConfigError(
                f"a binary task takes 2 class weights (negative, positive), got {len(weights)}"
            )
    return Task(name=name, class_weights=weights, threshold=threshold)  # type: ignore[arg-type]


def balanced_class_weights(labels: np.ndarray, n_classes: int) -> tuple[float, ...]:
    """Compute weights inversely proportional to class frequency.

    The weight of class ``c`` is ``N / (n_classes * count_c)``, the same rule
    as scikit-learn's ``class_weight="balanced"``. For multilabel ``(N, K)``
    0/1 labels the result is each label's ``negatives / positives``, the
    usual ``pos_weight``.

    Parameters
    ----------
    labels : numpy.ndarray
        ``(N,)`` class indices or ``(N, K)`` multilabel 0/1 values.
    n_classes : int
        Number of classes (or labels).

    Returns
    -------
    tuple of float

    Raises
    ------
    LabelError
        If a class (or a label's positive or negative side) has no examples,
        because its weight would be infinite.

    Examples
    --------
    >>> balanced_class_weights(np.array([0, 0, 0, 1]), 2)
    (0.6666666666666666, 2.0)
    """
    labels = np.asarray(labels)
    if labels.ndim == 2:
        positives = labels.sum(axis=0).astype(float)
        negatives = labels.shape[0] - positives
        empty = [k for k in range(n_classes) if positives[k] == 0 or negatives[k] == 0]
        if empty:
            raise LabelError(
                f"labels {empty} are all 0 or all 1 in the training data, so no positive "
                "weight can be computed; drop those labels or pass weights explicitly"
            )
        return tuple(float(n / p) for n, p in zip(negatives, positives, strict=True))
    counts = np.bincount(labels.astype(np.int64), minlength=n_classes).astype(float)
    missing = [c for c in range(n_classes) if counts[c] == 0]
    if missing:
        raise LabelError(
            f"classes {missing} have no examples in the training data, so no balanced "
            "weight can be computed; pass weights explicitly or fix the split"
        )
    return tuple(float(labels.shape[0] / (n_classes * c)) for c in counts)
