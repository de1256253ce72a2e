"""Evaluation plots drawn with matplotlib's Agg backend and written as PNG.

Each ``plot_*`` function returns a :class:`matplotlib.figure.Figure`;
:func:`save_figure` writes it atomically. A curve that the data cannot
define (ROC of a class absent from the test split) is left out of the
figure and the legend gives the reason.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
from sklearn import metrics as skm  # noqa: E402

from bioseq._files import atomic_write_bytes  # noqa: E402

logger = logging.getLogger(__name__)

#: Maximum number of classes drawn as separate curves or histograms. Further classes are
#: left out of the plots, but their values stay in the tables.
MAX_CURVES = 20


def new_figure(width: float = 5.0, height: float = 4.2) -> tuple[Figure, Any]:
    """Create a one-panel figure (not registered with pyplot, so nothing leaks)."""
    figure = Figure(figsize=(width, height), dpi=100)
    axes = figure.add_subplot(1, 1, 1)
    return figure, axes


def _note(axes: Any, text: str) -> None:
    axes.text(0.5, 0.5, text, ha="center", va="center", wrap=True, fontsize=9,
              transform=axes.transAxes)


def _one_vs_rest(y_true: np.ndarray, class_names: list[str],
                 positive_index: int | None) -> list[tuple[int, str, np.ndarray]]:
    """List ``(column, name, is_positive)`` for each curve to draw.

    ``y_true`` contains class indices ``(N,)``, or a multilabel indicator matrix
    ``(N, C)`` whose columns are the labels.
    """
    if positive_index is not None:
        picked = [(positive_index, class_names[positive_index])]
    else:
        picked = list(enumerate(class_names))[:MAX_CURVES]
    if y_true.ndim == 2:
        return [(index, name, y_true[:, index].astype(bool)) for index, name in picked]
    return [(index, name, y_true == index) for index, name in picked]


def _finish_unit_square(figure: Figure, axes: Any, xlabel: str, ylabel: str, title: str,
                        legend_location: str) -> Figure:
    """Label a plot whose axes both run from 0 to 1, add its legend and tighten the layout."""
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1.01)
    axes.legend(fontsize=7, loc=legend_location)
    figure.tight_layout()
    return figure


def plot_roc(y_true: np.ndarray, probabilities: np.ndarray, class_names: list[str],
             positive_index: int | None = None) -> Figure:
    """Draw one-vs-rest ROC curves (the positive class only for a binary task).

    Parameters
    ----------
    y_true : numpy.ndarray of shape (N,) or (N, C)
        True class indices, or a multilabel indicator matrix.
    probabilities : numpy.ndarray of shape (N, C)
        Class (or label) probabilities in the order of ``class_names``.
    class_names : list of str
        The model's classes.
    positive_index : int or None, default=None
        Positive class of a binary task; None draws every class.
    """
    figure, axes = new_figure()
    axes.plot([0, 1], [0, 1], linestyle=":", color="grey", linewidth=1)
    drawn = 0
    for index, name, is_positive in _one_vs_rest(y_true, class_names, positive_index):
        if is_positive.all() or not is_positive.any():
            axes.plot([], [], linestyle="none", label=f"{name}: undefined (one class in test split)")
            continue
        fpr, tpr, _ = skm.roc_curve(is_positive, probabilities[:, index])
        auc = skm.auc(fpr, tpr)
        axes.plot(fpr, tpr, linewidth=1.5, label=f"{name} (AUROC {auc:.3f})")
        drawn += 1
    if drawn == 0:
        _note(axes, "ROC undefined: the test split contains one class")
    return _finish_unit_square(figure, axes, "False positive rate", "True positive rate",
                               "ROC curve", "lower right")


def plot_precision_recall(y_true: np.ndarray, probabilities: np.ndarray,
                          class_names: list[str], positive_index: int | None = None) -> Figure:
    """Draw one-vs-rest precision-recall curves with each class's prevalence as baseline."""
    figure, axes = new_figure()
    drawn = 0
    for index, name, is_positive in _one_vs_rest(y_true, class_names, positive_index):
        if is_positive.all() or not is_positive.any():
            axes.plot([], [], linestyle="none", label=f"{name}: undefined (one class in test split)")
            continue
        precision, recall, _ = skm.precision_recall_curve(is_positive, probabilities[:, index])
        ap = skm.average_precision_score(is_positive, probabilities[:, index])
        lines = axes.step(recall, precision, where="post", linewidth=1.5,
                          label=f"{name} (AUPRC {ap:.3f})")
        axes.axhline(is_positive.mean(), linestyle=":", linewidth=1, color=lines[0].get_color())
        drawn += 1
    if drawn == 0:
        _note(axes, "Precision-recall undefined: the test split contains one class")
    return _finish_unit_square(figure, axes, "Recall", "Precision", "Precision-recall curve (dotted: prevalence)",
                               "lower left")


