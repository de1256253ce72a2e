"""The evaluation output folder: metrics.json, CSV tables, plots and report.html.

:func:`write_evaluation` takes the true labels and scores of a test set and
writes everything ``bioseq evaluate`` produces. Every number shown in
``report.html`` is read back from the written ``metrics.json``. The HTML
embeds its plots as base64 PNG and loads nothing from the network. Each file
is written atomically.
"""

from __future__ import annotations

import base64
import html
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bioseq import __version__
from bioseq._files import make_output_folder
from bioseq.evaluate import plots
from bioseq.evaluate.plots import write_bytes_atomic
from bioseq.sequences import SequenceSet

logger = logging.getLogger(__name__)

#: Maximum number of overlapping or duplicated ids listed by name in the data summary.
MAX_LISTED_IDS = 20


def write_text_atomic(path: Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` through a temporary file and a rename."""
    write_bytes_atomic(path, text.encode("utf-8"))


def manifest_rows(manifest: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Flatten a run manifest into ``(key, text)`` rows; nested keys are joined with dots.

    Examples
    --------
    >>> manifest_rows({"seed": 1, "device": {"accelerator": "cpu", "devices": [0, 1]}})
    [('seed', '1'), ('device.accelerator', 'cpu'), ('device.devices', '0, 1')]
    """
    rows: list[tuple[str, str]] = []
    for key, value in manifest.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            rows.extend(manifest_rows(value, prefix=f"{name}."))
        elif isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value):
            rows.append((name, ", ".join(str(v) for v in value)))
        elif isinstance(value, (dict, list)):
            rows.append((name, json.dumps(value, default=str)))
        else:
            rows.append((name, "" if value is None else str(value)))
    return rows


def format_value(value: float | None, digits: int = 4) -> str:
    """Format a metric value for the report; None becomes "undefined"."""
    if value is None:
        return "undefined"
    return f"{value:.{digits}f}"


# ---------------------------------------------------------------------------
# Data summary
# ---------------------------------------------------------------------------


def _sequence_keys(sequences: SequenceSet, hashed: bool = False) -> list[bytes]:
    # Store records carry a content hash in place of their codes. When one side
    # of a comparison has only hashes, the other side is hashed too.
    from bioseq.data.store_records import StoreRecords, hash_record_codes

    if isinstance(sequences, StoreRecords):
        keys = sequences.content_keys
    elif hashed:
        keys = hash_record_codes(sequences.codes, sequences.offsets)
    else:
        return [sequences.codes_of(i).tobytes() for i in range(len(sequences))]
    return [key.tobytes() for key in keys]


def summarize_data(test: SequenceSet, train: SequenceSet | None = None,
                   train_ids: set[str] | None = None) -> dict[str, Any]:
    """Summarise a test set: class balance, lengths, duplicates and overlap with training.

    Parameters
    ----------
    test : SequenceSet or StoreRecords
        The evaluated records.
    train : SequenceSet or StoreRecords or None, default=None
        Training records; when given, overlap is counted by identical sequence.
        Store records (:class:`~bioseq.data.store_records.StoreRecords`) are
        compared by their content hashes.
    train_ids : set of str or None, default=None
        Ids of the training records, used for an overlap by id when the
        training sequences are not available.

    Returns
    -------
    dict
        ``n``, ``alphabet``, ``class_balance``, ``lengths`` (min, median,
        mean, max), ``duplicates`` (identical sequences within the test set,
        and those with conflicting labels) and ``train_overlap`` (method,
        count, share and the first ids).
    """
    lengths = test.lengths
    summary: dict[str, Any] = {
        "n": len(test),
        "alphabet": test.alphabet.name,
        "sources": list(test.sources),
    }
    if len(test):
        summary["lengths"] = {"min": int(lengths.min()), "median": float(np.median(lengths)),
                              "mean": float(lengths.mean()), "max": int(lengths.max())}
    if test.labels is not None and test.class_names and test.labels.ndim == 1 \
            and test.labels.dtype.kind in "iu":
        summary["class_balance"] = {name: int((test.labels == i).sum())
                                    for i, name in enumerate(test.class_names)}

    from bioseq.data.store_records import StoreRecords

    hashed = isinstance(test, StoreRecords) or isinstance(train, StoreRecords)
    keys = _sequence_keys(test, hashed)
    first_index: dict[bytes, int] = {}
    duplicate_ids: list[str] = []
    conflicting_ids: list[str] = []
    for i, key in enumerate(keys):
        if key in first_index:
            duplicate_ids.append(str(test.ids[i]))
            j = first_index[key]
            if test.labels is not None and not np.array_equal(test.labels[i], test.labels[j]):
                conflicting_ids.append(str(test.ids[i]))
        else:
            first_index[key] = i
    summary["duplicates"] = {
        "n_duplicate_copies": len(duplicate_ids),
        "n_conflicting_labels": len(conflicting_ids),
        "ids": duplicate_ids[:MAX_LISTED_IDS],
        "conflicting_ids": conflicting_ids[:MAX_LISTED_IDS],
    }

    overlap: dict[str, Any]
    if train is not None:
        train_keys = set(_sequence_keys(train, hashed))
        hits = [str(test.ids[i]) for i, key in enumerate(keys) if key in train_keys]
        overlap = {"method": "identical sequence", "n_train": len(train)}
    elif train_ids is not None:
        hits = [str(i) for i in test.ids if str(i) in train_ids]
        overlap = {"method": "record id (training sequences not available)",
                   "n_train": len(train_ids)}
    else:
        hits = []
        overlap = {"method": "not checked (no training data found)", "n_train": None}
    overlap.update(n_overlap=len(hits), share=(len(hits) / len(test)) if len(test) else 0.0,
                   ids=hits[:MAX_LISTED_IDS])
    summary["train_overlap"] = overlap
    return summary


def data_flags(summary: dict[str, Any]) -> list[dict[str, str]]:
    """Flag a test set that overlaps the training data or contains conflicting duplicates."""
    flags = []
    overlap = summary.get("train_overlap", {})
    if overlap.get("n_overlap"):
        flags.append({"flag": "test_overlaps_training",
                      "message": f"{overlap['n_overlap']} of {summary['n']} test records also occur "
                                 f"in the training data (by {overlap['method']}); scores may be "
                                 "optimistic"})
    duplicates = summary.get("duplicates", {})
    if duplicates.get("n_conflicting_labels"):
        flags.append({"flag": "conflicting_duplicates",
                      "message": f"{duplicates['n_conflicting_labels']} test sequences occur "
                                 "again with a different label"})
    return flags


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------


def per_class_table(metrics: dict[str, Any]) -> pd.DataFrame:
    """Flatten ``metrics["per_class"]`` into one row per class with value and reason columns."""
    rows = []
    for name, entries in metrics["per_class"].items():
        row: dict[str, Any] = {"class": name}
        for key, metric in entries.items():
            if isinstance(metric, dict):
                row[key] = metric["value"]
                row[f"{key}_undefined_reason"] = metric["reason"] or ""
            else:
                row[key] = metric
        rows.append(row)
    return pd.DataFrame(rows)


def predictions_table(ids: np.ndarray, scores: np.ndarray, class_names: list[str], task: str,
                      y_true: np.ndarray | None = None, threshold: float = 0.5) -> pd.DataFrame:
    """Build the per-record table: id, true label, one score column per class, prediction.

    Binary and multiclass get ``prob_<class>`` columns and ``predicted_label``
    (the class with the highest probability); multilabel gets ``prob_<label>``
    and ``predicted_labels`` (labels at or above ``threshold``, joined by
    ``;``); regression gets ``value_<target>``.
    """
    table = pd.DataFrame({"id": np.asarray(ids, dtype=object).astype(str)})
    scores = np.asarray(scores)
    if y_true is not None:
        if task in ("binary", "multiclass"):
            table["true_label"] = np.asarray(class_names, dtype=object)[y_true]
        elif task == "multilabel":
            table["true_labels"] = [";".join(np.asarray(class_names)[row.astype(bool)])
                                    for row in y_true]
        else:
            values = np.asarray(y_true).reshape(len(table), -1)
            for j, name in enumerate(class_names):
                table[f"true_{name}"] = values[:, j]
    if task == "regression":
        values = scores.reshape(len(table), -1)
        for j, name in enumerate(class_names):
            table[f"value_{name}"] = values[:, j]
        return table
    for j, name in enumerate(class_names):
        table[f"prob_{name}"] = scores[:, j]
    if task == "multilabel":
        table["predicted_labels"] = [";".join(np.asarray(class_names)[row >= threshold])
                                     for row in scores]
    else:
        table["predicted_label"] = np.asarray(class_names, dtype=object)[scores.argmax(axis=1)]
    return table


def write_csv_atomic(table: pd.DataFrame, path: Path) -> None:
    """Write ``table`` as CSV (no index, floats at full precision) atomically."""
    write_text_atomic(path, table.to_csv(index=False, lineterminator="\n"))


# ---------------------------------------------------------------------------
# Plots
# ---------------------------------------------------------------------------


def draw_plots(out_dir: Path, metrics: dict[str, Any], y_true: np.ndarray, scores: np.ndarray,
               lengths: np.ndarray | None = None, metrics_csv: Path | None = None
               ) -> dict[str, Path]:
    """Draw and save every plot that fits the task; return ``{name: png path}``."""
    task = metrics["task"]
    class_names = metrics["class_names"]
    figures: dict[str, Any] = {}
    if task in ("binary", "multiclass"):
        positive = metrics["positive_class"]
        positive_index = class_names.index(positive) if positive is not None else None
        figures["roc"] = plots.plot_roc(y_true, scores, class_names, positive_index)
        figures["precision_recall"] = plots.plot_precision_recall(y_true, scores, class_names,
                                                                  positive_index)
        figures["confusion_matrix"] = plots.plot_confusion_matrix(
            metrics["confusion_matrix"]["matrix"], class_names)
        figures["calibration"] = plots.plot_calibration(metrics.get("calibration", {}))
        figures["score_distribution"] = plots.plot_score_distributions(
            y_true, scores, class_names, positive_index)
    elif task == "multilabel":
        # One ROC and one precision-recall curve per label, each label against its absence.
        figures["roc"] = plots.plot_roc(y_true, scores, class_names)
        figures["precision_recall"] = plots.plot_precision_recall(y_true, scores, class_names)
    elif task == "regression":
        figures["predicted_vs_true"] = plots.plot_regression(y_true, scores)
    if lengths is not None and len(lengths):
        labels = y_true if task in ("binary", "multiclass") else None
        figures["lengths"] = plots.plot_lengths(lengths, labels, class_names)
    if metrics_csv is not None and Path(metrics_csv).is_file():
        curves = plots.plot_training_curves(Path(metrics_csv))
        if curves is not None:
            figures["training_curves"] = curves

    plot_dir = out_dir / "plots"
    make_output_folder(plot_dir)
    paths = {}
    for name, figure in figures.items():
        path = plot_dir / f"{name}.png"
        plots.save_figure(figure, path)
        paths[name] = path
    return paths


# ---------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
td.undefined { color: #a00; }
.flag { background: #fff3cd; border-left: 4px solid #e0a800; padding: 0.4em 0.8em; margin: 0.3em 0; }
.plots img { max-width: 48%; margin: 0.5%; border: 1px solid #eee; }
pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; font-size: 0.8em; }
table.manifest td { text-align: left; font-family: monospace; word-break: break-all; }
"""


def _metric_cell(metric: dict[str, Any], path: str) -> str:
    value = metric.get("value")
    if value is None:
        reason = html.escape(metric.get("reason") or "")
        return (f'<td class="undefined" data-metric="{path}" title="{reason}">'
                f"undefined: {reason}</td>")
    return f'<td data-metric="{path}">{format_value(value)}</td>'


def _interval_cell(metric: dict[str, Any], path: str) -> str:
    interval = metric.get("ci95")
    if not interval:
        return "<td></td>"
    return (f'<td data-interval="{path}">{format_value(interval[0])} - '
            f"{format_value(interval[1])}</td>")


def _overall_table(metrics: dict[str, Any]) -> str:
    rows = ["<tr><th>metric</th><th>value</th><th>95% interval</th><th>n</th><th>notes</th></tr>"]
    for name, metric in metrics["overall"].items():
        notes = ""
        if metric.get("left_out"):
            notes = ("averaged over " + html.escape(", ".join(metric["over"])) + "; left out: "
                     + html.escape(", ".join(f"{k} ({v})" for k, v in metric["left_out"].items())))
        rows.append(f"<tr><td>{html.escape(name)}</td>{_metric_cell(metric, f'overall.{name}')}"
                    f"{_interval_cell(metric, f'overall.{name}')}<td>{metric['n']}</td>"
                    f"<td>{notes}</td></tr>")
    return "<table>" + "\n".join(rows) + "</table>"


def _per_class_table_html(metrics: dict[str, Any]) -> str:
    per_class = metrics["per_class"]
    if not per_class:
        return ""
    keys = [k for k, v in next(iter(per_class.values())).items() if isinstance(v, dict)]
    header = "".join(f"<th>{html.escape(k)}</th>" for k in keys)
    rows = [f"<tr><th>class</th>{header}<th>support</th></tr>"]
    for name, entries in per_class.items():
        cells = "".join(_metric_cell(entries[k], f"per_class.{name}.{k}") for k in keys)
        support = entries.get("support", "")
        rows.append(f"<tr><td>{html.escape(name)}</td>{cells}<td>{support}</td></tr>")
    return "<table>" + "\n".join(rows) + "</table>"


def _confusion_html(metrics: dict[str, Any]) -> str:
    confusion = metrics.get("confusion_matrix")
    if not confusion:
        return ""
    labels = confusion["labels"]
    header = "".join(f"<th>{html.escape(c)}</th>" for c in labels)
    rows = [f"<tr><th>true \\ predicted</th>{header}</tr>"]
    for name, row in zip(labels, confusion["matrix"], strict=True):
        cells = "".join(f"<td>{count}</td>" for count in row)
        rows.append(f"<tr><td>{html.escape(name)}</td>{cells}</tr>")
    return "<h2>Confusion matrix</h2><table>" + "\n".join(rows) + "</table>"


def _summary_html(summary: dict[str, Any]) -> str:
    if not summary:
        return ""
    parts = [f"<p>{summary['n']} records, alphabet {html.escape(summary['alphabet'])}.</p>"]
    if "class_balance" in summary:
        rows = "".join(f"<tr><td>{html.escape(c)}</td><td>{k}</td></tr>"
                       for c, k in summary["class_balance"].items())
        parts.append(f"<table><tr><th>class</th><th>records</th></tr>{rows}</table>")
    if "lengths" in summary:
        lengths = summary["lengths"]
        parts.append(f"<p>Lengths: min {lengths['min']}, median {lengths['median']:g}, "
                     f"mean {lengths['mean']:.1f}, max {lengths['max']}.</p>")
    duplicates = summary["duplicates"]
    parts.append(f"<p>Duplicate copies of identical sequences in the test set: "
                 f"{duplicates['n_duplicate_copies']} ({duplicates['n_conflicting_labels']} with "
                 "a conflicting label).</p>")
    overlap = summary["train_overlap"]
    listed = html.escape(", ".join(overlap["ids"]))
    parts.append(f"<p>Overlap with training data ({html.escape(overlap['method'])}): "
                 f"{overlap['n_overlap']} of {summary['n']} test records"
                 + (f" (first: {listed})" if listed else "") + ".</p>")
    return "<h2>Data</h2>" + "\n".join(parts)


def render_report_html(metrics: dict[str, Any], images: dict[str, bytes],
                       manifest: dict[str, Any] | None = None, title: str = "bioseq evaluation"
                       ) -> str:
    """Render the self-contained report page from the metrics dict and PNG images.

    Parameters
    ----------
    metrics : dict
        The content of ``metrics.json``: the output of
        :func:`~bioseq.evaluate.metrics.compute_metrics` plus ``data`` (the
        data summary), ``model`` and ``flags``.
    images : dict of str to bytes
        PNG images by plot name, inlined as base64 data URLs.
    manifest : dict or None, default=None
        The training run's ``manifest.json``, shown as a key and value table.
    """
    task = metrics["task"]
    model = metrics.get("model", {})
    head = (f"<p>Model <code>{html.escape(str(model.get('path', '')))}</code> "
            f"({html.escape(str(model.get('name', '')))}), task {html.escape(task)}, "
            f"{metrics['n']} test records")
    if metrics.get("positive_class") is not None:
        head += f", positive class <b>{html.escape(metrics['positive_class'])}</b>"
        model_positive = model.get("positive_class")
        if model_positive is not None and model_positive != metrics["positive_class"]:
            head += (f" (set with --positive-class; the binary metrics use its probability, "
                     f"while the model's positive class is {html.escape(str(model_positive))})")
    head += (f". Intervals: {metrics['bootstrap']['n_bootstrap']} bootstrap replicates, "
             f"seed {metrics['bootstrap']['seed']}.</p>")
    flags = "".join(f'<div class="flag" data-flag="{html.escape(f["flag"])}">'
                    f"{html.escape(f['message'])}</div>" for f in metrics.get("flags", []))
    pictures = "".join(
        f'<img alt="{html.escape(name)}" title="{html.escape(name)}" '
        f'src="data:image/png;base64,{base64.b64encode(data).decode("ascii")}">'
        for name, data in images.items())
    manifest_html = ""
    if manifest:
        rows = "".join(f"<tr><th>{html.escape(key)}</th><td>{html.escape(value)}</td></tr>"
                       for key, value in manifest_rows(manifest))
        manifest_html = f'<h2>Training run</h2><table class="manifest">{rows}</table>'

    body = [
        f"<h1>{html.escape(title)}</h1>", head,
        "<h2>Sanity flags</h2>" + (flags or "<p>None raised.</p>"),
        "<h2>Metrics</h2>", _overall_table(metrics),
        "<h2>Per class</h2>", _per_class_table_html(metrics),
        _confusion_html(metrics),
        _summary_html(metrics.get("data", {})),
        f'<h2>Plots</h2><div class="plots">{pictures}</div>',
        manifest_html,
        f"<p><small>bioseq {__version__}</small></p>",
    ]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def write_evaluation(
    out_dir: Path,
    metrics: dict[str, Any],
    *,
    ids: np.ndarray,
    y_true: np.ndarray,
    scores: np.ndarray,
    lengths: np.ndarray | None = None,
    manifest: dict[str, Any] | None = None,
    metrics_csv: Path | None = None,
    title: str = "bioseq evaluation",
) -> dict[str, Path]:
    """Write metrics.json, per_class.csv, predictions.csv, plots/ and report.html.

    Parameters
    ----------
    out_dir : pathlib.Path
        Output folder; created when missing.
    metrics : dict
        Output of :func:`~bioseq.evaluate.metrics.compute_metrics`, with
        ``data`` and ``model`` entries added by the caller.
    ids, y_true, scores : numpy.ndarray
        Record ids, true labels and model scores in the layout that
        ``compute_metrics`` takes.
    lengths : numpy.ndarray or None, default=None
        Sequence lengths, for the length plot.
    manifest : dict or None, default=None
        Training run manifest shown in the report.
    metrics_csv : pathlib.Path or None, default=None
        The run's per-epoch ``metrics.csv``, for the training curves.

    Returns
    -------
    dict of str to pathlib.Path
        Paths of the written files by kind.
    """
    out_dir = Path(out_dir)
    make_output_folder(out_dir)
    paths: dict[str, Path] = {}

    paths["metrics"] = out_dir / "metrics.json"
    write_text_atomic(paths["metrics"], json.dumps(metrics, indent=2, allow_nan=False) + "\n")
    paths["per_class"] = out_dir / "per_class.csv"
    write_csv_atomic(per_class_table(metrics), paths["per_class"])
    paths["predictions"] = out_dir / "predictions.csv"
    write_csv_atomic(predictions_table(ids, scores, metrics["class_names"], metrics["task"],
                                       y_true=y_true), paths["predictions"])

    plot_paths = draw_plots(out_dir, metrics, y_true, scores, lengths, metrics_csv)
    images = {name: path.read_bytes() for name, path in plot_paths.items()}
    paths.update({f"plot_{name}": path for name, path in plot_paths.items()})

    paths["report"] = out_dir / "report.html"
    # The page is rendered from the JSON just written, so the two cannot disagree.
    written = json.loads(paths["metrics"].read_text(encoding="utf-8"))
    write_text_atomic(paths["report"], render_report_html(written, images, manifest, title))
    logger.info("wrote %s (metrics.json, per_class.csv, predictions.csv, %d plots, report.html)",
                out_dir, len(plot_paths))
    return paths
