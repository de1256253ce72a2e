"""Multilabel data through the command line: simulate, train, evaluate and predict."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

BIOSEQ = str(Path(sys.executable).with_name("bioseq"))
LABELS = ["tata_box", "gc_box", "e_box"]
LABEL_OPTIONS = [option for name in LABELS for option in ("--label-column", name)]


def bioseq(*args: str, cwd: Path) -> None:
    done = subprocess.run([BIOSEQ, "-q", *args], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_multilabel_run_reports_every_label(tmp_path):
    bioseq("simulate", "--out", "data", "--task", "multilabel", "-n", "300", "--length", "100",
           cwd=tmp_path)
    bioseq("train", "--data", "train:data/train.csv", "--data", "valid:data/valid.csv",
           *LABEL_OPTIONS, "--model", "cnn", "--epochs", "2", "--out", "run", cwd=tmp_path)
    bioseq("evaluate", "run", "--data", "data/test.csv", *LABEL_OPTIONS, "--out", "eval",
           cwd=tmp_path)
    bioseq("predict", "run/model.safetensors", "data/test.csv", "--out", "predictions.csv",
           cwd=tmp_path)

    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert metrics["task"] == "multilabel"
    assert metrics["class_names"] == LABELS
    assert set(metrics["per_class"]) == set(LABELS)

    # The per-label AUROC in the report is the one computed from its own predictions file.
    test = pd.read_csv(tmp_path / "data" / "test.csv")
    scored = pd.read_csv(tmp_path / "eval" / "predictions.csv").set_index("id").loc[test["id"]]
    per_class = pd.read_csv(tmp_path / "eval" / "per_class.csv").set_index("class")
    for name in LABELS:
        expected = roc_auc_score(test[name], scored[f"prob_{name}"])
        assert np.isclose(per_class.loc[name, "auroc"], expected)

    plots = {path.name for path in (tmp_path / "eval" / "plots").iterdir()}
    assert {"roc.png", "precision_recall.png"} <= plots
    html = (tmp_path / "eval" / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= 2

    # predict writes one probability column per label and the labels above the threshold.
    predicted = pd.read_csv(tmp_path / "predictions.csv")
    assert list(predicted.columns) == ["id", *(f"prob_{name}" for name in LABELS),
                                       "predicted_labels"]
    assert len(predicted) == len(test)
    above = predicted[[f"prob_{name}" for name in LABELS]].to_numpy() >= 0.5
    listed = [";".join(n for n, hit in zip(LABELS, row, strict=True) if hit) for row in above]
    assert [str(v) if isinstance(v, str) else "" for v in predicted["predicted_labels"]] == listed
