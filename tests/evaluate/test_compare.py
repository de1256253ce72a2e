"""bioseq report: side-by-side CSV and HTML from several evaluation folders."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from bioseq.cli import main
from bioseq.errors import ConfigError
from bioseq.evaluate.compare import find_evaluations, write_comparison

from .conftest import write_toy


def test_comparison_csv_matches_metrics(tmp_path):
    first = write_toy(tmp_path / "a" / "eval")
    second = write_toy(tmp_path / "b" / "eval")
    paths = write_comparison([tmp_path / "a", second["metrics"].parent], tmp_path / "cmp")
    table = pd.read_csv(paths["csv"])
    assert len(table) == 2
    metrics = json.loads(first["metrics"].read_text())
    for name in metrics["headline"]:
        assert table.loc[0, name] == pytest.approx(metrics["overall"][name]["value"])
        assert table.loc[0, f"{name}_ci_low"] == pytest.approx(metrics["overall"][name]["ci95"][0])
    page = paths["html"].read_text()
    assert page.count("<img") == len(metrics["headline"])


def test_report_cli_writes_both_files(tmp_path):
    write_toy(tmp_path / "runs" / "x")
    result = CliRunner().invoke(main, ["report", str(tmp_path / "runs"), "--out",
                                       str(tmp_path / "cmp")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cmp" / "comparison.csv").is_file()
    assert (tmp_path / "cmp" / "comparison.html").is_file()


def test_folder_without_metrics_rejected(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no metrics.json found"):
        find_evaluations([tmp_path / "empty"])


def test_repeated_run_names_get_parent():
    from pathlib import Path

    from bioseq.evaluate.compare import run_labels

    folders = [Path("out/s/cnn/fold0"), Path("out/s/transformer/fold0"), Path("out/a/cnn"),
               Path("out/b/cnn")]
    labels = run_labels(["s", "s", "a", "b"], folders, ["cnn", "conv-transformer", "cnn", "cnn"])
    assert labels == ["cnn/fold0 (cnn)", "transformer/fold0 (conv-transformer)", "cnn (cnn)",
                      "cnn (cnn)"]
