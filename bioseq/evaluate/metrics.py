"""Classification and regression metrics that report undefined values with a reason.

Every metric is returned as a dict ``{"value", "reason", "n"}`` plus ``"ci95"``
for the headline metrics. A metric that the data cannot define (AUROC when the
test split contains one class, MCC when every prediction is the same class, R2 on
constant targets) has ``value`` None and a ``reason`` in words; it is never
shown as 0, 0.5 or 1. Averages over classes or labels leave undefined values
out and record how many entered (``n``) and which were left out.

scikit-learn computes the values, always with the explicit full label set, so
a class missing from the test split does not shift the columns. The positive
class of a binary task is the one the caller names (from the model's
``class_names``), never the result of sorting label strings.

Examples
--------
>>> import numpy as np
>>> result = compute_metrics(np.array([1, 1, 1]),
...                          np.array([[0.8, 0.2], [0.1, 0.9], [0.5, 0.5]]),
...                          task="binary", class_names=["0", "1"], positive_class="1",
...                          n_bootstrap=0)
>>> result["overall"]["auroc"]["value"] is None
True
>>> result["overall"]["auroc"]["reason"]
'test split contains only class 1'
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
from scipy import stats
from sklearn import metrics as skm

from bioseq.errors import LabelError

logger = logging.getLogger(__name__)

MetricTask = Literal["binary", "multiclass", "multilabel", "regression"]

#: Headline metrics that get a bootstrap 95% interval, by task.
HEADLINE_METRICS: dict[str, tuple[str, ...]] = {
    "binary": ("accuracy", "balanced_accuracy", "f1_macro", "mcc", "auroc", "auprc"),
    "multiclass": ("accuracy", "balanced_accuracy", "f1_macro", "mcc", "auroc", "auprc"),
    "multilabel": ("auroc_macro", "auprc_macro", "f1_macro", "f1_micro"),
    "regression": ("mse", "mae", "r2", "pearson", "spearman"),
}

#: Number of equal-width confidence bins for the expected calibration error.
ECE_BINS = 15
#: Smallest probability used in the log loss, so a confident mistake is finite.
_LOG_LOSS_EPS = 1e-7


def defined(value: float, n: int) -> dict[str, Any]:
    """Wrap a metric value computed from ``n`` samples (or classes, for averages)."""
    return {"value": float(value), "reason": None, "n": int(n)}


def undefined(reason: str, n: int) -> dict[str, Any]:
    """Wrap a metric that the data cannot define, with the reason in words."""
    return {"value": None, "reason": reason, "n": int(n)}


def is_defined(metric: dict[str, Any]) -> bool:
    """Return True when ``metric`` carries a number."""
    return metric.get("value") is not None


def _average(parts: dict[str, dict[str, Any]], what: str) -> dict[str, Any]:
    """Average the defined values of ``parts``; name the parts left out."""
    values = {name: m["value"] for name, m in parts.items() if is_defined(m)}
    left_out = {name: m["reason"] for name, m in parts.items() if not is_defined(m)}
    if not values:
        result = undefined(f"{what} is undefined for every class", 0)
    else:
        result = defined(float(np.mean(list(values.values()))), len(values))
    result["over"] = list(values)
    result["left_out"] = left_out
    return result


# ---------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------


def _check_classification_inputs(
    y_true: np.ndarray, probabilities: np.ndarray, class_names: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    y_true = np.asarray(y_true)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    n_classes = len(class_names)
    if probabilities.ndim != 2 or probabilities.shape != (len(y_true), n_classes):
        raise LabelError(
            f"probabilities must have shape (n_samples, n_classes) = ({len(y_true)}, {n_classes}) "
            f"for classes {class_names}, got {probabilities.shape}; pass one column per class "
            "in the order of the model's class_names"
        )
    if not np.issubdtype(y_true.dtype, np.integer):
        raise LabelError(
            f"true labels must be integer class indices into {class_names}, got dtype {y_true.dtype}"
        )
    bad = (y_true < 0) | (y_true >= n_classes)
    if bad.any():
        index = int(np.flatnonzero(bad)[0])
        raise LabelError(
            f"true label {int(y_true[index])} at row {index} is outside 0..{n_classes - 1} "
            f"for classes {class_names}; relabel the data with the model's classes"
        )
    return y_true.astype(np.int64), probabilities


def resolve_positive_index(class_names: list[str], positive_class: str | None) -> int:
    """Return the index of the positive class of a binary task.

    Parameters
    ----------
    class_names : list of str
        The two class names in the model's order.
    positive_class : str or None
        Name of the positive class; None means the second class, which is the
        class that a one-output binary model scores.

    Raises
    ------
    LabelError
        If ``positive_class`` is not one of ``class_names``.
    """
    if positive_class is None:
        return 1
    if positive_class not in class_names:
        raise LabelError(
            f"positive class {positive_class!r} is not one of the model's classes {class_names}"
        )
    return class_names.index(positive_class)


# ---------------------------------------------------------------------------
# Per-class ranking metrics
# ---------------------------------------------------------------------------


def _single_class_reason(is_positive: np.ndarray, positive_name: str, other_name: str) -> str | None:
    if len(is_positive) == 0:
        return "test split is empty"
    if is_positive.all():
        return f"test split contains only class {positive_name}"
    if not is_positive.any():
        return f"test split contains only {other_name}"
    return None


def ranking_metrics(
    is_positive: np.ndarray, scores: np.ndarray, positive_name: str, other_name: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Compute AUROC and AUPRC (average precision) of one class against the rest.

    Both are undefined when the labels hold one class only: the AUROC has no
    negatives to rank against, and the average precision of an all-positive
    split is 1 whatever the scores are.

    Parameters
    ----------
    is_positive : numpy.ndarray of shape (N,), dtype bool
        True for samples of the class.
    scores : numpy.ndarray of shape (N,)
        Score of the class; higher means more likely.
    positive_name, other_name : str
        Words for the class and for the rest, used in the reason.

    Returns
    -------
    auroc, auprc : dict
        Metric dicts as returned by :func:`defined` or :func:`undefined`.
    """
    n = len(is_positive)
    reason = _single_class_reason(is_positive, positive_name, other_name)
    if reason is not None:
        return undefined(reason, n), undefined(reason, n)
    auroc = skm.roc_auc_score(is_positive, scores)
    auprc = skm.average_precision_score(is_positive, scores)
    return defined(auroc, n), defined(auprc, n)


