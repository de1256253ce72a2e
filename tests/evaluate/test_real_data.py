"""Baseline train and evaluate on a real data set (human TATA promoters)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from bioseq.cli import main


@pytest.mark.slow
def test_tata_baseline_report(shared_data, tmp_path):
    folder = shared_data / "human_tata_promoters"
    runner = CliRunner()
    columns = ["--sequence-column", "sequence", "--label-column", "class"]
    trained = runner.invoke(main, ["train", "--data", f"train:{folder / 'hs_TA_data_train.csv.gz'}",
                                   "--data", f"valid:{folder / 'hs_TA_data_val.csv'}", *columns,
                                   "--model", "kmer-logreg", "--out", str(tmp_path / "run")])
    assert trained.exit_code == 0, trained.output
    evaluated = runner.invoke(main, ["evaluate", str(tmp_path / "run"), "--data",
                                     str(folder / "hs_TA_data_test.csv"), *columns,
                                     "--out", str(tmp_path / "eval"), "--bootstrap", "200"])
    assert evaluated.exit_code == 0, evaluated.output
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert metrics["n"] == 500
    assert metrics["class_counts"] == {"0": 250, "1": 250}
    # The negatives are built from promoter fragments, so k-mer composition is a
    # weak signal here; the 95% interval must still lie above chance.
    auroc = metrics["overall"]["auroc"]["value"]
    low, high = metrics["overall"]["auroc"]["ci95"]
    assert low > 0.5
    assert low < auroc < high
    assert metrics["data"]["train_overlap"]["method"] == "identical sequence"