def plot_confusion_matrix(matrix: list[list[int]], class_names: list[str]) -> Figure:
    """Draw the confusion matrix with counts and row-normalised shading."""
    counts = np.asarray(matrix, dtype=np.int64)
    size = max(4.0, 0.5 * len(class_names) + 2.5)
    figure, axes = new_figure(size, size * 0.85)
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    axes.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for i in range(counts.shape[0]):
        for j in range(counts.shape[1]):
            axes.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=8,
                      color="white" if shares[i, j] > 0.6 else "black")
    axes.set_xticks(range(len(class_names)), class_names, rotation=45, ha="right", fontsize=8)
    axes.set_yticks(range(len(class_names)), class_names, fontsize=8)
    axes.set_xlabel("Predicted class")
    axes.set_ylabel("True class")
    axes.set_title("Confusion matrix (shade: row share)", fontsize=9)
    figure.tight_layout()
    return figure


def plot_calibration(calibration: dict[str, list[float]]) -> Figure:
    """Draw the reliability diagram: accuracy against mean confidence per bin."""
    figure, axes = new_figure()
    axes.plot([0, 1], [0, 1], linestyle=":", color="grey", linewidth=1, label="perfect")
    if calibration.get("confidence"):
        axes.plot(calibration["confidence"], calibration["accuracy"], marker="o",
                  linewidth=1.5, label="model")
    else:
        _note(axes, "no predictions")
    return _finish_unit_square(figure, axes, "Mean top-class probability in bin",
                               "Accuracy in bin", "Calibration", "upper left")


def plot_score_distributions(y_true: np.ndarray, probabilities: np.ndarray,
                             class_names: list[str], positive_index: int | None = None) -> Figure:
    """Draw histograms of the scores by true class.

    A binary task shows the positive-class probability for each true class;
    a multiclass task shows each sample's probability of its true class.
    """
    figure, axes = new_figure()
    bins = np.linspace(0, 1, 26)
    if positive_index is not None:
        scores = probabilities[:, positive_index]
        axes.set_xlabel(f"Probability of class {class_names[positive_index]}")
    else:
        scores = probabilities[np.arange(len(y_true)), y_true]
        axes.set_xlabel("Probability of the true class")
    for index, name in list(enumerate(class_names))[:MAX_CURVES]:
        selected = scores[y_true == index]
        if len(selected):
            axes.hist(selected, bins=bins, alpha=0.5, label=f"true {name} (n={len(selected)})")
    axes.set_ylabel("Samples")
    axes.set_title("Score distribution")
    axes.legend(fontsize=7)
    figure.tight_layout()
    return figure


def plot_regression(y_true: np.ndarray, predictions: np.ndarray) -> Figure:
    """Draw predicted against true values with the identity line."""
    figure, axes = new_figure()
    y = np.asarray(y_true, dtype=float).ravel()
    p = np.asarray(predictions, dtype=float).ravel()
    axes.scatter(y, p, s=6, alpha=0.5)
    if len(y):
        low, high = float(min(y.min(), p.min())), float(max(y.max(), p.max()))
        axes.plot([low, high], [low, high], linestyle=":", color="grey")
    axes.set_xlabel("True value")
    axes.set_ylabel("Predicted value")
    axes.set_title("Predicted against true")
    figure.tight_layout()
    return figure