# ---------------------------------------------------------------------------
# Binary and multiclass
# ---------------------------------------------------------------------------


def _confusion_counts(confusion: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tp = np.diag(confusion).astype(np.float64)
    fp = confusion.sum(axis=0) - tp
    fn = confusion.sum(axis=1) - tp
    return tp, fp, fn


def _per_class_counting(confusion: np.ndarray, class_names: list[str]) -> dict[str, dict[str, Any]]:
    """Compute precision, recall and F1 of each class from the confusion matrix."""
    tp, fp, fn = _confusion_counts(confusion)
    support = confusion.sum(axis=1)
    result: dict[str, dict[str, Any]] = {}
    for i, name in enumerate(class_names):
        n_predicted = int(tp[i] + fp[i])
        n_true = int(support[i])
        if n_predicted == 0:
            precision = undefined(f"no sample is predicted as class {name}", 0)
        else:
            precision = defined(tp[i] / n_predicted, n_predicted)
        if n_true == 0:
            recall = undefined(f"test split contains no sample of class {name}", 0)
        else:
            recall = defined(tp[i] / n_true, n_true)
        denominator = 2 * tp[i] + fp[i] + fn[i]
        if denominator == 0:
            f1 = undefined(f"class {name} is neither present nor predicted", 0)
        else:
            f1 = defined(2 * tp[i] / denominator, int(tp[i] + fp[i] + fn[i]))
        result[name] = {"precision": precision, "recall": recall, "f1": f1, "support": n_true}
    return result


def _mcc(y_true: np.ndarray, y_pred: np.ndarray, class_names: list[str]) -> dict[str, Any]:
    n = len(y_true)
    if n == 0:
        return undefined("test split is empty", 0)
    present = np.unique(y_true)
    if len(present) == 1:
        return undefined(f"test split contains only class {class_names[present[0]]}", n)
    predicted = np.unique(y_pred)
    if len(predicted) == 1:
        return undefined(f"every sample is predicted as class {class_names[predicted[0]]}", n)
    labels = list(range(len(class_names)))
    return defined(_mcc_from_confusion(skm.confusion_matrix(y_true, y_pred, labels=labels)), n)


def _mcc_from_confusion(confusion: np.ndarray) -> float:
    # The K-class Matthews correlation (Gorodkin 2004); for K = 2 it equals the
    # binary MCC. sklearn's matthews_corrcoef takes no label set, so it is
    # computed here from the confusion matrix built with the full label set.
    confusion = confusion.astype(np.float64)
    t = confusion.sum(axis=1)
    p = confusion.sum(axis=0)
    c = np.trace(confusion)
    s = confusion.sum()
    denominator = math.sqrt((s**2 - p @ p) * (s**2 - t @ t))
    return float((c * s - t @ p) / denominator)


def expected_calibration_error(
    confidence: np.ndarray, correct: np.ndarray, n_bins: int = ECE_BINS
) -> float:
    """Compute the expected calibration error of top-label confidences.

    Samples fall into ``n_bins`` equal-width bins of confidence; the error is
    the sample-weighted mean of ``|accuracy - mean confidence|`` over bins.

    Examples
    --------
    >>> expected_calibration_error(np.array([0.9, 0.9]), np.array([True, False]))
    0.4
    """
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # Bin i holds confidences in (edges[i], edges[i + 1]]; a confidence of 0 goes to bin 0.
    bins = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, n_bins - 1)
    total = 0.0
    for b in range(n_bins):
        in_bin = bins == b
        if in_bin.any():
            total += in_bin.sum() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return round(float(total / len(confidence)), 12)


