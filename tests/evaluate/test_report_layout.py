"""Report presentation: training-curve axes, the run table and repeated folders."""

from __future__ import annotations

import json

import pandas as pd
from click.testing import CliRunner

from bioseq.cli import main
from bioseq.evaluate.plots import plot_training_curves
from bioseq.evaluate.report import render_report_html

from .conftest import write_toy


def write_curves(path):
    pd.DataFrame({"epoch": [0, 1, 2, 3], "train_loss": [0.7, 0.5, 0.4, 0.35],
                  "val_auroc": [0.6, 0.7, 0.75, 0.8],
                  "lr": [1e-3, 1e-3, 5e-4, 2.5e-4]}).to_csv(path, index=False)
    return path


def line_labels(axes):
    return [line.get_label() for line in axes.get_lines()]


def test_learning_rate_on_own_axis(tmp_path):
    figure = plot_training_curves(write_curves(tmp_path / "metrics.csv"))
    loss_axes, metric_axes, rate_axes = figure.axes
    assert line_labels(loss_axes) == ["train_loss"]
    assert line_labels(metric_axes) == ["val_auroc"]
    assert line_labels(rate_axes) == ["lr"]
    assert rate_axes.get_ylabel() == "Learning rate"
    assert metric_axes.get_ylim()[0] > 0.3


def test_epoch_ticks_are_integers(tmp_path):
    figure = plot_training_curves(write_curves(tmp_path / "metrics.csv"))
    figure.canvas.draw()
    for axes in figure.axes[:2]:
        ticks = [tick for tick in axes.get_xticks() if -0.5 <= tick <= 3.5]
        assert ticks, axes.get_title()
        assert all(float(tick).is_integer() for tick in ticks), ticks


def test_training_run_shown_as_table(tmp_path):
    paths = write_toy(tmp_path / "eval")
    metrics = json.loads(paths["metrics"].read_text())
    manifest = {"seed": 7, "device": {"accelerator": "gpu", "devices": [0, 1]}}
    page = render_report_html(metrics, {}, manifest)
    section = page[page.index("<h2>Training run</h2>"):]
    assert "<pre>" not in section.split("<h2>", 2)[1]
    assert "<th>seed</th><td>7</td>" in section
    assert "<th>device.accelerator</th><td>gpu</td>" in section
    assert "<th>device.devices</th><td>0, 1</td>" in section


def test_report_same_folder_twice_once(tmp_path):
    write_toy(tmp_path / "a" / "eval")
    folder = tmp_path / "a" / "eval"
    result = CliRunner().invoke(main, ["report", str(folder), str(folder),
                                       "--out", str(tmp_path / "cmp")])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "cmp" / "comparison.csv")
    assert len(table) == 1
    # The CLI sends log records to stderr, which the runner's output includes.
    assert "given more than once" in result.output
