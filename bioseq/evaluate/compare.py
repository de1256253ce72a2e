"""Side-by-side comparison of several evaluations: one CSV and one HTML page.

Each input is an evaluation folder written by ``bioseq evaluate`` (it contains
``metrics.json``), or a folder whose direct subfolders are such folders.
Rows are grouped by data set (the test files' names) and show every model's
headline metrics with their 95% intervals.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bioseq import __version__
from bioseq._files import make_output_folder
from bioseq.errors import ConfigError
from bioseq.evaluate import plots
from bioseq.evaluate.report import format_value, write_csv_atomic, write_text_atomic

logger = logging.getLogger(__name__)


def find_evaluations(folders: list[str | os.PathLike[str]]) -> list[Path]:
    """Return the ``metrics.json`` of each folder, or of its direct subfolders.

    An evaluation reached twice (the same folder given twice, or a folder and
    its parent) is kept once, with a warning.

    Raises
    ------
    ConfigError
        If a folder contains no evaluation at either level.
    """
    found: list[Path] = []
    for folder in map(Path, folders):
        if (folder / "metrics.json").is_file():
            candidates = [folder / "metrics.json"]
        else:
            candidates = sorted(folder.glob("*/metrics.json"))
        if not candidates:
            raise ConfigError(f"no metrics.json found in {folder} or its subfolders; pass "
                              "folders written by bioseq evaluate")
        seen = {path.resolve() for path in found}
        for path in candidates:
            if path.resolve() in seen:
                logger.warning("%s was given more than once; it is compared once", path.parent)
                continue
            seen.add(path.resolve())
            found.append(path)
    return found


def _labels(metrics: dict[str, Any], path: Path) -> tuple[str, Path, str]:
    """Return the data set label, the run folder and the model name of one evaluation."""
    sources = metrics.get("data", {}).get("sources") or []
    dataset = ", ".join(Path(s).name for s in sources) or path.parent.name
    model = metrics.get("model", {})
    run = model.get("run_dir")
    folder = Path(run) if run else Path(model.get("path", path)).parent
    return dataset, folder, str(model.get("name", "?"))


def run_labels(datasets: list[str], folders: list[Path], model_names: list[str]) -> list[str]:
    """Name each run by its folder, adding the parent folder where names repeat.

    Layouts such as ``SET/FAMILY/foldK`` repeat ``foldK`` across families of
    one data set, so those runs are named ``FAMILY/foldK``.
    """
    keys = list(zip(datasets, [folder.name for folder in folders], strict=True))
    repeated = {key for key in keys if keys.count(key) > 1}
    labels = []
    for key, folder, model in zip(keys, folders, model_names, strict=True):
        name = key[1]
        if key in repeated and folder.parent.name:
            name = f"{folder.parent.name}/{name}"
        labels.append(f"{name} ({model})")
    return labels


def comparison_table(metrics_files: list[Path]) -> pd.DataFrame:
    """Build one row per evaluation: data set, model, n, then value and interval of each metric.

    Undefined metrics have an empty value and the reason in ``<metric>_undefined``.
    """
    loaded = [json.loads(Path(path).read_text(encoding="utf-8")) for path in metrics_files]
    labels = [_labels(metrics, Path(path)) for metrics, path in zip(loaded, metrics_files,
                                                                     strict=True)]
    run_names = run_labels([dataset for dataset, *_ in labels],
                           [folder for _, folder, _ in labels], [name for *_, name in labels])
    rows = []
    for path, metrics, (dataset, _, _), model in zip(metrics_files, loaded, labels, run_names,
                                                     strict=True):
        row: dict[str, Any] = {"dataset": dataset, "model": model, "task": metrics["task"],
                               "n": metrics["n"], "evaluation": str(Path(path).parent)}
        for name in metrics.get("headline", []):
            metric = metrics["overall"][name]
            interval = metric.get("ci95") or [None, None]
            row[name] = metric["value"]
            row[f"{name}_ci_low"] = interval[0]
            row[f"{name}_ci_high"] = interval[1]
            row[f"{name}_undefined"] = metric["reason"] or ""
        row["flags"] = "; ".join(f["flag"] for f in metrics.get("flags", []))
        rows.append(row)
    table = pd.DataFrame(rows)
    return table.sort_values(["dataset", "model"], kind="stable").reset_index(drop=True)


def _headline_names(table: pd.DataFrame) -> list[str]:
    return [c[: -len("_ci_low")] for c in table.columns if c.endswith("_ci_low")]


def plot_comparison(table: pd.DataFrame, metric: str) -> bytes | None:
    """Draw ``metric`` of every row as a bar with its 95% interval; None if undefined everywhere."""
    if metric not in table or table[metric].isna().all():
        return None
    figure, axes = plots.new_figure(max(5.0, 0.6 * len(table) + 2), 4.0)
    labels = [f"{d}\n{m}" for d, m in zip(table["dataset"], table["model"], strict=True)]
    values = table[metric].astype(float).to_numpy()
    low = values - table[f"{metric}_ci_low"].astype(float).to_numpy()
    high = table[f"{metric}_ci_high"].astype(float).to_numpy() - values
    errors = np.nan_to_num(np.vstack([low, high]))
    positions = np.arange(len(table))
    axes.bar(positions, np.nan_to_num(values), yerr=errors, capsize=3)
    axes.set_xticks(positions, labels, rotation=45, ha="right", fontsize=7)
    axes.set_ylabel(metric)
    axes.set_title(f"{metric} with 95% bootstrap interval")
    figure.tight_layout()
    return plots.figure_png(figure)


def render_comparison_html(table: pd.DataFrame, images: dict[str, bytes]) -> str:
    """Render the comparison page: one table per data set, then the bar charts."""
    names = _headline_names(table)
    sections = []
    for dataset, group in table.groupby("dataset", sort=False):
        header = "".join(f"<th>{html.escape(n)}</th>" for n in names)
        rows = [f"<tr><th>model</th><th>n</th>{header}<th>flags</th></tr>"]
        for _, row in group.iterrows():
            cells = []
            for name in names:
                value = row[name]
                if value is None or (isinstance(value, float) and np.isnan(value)):
                    reason = html.escape(str(row[f"{name}_undefined"]))
                    cells.append(f'<td class="undefined">undefined: {reason}</td>')
                    continue
                low, high = row[f"{name}_ci_low"], row[f"{name}_ci_high"]
                interval = "" if pd.isna(low) else (
                    f" [{format_value(float(low), 3)}, {format_value(float(high), 3)}]")
                cells.append(f"<td>{format_value(float(value))}{interval}</td>")
            rows.append(f"<tr><td>{html.escape(row['model'])}</td><td>{row['n']}</td>"
                        + "".join(cells) + f"<td>{html.escape(row['flags'])}</td></tr>")
        sections.append(f"<h2>{html.escape(str(dataset))}</h2><table>" + "\n".join(rows)
                        + "</table>")
    pictures = "".join(
        f'<img alt="{html.escape(n)}" src="data:image/png;base64,'
        f'{base64.b64encode(data).decode("ascii")}">' for n, data in images.items())
    style = ("body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px}"
             "table{border-collapse:collapse;margin-bottom:1.5em;font-size:0.9em}"
             "th,td{border:1px solid #ccc;padding:0.25em 0.6em}td.undefined{color:#a00}"
             "img{max-width:48%;margin:0.5%}")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>bioseq comparison</title><style>{style}</style></head><body>"
            "<h1>bioseq comparison</h1><p>Values with 95% bootstrap intervals in brackets.</p>"
            + "\n".join(sections) + f"<h2>Plots</h2>{pictures}"
            f"<p><small>bioseq {__version__}</small></p></body></html>\n")


def write_comparison(folders: list[str | os.PathLike[str]],
                     out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Write ``comparison.csv`` and ``comparison.html`` for the evaluations in ``folders``."""
    files = find_evaluations(folders)
    table = comparison_table(files)
    out = Path(out_dir)
    make_output_folder(out)
    paths = {"csv": out / "comparison.csv", "html": out / "comparison.html"}
    write_csv_atomic(table, paths["csv"])
    images = {}
    for name in _headline_names(table):
        image = plot_comparison(table, name)
        if image is not None:
            images[name] = image
    write_text_atomic(paths["html"], render_comparison_html(table, images))
    logger.info("compared %d evaluations in %s", len(files), out)
    return paths