def calibration_curve(
    confidence: np.ndarray, correct: np.ndarray, n_bins: int = ECE_BINS
) -> dict[str, list[float]]:
    """Return mean confidence, accuracy and count of each non-empty confidence bin."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, n_bins - 1)
    curve: dict[str, list[float]] = {"confidence": [], "accuracy": [], "count": []}
    for b in range(n_bins):
        in_bin = bins == b
        if in_bin.any():
            curve["confidence"].append(float(confidence[in_bin].mean()))
            curve["accuracy"].append(float(correct[in_bin].mean()))
            curve["count"].append(int(in_bin.sum()))
    return curve


def _classification_point(
    y_true: np.ndarray,
    probabilities: np.ndarray,
    class_names: list[str],
    positive_index: int | None,
) -> dict[str, Any]:
    """Compute every binary/multiclass metric once (no intervals)."""
    n = len(y_true)
    n_classes = len(class_names)
    labels = list(range(n_classes))
    y_pred = probabilities.argmax(axis=1)
    confusion = skm.confusion_matrix(y_true, y_pred, labels=labels)
    per_class = _per_class_counting(confusion, class_names)

    for i, name in enumerate(class_names):
        auroc, auprc = ranking_metrics(y_true == i, probabilities[:, i], name, "other classes")
        per_class[name]["auroc"] = auroc
        per_class[name]["auprc"] = auprc

    overall: dict[str, Any] = {}
    overall["accuracy"] = (defined(np.mean(y_true == y_pred), n) if n
                           else undefined("test split is empty", 0))
    recall_parts = {name: per_class[name]["recall"] for name in class_names}
    overall["balanced_accuracy"] = _average(recall_parts, "recall")
    for key in ("precision", "recall", "f1"):
        overall[f"{key}_macro"] = _average({c: per_class[c][key] for c in class_names}, key)
    overall["mcc"] = _mcc(y_true, y_pred, class_names)

    if positive_index is not None:
        # Binary: the headline ranking metrics are those of the positive class.
        positive = class_names[positive_index]
        negative = class_names[1 - positive_index]
        auroc, auprc = ranking_metrics(y_true == positive_index, probabilities[:, positive_index],
                                       positive, f"class {negative}")
        overall["auroc"] = auroc
        overall["auprc"] = auprc
    else:
        overall["auroc"] = _average({c: per_class[c]["auroc"] for c in class_names}, "AUROC")
        overall["auprc"] = _average({c: per_class[c]["auprc"] for c in class_names}, "AUPRC")

    if n:
        clipped = np.clip(probabilities, _LOG_LOSS_EPS, 1.0)
        clipped = clipped / clipped.sum(axis=1, keepdims=True)
        overall["log_loss"] = defined(skm.log_loss(y_true, clipped, labels=labels), n)
        onehot = np.eye(n_classes)[y_true]
        if positive_index is not None:
            brier = np.mean((probabilities[:, positive_index] - onehot[:, positive_index]) ** 2)
        else:
            brier = np.mean(np.sum((probabilities - onehot) ** 2, axis=1))
        overall["brier"] = defined(brier, n)
        confidence = probabilities.max(axis=1)
        overall["ece"] = defined(expected_calibration_error(confidence, y_pred == y_true), n)
    else:
        for key in ("log_loss", "brier", "ece"):
            overall[key] = undefined("test split is empty", 0)

    return {
        "overall": overall,
        "per_class": per_class,
        "confusion_matrix": {"labels": list(class_names), "matrix": confusion.tolist()},
        "predicted_counts": {c: int((y_pred == i).sum()) for i, c in enumerate(class_names)},
    }


# ---------------------------------------------------------------------------
# Multilabel
# ---------------------------------------------------------------------------


def _multilabel_point(
    y_true: np.ndarray, probabilities: np.ndarray, label_names: list[str], threshold: float
) -> dict[str, Any]:
    n = len(y_true)
    y_true = y_true.astype(bool)
    y_pred = probabilities >= threshold
    per_label: dict[str, dict[str, Any]] = {}
    tp_sum = fp_sum = fn_sum = 0
    for j, name in enumerate(label_names):
        auroc, auprc = ranking_metrics(y_true[:, j], probabilities[:, j], name,
                                       f"samples without label {name}")
        # Single-label reasons read better with the label wording.
        for metric in (auroc, auprc):
            if metric["reason"] and "only class" in metric["reason"]:
                metric["reason"] = f"every sample in the test split has label {name}"
        tp = int((y_true[:, j] & y_pred[:, j]).sum())
        fp = int((~y_true[:, j] & y_pred[:, j]).sum())
        fn = int((y_true[:, j] & ~y_pred[:, j]).sum())
        tp_sum, fp_sum, fn_sum = tp_sum + tp, fp_sum + fp, fn_sum + fn
        if 2 * tp + fp + fn == 0:
            f1 = undefined(f"label {name} is neither present nor predicted", 0)
        else:
            f1 = defined(2 * tp / (2 * tp + fp + fn), tp + fp + fn)
        per_label[name] = {"auroc": auroc, "auprc": auprc, "f1": f1,
                           "support": int(y_true[:, j].sum())}

    overall: dict[str, Any] = {}
    for key, word in (("auroc", "AUROC"), ("auprc", "AUPRC"), ("f1", "F1")):
        overall[f"{key}_macro"] = _average({c: per_label[c][key] for c in label_names}, word)
    flat_true = y_true.ravel()
    micro_auroc, micro_auprc = ranking_metrics(flat_true, probabilities.ravel(),
                                               "'present'", "absent labels")
    for metric in (micro_auroc, micro_auprc):
        if metric["reason"] and "only class" in metric["reason"]:
            metric["reason"] = "every label is present in every sample of the test split"
    overall["auroc_micro"] = micro_auroc
    overall["auprc_micro"] = micro_auprc
    if 2 * tp_sum + fp_sum + fn_sum == 0:
        overall["f1_micro"] = undefined("no label is present or predicted", 0)
    else:
        overall["f1_micro"] = defined(2 * tp_sum / (2 * tp_sum + fp_sum + fn_sum), n)
    overall["subset_accuracy"] = (defined(np.mean((y_true == y_pred).all(axis=1)), n) if n
                                  else undefined("test split is empty", 0))
    return {"overall": overall, "per_class": per_label}


# ---------------------------------------------------------------------------
# Regression
# ---------------------------------------------------------------------------


def _regression_one(y: np.ndarray, p: np.ndarray) -> dict[str, dict[str, Any]]:
    n = len(y)
    if n == 0:
        return {k: undefined("test split is empty", 0) for k in HEADLINE_METRICS["regression"]}
    result = {
        "mse": defined(np.mean((y - p) ** 2), n),
        "mae": defined(np.mean(np.abs(y - p)), n),
    }
    if n < 2 or np.all(y == y[0]):
        reason = "the true values in the test split are constant"
        result["r2"] = undefined(reason, n)
        result["pearson"] = undefined(reason, n)
        result["spearman"] = undefined(reason, n)
        return result
    result["r2"] = defined(skm.r2_score(y, p), n)
    if np.all(p == p[0]):
        reason = "every prediction is the same value"
        result["pearson"] = undefined(reason, n)
        result["spearman"] = undefined(reason, n)
    else:
        result["pearson"] = defined(stats.pearsonr(y, p).statistic, n)
        result["spearman"] = defined(stats.spearmanr(y, p).statistic, n)
    return result


def _regression_point(y_true: np.ndarray, predictions: np.ndarray,
                      target_names: list[str]) -> dict[str, Any]:
    y = y_true.reshape(len(y_true), -1).astype(np.float64)
    p = predictions.reshape(len(predictions), -1).astype(np.float64)
    per_target = {name: _regression_one(y[:, j], p[:, j]) for j, name in enumerate(target_names)}
    if len(target_names) == 1:
        overall = dict(per_target[target_names[0]])
    else:
        overall = {key: _average({t: per_target[t][key] for t in target_names}, key)
                   for key in HEADLINE_METRICS["regression"]}
    return {"overall": overall, "per_class": per_target}


# ---------------------------------------------------------------------------
# Bootstrap and the public entry point
# ---------------------------------------------------------------------------


def bootstrap_intervals(
    statistic: Callable[[np.ndarray], dict[str, float | None]],
    n_samples: int,
    names: tuple[str, ...],
    *,
    n_bootstrap: int,
    seed: int,
) -> dict[str, dict[str, Any]]:
    """Compute percentile 95% intervals of several metrics by resampling rows.

    Parameters
    ----------
    statistic : callable
        Maps an index array (rows drawn with replacement) to ``{name: value}``;
        a value of None marks a replicate where the metric is undefined.
    n_samples : int
        Number of rows to resample.
    names : tuple of str
        Metrics to collect.
    n_bootstrap : int
        Number of replicates.
    seed : int
        Seed of the random generator, so intervals are reproducible.

    Returns
    -------
    dict
        ``{name: {"ci95": [low, high] or None, "n_bootstrap": k}}`` where k is
        the number of replicates in which the metric was defined.
    """
    rng = np.random.default_rng(seed)
    collected: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(n_bootstrap):
        rows = rng.integers(0, n_samples, size=n_samples)
        values = statistic(rows)
        for name in names:
            value = values.get(name)
            if value is not None and np.isfinite(value):
                collected[name].append(value)
    result: dict[str, dict[str, Any]] = {}
    for name, values in collected.items():
        if values:
            low, high = np.percentile(values, [2.5, 97.5])
            result[name] = {"ci95": [float(low), float(high)], "n_bootstrap": len(values)}
        else:
            result[name] = {"ci95": None, "n_bootstrap": 0}
    return result


def fast_auroc(is_positive: np.ndarray, scores: np.ndarray) -> float | None:
    """Compute the AUROC from score ranks (Mann-Whitney U); None for one class.

    Equal to ``sklearn.metrics.roc_auc_score`` (ties count one half) and used
    inside the bootstrap, where calling scikit-learn thousands of times is slow.
    """
    n_positive = int(is_positive.sum())
    n_negative = len(is_positive) - n_positive
    if n_positive == 0 or n_negative == 0:
        return None
    ranks = stats.rankdata(scores)
    u = ranks[is_positive].sum() - n_positive * (n_positive + 1) / 2
    return float(u / (n_positive * n_negative))


def fast_average_precision(is_positive: np.ndarray, scores: np.ndarray) -> float | None:
    """Compute average precision as scikit-learn does; None for one class.

    Precision and recall are taken at each distinct score, from the highest
    down, and AP is the sum of precision times the recall gained there.
    """
    n_positive = int(is_positive.sum())
    if n_positive == 0 or n_positive == len(is_positive):
        return None
    order = np.argsort(-scores, kind="mergesort")
    sorted_scores = scores[order]
    true_positives = np.cumsum(is_positive[order])
    # Last index of each run of equal scores: one threshold per distinct score.
    ends = np.flatnonzero(np.r_[sorted_scores[1:] != sorted_scores[:-1], True])
    tp = true_positives[ends]
    precision = tp / (ends + 1)
    recall_gain = np.diff(np.r_[0, tp]) / n_positive
    return float(np.sum(precision * recall_gain))


def _classification_headline(
    y_true: np.ndarray, probabilities: np.ndarray, n_classes: int, positive_index: int | None
) -> dict[str, float | None]:
    """Compute the headline classification metrics with numpy only (bootstrap path)."""
    y_pred = probabilities.argmax(axis=1)
    confusion = np.bincount(y_true * n_classes + y_pred,
                            minlength=n_classes * n_classes).reshape(n_classes, n_classes)
    tp, fp, fn = _confusion_counts(confusion)
    support = confusion.sum(axis=1)
    present = support > 0
    f1_denominator = 2 * tp + fp + fn
    values: dict[str, float | None] = {
        "accuracy": float(tp.sum() / len(y_true)),
        "balanced_accuracy": float(np.mean(tp[present] / support[present])),
        "f1_macro": float(np.mean(2 * tp[f1_denominator > 0] / f1_denominator[f1_denominator > 0])),
    }
    if present.sum() < 2 or (confusion.sum(axis=0) > 0).sum() < 2:
        values["mcc"] = None
    else:
        values["mcc"] = _mcc_from_confusion(confusion)
    if positive_index is not None:
        is_positive = y_true == positive_index
        scores = probabilities[:, positive_index]
        values["auroc"] = fast_auroc(is_positive, scores)
        values["auprc"] = fast_average_precision(is_positive, scores)
    else:
        aurocs = [fast_auroc(y_true == i, probabilities[:, i]) for i in range(n_classes)]
        auprcs = [fast_average_precision(y_true == i, probabilities[:, i]) for i in range(n_classes)]
        aurocs = [v for v in aurocs if v is not None]
        auprcs = [v for v in auprcs if v is not None]
        values["auroc"] = float(np.mean(aurocs)) if aurocs else None
        values["auprc"] = float(np.mean(auprcs)) if auprcs else None
    return values


def _multilabel_headline(y_true: np.ndarray, probabilities: np.ndarray,
                         threshold: float) -> dict[str, float | None]:
    """Compute the headline multilabel metrics with numpy only (bootstrap path)."""
    y_pred = probabilities >= threshold
    n_labels = y_true.shape[1]
    aurocs = [fast_auroc(y_true[:, j], probabilities[:, j]) for j in range(n_labels)]
    auprcs = [fast_average_precision(y_true[:, j], probabilities[:, j]) for j in range(n_labels)]
    aurocs = [v for v in aurocs if v is not None]
    auprcs = [v for v in auprcs if v is not None]
    tp = (y_true & y_pred).sum(axis=0)
    denominator = 2 * tp + (~y_true & y_pred).sum(axis=0) + (y_true & ~y_pred).sum(axis=0)
    present = denominator > 0
    return {
        "auroc_macro": float(np.mean(aurocs)) if aurocs else None,
        "auprc_macro": float(np.mean(auprcs)) if auprcs else None,
        "f1_macro": float(np.mean(2 * tp[present] / denominator[present])) if present.any()
        else None,
        "f1_micro": float(2 * tp.sum() / denominator.sum()) if denominator.sum() else None,
    }


def compute_metrics(
    y_true: np.ndarray,
    scores: np.ndarray,
    *,
    task: MetricTask,
    class_names: list[str],
    positive_class: str | None = None,
    threshold: float = 0.5,
    n_bootstrap: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Compute every metric of a task, with bootstrap intervals for the headline ones.

    Parameters
    ----------
    y_true : numpy.ndarray
        ``(N,)`` int class indices into ``class_names`` (binary, multiclass);
        ``(N, K)`` 0/1 (multilabel); ``(N,)`` or ``(N, K)`` float (regression).
    scores : numpy.ndarray
        ``(N, C)`` class probabilities in the order of ``class_names`` (binary
        and multiclass; a one-output binary model gives ``[1 - p, p]``),
        ``(N, K)`` label probabilities (multilabel) or predicted values
        (regression).
    task : {"binary", "multiclass", "multilabel", "regression"}
        Task of the model.
    class_names : list of str
        Every class (or label, or regression target) of the model, in order.
        Metrics use this full set even when the data lack some classes.
    positive_class : str or None, default=None
        Positive class of a binary task; None means ``class_names[1]``.
    threshold : float, default=0.5
        Probability at which a multilabel label counts as predicted.
    n_bootstrap : int, default=1000
        Bootstrap replicates for the 95% intervals; 0 skips the intervals.
    seed : int, default=0
        Seed of the bootstrap.

    Returns
    -------
    dict
        JSON-ready: ``task``, ``n``, ``class_names``, ``positive_class``,
        ``class_counts``, ``overall`` (metric dicts), ``per_class``,
        ``confusion_matrix`` (classification), ``flags`` and ``bootstrap``.

    Raises
    ------
    LabelError
        If there are no records, the shapes or labels do not fit ``class_names``,
        or the task is unknown.
    """
    if task not in HEADLINE_METRICS:
        raise LabelError(f"unknown task {task!r}; expected one of {sorted(HEADLINE_METRICS)}")
    class_names = [str(c) for c in class_names]
    y_true = np.asarray(y_true)
    scores = np.asarray(scores)
    n = len(y_true)
    if len(scores) != n:
        raise LabelError(f"{n} true labels but {len(scores)} rows of scores")
    if n == 0:
        raise LabelError("no records to evaluate; check the test files and the --split option")

    positive_index: int | None = None
    if task in ("binary", "multiclass"):
        if task == "binary" and len(class_names) != 2:
            raise LabelError(f"a binary task needs 2 class names, got {class_names}")
        y_true, scores = _check_classification_inputs(y_true, scores, class_names)
        if task == "binary":
            positive_index = resolve_positive_index(class_names, positive_class)

        def point(rows: np.ndarray | None) -> dict[str, Any]:
            if rows is None:
                return _classification_point(y_true, scores, class_names, positive_index)
            return _classification_point(y_true[rows], scores[rows], class_names, positive_index)
    elif task == "multilabel":
        scores = scores.astype(np.float64)
        if y_true.shape != scores.shape or y_true.ndim != 2 or y_true.shape[1] != len(class_names):
            raise LabelError(
                f"multilabel labels and scores must both have shape (n_samples, {len(class_names)}) "
                f"for labels {class_names}, got {y_true.shape} and {scores.shape}"
            )

        def point(rows: np.ndarray | None) -> dict[str, Any]:
            if rows is None:
                return _multilabel_point(y_true, scores, class_names, threshold)
            return _multilabel_point(y_true[rows], scores[rows], class_names, threshold)
    else:
        n_targets = 1 if y_true.ndim == 1 else y_true.shape[1]
        if y_true.reshape(n, -1).shape != scores.reshape(n, -1).shape or n_targets != len(class_names):
            raise LabelError(
                f"regression values and predictions must both have {len(class_names)} target(s) "
                f"({class_names}), got shapes {y_true.shape} and {scores.shape}"
            )

        def point(rows: np.ndarray | None) -> dict[str, Any]:
            if rows is None:
                return _regression_point(y_true, scores, class_names)
            return _regression_point(y_true[rows], scores[rows], class_names)

    with warnings.catch_warnings():
        # Undefined cases are detected above; silence sklearn's duplicate warnings.
        warnings.simplefilter("ignore", category=RuntimeWarning)
        warnings.simplefilter("ignore", category=UserWarning)
        result = point(None)
        headline = HEADLINE_METRICS[task]
        if n_bootstrap > 0 and n > 0:

            def statistic(rows: np.ndarray) -> dict[str, float | None]:
                if task in ("binary", "multiclass"):
                    return _classification_headline(y_true[rows], scores[rows],
                                                    len(class_names), positive_index)
                if task == "multilabel":
                    return _multilabel_headline(y_true[rows].astype(bool), scores[rows],
                                                threshold)
                overall = point(rows)["overall"]
                return {name: overall[name]["value"] for name in headline}

            intervals = bootstrap_intervals(statistic, n, headline,
                                            n_bootstrap=n_bootstrap, seed=seed)
            for name, interval in intervals.items():
                metric = result["overall"][name]
                metric["ci95"] = interval["ci95"] if is_defined(metric) else None
                metric["n_bootstrap"] = interval["n_bootstrap"]

    result.update(
        task=task,
        n=int(n),
        class_names=class_names,
        positive_class=None if positive_index is None else class_names[positive_index],
        headline=list(HEADLINE_METRICS[task]),
        bootstrap={"n_bootstrap": int(n_bootstrap), "seed": int(seed), "level": 0.95},
    )
    if task in ("binary", "multiclass"):
        result["class_counts"] = {c: int((y_true == i).sum()) for i, c in enumerate(class_names)}
        result["calibration"] = calibration_curve(scores.max(axis=1),
                                                  scores.argmax(axis=1) == y_true) if n else {}
    elif task == "multilabel":
        result["class_counts"] = {c: int(y_true[:, j].sum()) for j, c in enumerate(class_names)}
    result["flags"] = sanity_flags(result)
    return result


