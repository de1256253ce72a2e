"""bioseq evaluate on the command line, from a model file and data files."""

from __future__ import annotations

import json

import pandas as pd
from click.testing import CliRunner

from bioseq.cli import main
from bioseq.models.modelfile import save_model
from bioseq.train.baseline import fit_baseline

from .test_baseline import motif_set


def write_csv(seqs, path, names=None):
    names = names or seqs.class_names
    pd.DataFrame({"id": seqs.ids.astype(str),
                  "sequence": [seqs.sequence(i) for i in range(len(seqs))],
                  "label": [names[i] for i in seqs.labels]}).to_csv(path, index=False)
    return path


def test_evaluate_cli_model_file(tmp_path):
    model, metadata = fit_baseline(motif_set(200, 2, seed=21), k=3)
    model_path = save_model(tmp_path / "model.safetensors", model, metadata)
    test_csv = write_csv(motif_set(50, 2, seed=22), tmp_path / "test.csv")
    out = tmp_path / "eval"
    result = CliRunner().invoke(main, ["evaluate", str(model_path), "--data", str(test_csv),
                                       "--sequence-column", "sequence", "--id-column", "id",
                                       "--label-column", "label", "--out", str(out),
                                       "--bootstrap", "50"])
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n"] == 50
    assert metrics["positive_class"] == "class1"
    assert metrics["overall"]["auroc"]["value"] > 0.8
    for name in ("report.html", "per_class.csv", "predictions.csv", "plots/roc.png"):
        assert (out / name).is_file(), name


def test_evaluate_cli_single_class_exits_cleanly(tmp_path):
    model, metadata = fit_baseline(motif_set(200, 2, seed=23), k=3)
    model_path = save_model(tmp_path / "model.safetensors", model, metadata)
    test = motif_set(40, 2, seed=24)
    only_positive = test.subset(test.labels == 1)
    test_csv = write_csv(only_positive, tmp_path / "test.csv")
    out = tmp_path / "eval"
    result = CliRunner().invoke(main, ["evaluate", str(model_path), "--data", str(test_csv),
                                       "--sequence-column", "sequence", "--id-column", "id",
                                       "--label-column", "label", "--out", str(out),
                                       "--bootstrap", "20"])
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["overall"]["auroc"]["value"] is None
    assert metrics["overall"]["auroc"]["reason"] == "test split contains only class class1"
    assert metrics["overall"]["accuracy"]["value"] is not None


def test_evaluate_cli_unknown_split_is_usage_error(tmp_path):
    model, metadata = fit_baseline(motif_set(100, 2, seed=25), k=2)
    model_path = save_model(tmp_path / "model.safetensors", model, metadata)
    test_csv = write_csv(motif_set(20, 2, seed=26), tmp_path / "test.csv")
    result = CliRunner().invoke(main, ["evaluate", str(model_path), "--data",
                                       f"test:{test_csv}", "--sequence-column", "sequence",
                                       "--id-column", "id", "--label-column", "label",
                                       "--split", "holdout", "--out", str(tmp_path / "eval")])
    assert result.exit_code == 2
    assert "no records in split 'holdout'" in result.output