def plot_lengths(lengths: np.ndarray, labels: np.ndarray | None,
                 class_names: list[str] | None) -> Figure:
    """Draw the sequence length distribution, by class when labels are class indices."""
    figure, axes = new_figure()
    lengths = np.asarray(lengths)
    bins = np.histogram_bin_edges(lengths, bins=min(30, max(1, len(np.unique(lengths)))))
    if labels is not None and class_names and labels.ndim == 1 and labels.dtype.kind in "iu":
        for index, name in list(enumerate(class_names))[:MAX_CURVES]:
            selected = lengths[labels == index]
            if len(selected):
                axes.hist(selected, bins=bins, alpha=0.5, label=name)
        axes.legend(fontsize=7)
    else:
        axes.hist(lengths, bins=bins)
    axes.set_xlabel("Sequence length")
    axes.set_ylabel("Sequences")
    axes.set_title("Length distribution")
    figure.tight_layout()
    return figure


def is_learning_rate(column: str) -> bool:
    """Return whether a ``metrics.csv`` column logs the learning rate (``lr``, ``lr-Adam``, ...)."""
    name = column.lower()
    return name == "lr" or name.startswith(("lr-", "lr_")) or "learning_rate" in name


def plot_training_curves(metrics_csv: Path) -> Figure | None:
    """Draw per-epoch training curves from a run's ``metrics.csv``.

    Losses go on the left panel and every other numeric column on the right.
    The learning rate, whose scale differs from the metrics', gets its own
    y axis on the right panel. Epochs are integer ticks. Returns None when the
    file has no ``epoch`` column or no numeric curve.
    """
    table = pd.read_csv(metrics_csv)
    if "epoch" not in table.columns:
        logger.warning("%s has no 'epoch' column; training curves skipped", metrics_csv)
        return None
    numeric = [c for c in table.columns
               if c not in ("epoch", "step") and pd.api.types.is_numeric_dtype(table[c])]
    if not numeric:
        return None
    # Lightning may log train and validation values on separate rows of one epoch.
    by_epoch = table.groupby("epoch")[numeric].mean()
    rates = [c for c in numeric if is_learning_rate(c)]
    losses = [c for c in numeric if "loss" in c and c not in rates]
    others = [c for c in numeric if "loss" not in c and c not in rates]
    figure = Figure(figsize=(9.0, 3.8), dpi=100)
    panels = [(losses, "Loss"), (others, "Metric")]
    for position, (columns, ylabel) in enumerate(panels, start=1):
        axes = figure.add_subplot(1, 2, position)
        for column in columns:
            series = by_epoch[column].dropna()
            axes.plot(series.index, series.values, marker="o", markersize=4, label=column)
        if position == 2 and rates:
            _plot_learning_rate(axes, by_epoch, rates)
        elif columns:
            axes.legend(fontsize=7)
        else:
            _note(axes, "no columns logged")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlabel("Epoch")
        axes.set_ylabel(ylabel)
    figure.suptitle("Training curves")
    figure.tight_layout()
    return figure


def _plot_learning_rate(axes: Any, by_epoch: pd.DataFrame, rates: list[str]) -> None:
    """Plot learning-rate columns dashed on a second y axis of ``axes``, with one legend."""
    rate_axes = axes.twinx()
    for column in rates:
        series = by_epoch[column].dropna()
        rate_axes.plot(series.index, series.values, linestyle="--", color="0.4", label=column)
    rate_axes.set_ylabel("Learning rate")
    handles, labels = axes.get_legend_handles_labels()
    rate_handles, rate_labels = rate_axes.get_legend_handles_labels()
    rate_axes.legend(handles + rate_handles, labels + rate_labels, fontsize=7)


def figure_png(figure: Figure) -> bytes:
    """Render ``figure`` to PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place."""
    atomic_write_bytes(path, data)


def save_figure(figure: Figure, path: Path) -> bytes:
    """Write ``figure`` as PNG to ``path`` atomically and return the PNG bytes."""
    data = figure_png(figure)
    write_bytes_atomic(path, data)
    return data