def sanity_flags(result: dict[str, Any]) -> list[dict[str, str]]:
    """List warnings a reader should see before trusting the numbers.

    Flags: a test split with one class, classes absent from the test split, a
    model that predicts one class, and accuracy no better than always
    predicting the majority class.
    """
    flags: list[dict[str, str]] = []
    task = result["task"]
    if task not in ("binary", "multiclass") or result["n"] == 0:
        return flags
    counts = result["class_counts"]
    present = [c for c, k in counts.items() if k > 0]
    if len(present) == 1:
        flags.append({"flag": "single_class_test_split",
                      "message": f"the test split contains only class {present[0]}, so ranking "
                                 "metrics are undefined"})
    absent = [c for c, k in counts.items() if k == 0]
    if absent and len(present) > 1:
        flags.append({"flag": "classes_missing_from_test_split",
                      "message": f"no test sample of class(es) {', '.join(absent)}; "
                                 "macro averages cover the other classes only"})
    predicted = [c for c, k in result["predicted_counts"].items() if k > 0]
    if len(predicted) == 1:
        flags.append({"flag": "predicts_one_class",
                      "message": f"the model predicts class {predicted[0]} for every sample"})
    accuracy = result["overall"]["accuracy"]["value"]
    chance = max(counts.values()) / result["n"]
    if accuracy is not None and len(present) > 1 and accuracy <= chance:
        flags.append({"flag": "accuracy_at_chance",
                      "message": f"accuracy {accuracy:.3f} is not above the majority-class rate "
                                 f"{chance:.3f}"})
    return flags
