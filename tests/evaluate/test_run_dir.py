"""bioseq evaluate on a run folder from bioseq train: manifest, curves, overlap."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from bioseq.cli import main


@pytest.fixture(scope="module")
def baseline_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    runner = CliRunner()
    simulated = runner.invoke(main, ["simulate", "--out", str(folder / "data"), "-n", "200",
                                     "--length", "60", "--seed", "3"])
    assert simulated.exit_code == 0, simulated.output
    trained = runner.invoke(main, ["train", "--data", str(folder / "data" / "train.csv"),
                                   "--data", str(folder / "data" / "valid.csv"),
                                   "--model", "kmer-logreg", "--out", str(folder / "run")])
    assert trained.exit_code == 0, trained.output
    return folder


def test_evaluate_run_folder_report(baseline_run, tmp_path):
    out = tmp_path / "eval"
    result = CliRunner().invoke(main, ["evaluate", str(baseline_run / "run"), "--data",
                                       str(baseline_run / "data" / "test.csv"), "--out", str(out),
                                       "--bootstrap", "50"])
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["model"]["run_dir"] == str(baseline_run / "run")
    assert metrics["data"]["train_overlap"]["method"] == "identical sequence"
    assert (out / "plots" / "training_curves.png").is_file()
    page = (out / "report.html").read_text()
    assert "Training run" in page


def test_evaluate_on_training_data_flags_overlap(baseline_run, tmp_path):
    out = tmp_path / "eval"
    result = CliRunner().invoke(main, ["evaluate", str(baseline_run / "run"), "--data",
                                       str(baseline_run / "data" / "train.csv"), "--out", str(out),
                                       "--bootstrap", "0"])
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    overlap = metrics["data"]["train_overlap"]
    assert overlap["n_overlap"] == metrics["n"]
    assert "test_overlaps_training" in [f["flag"] for f in metrics["flags"]]
    assert 'data-flag="test_overlaps_training"' in (out / "report.html").read_text()
