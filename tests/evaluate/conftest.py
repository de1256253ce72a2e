"""Helpers shared by the evaluation tests: a small scored test set."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from bioseq.evaluate.metrics import compute_metrics
from bioseq.evaluate.report import data_flags, summarize_data, write_evaluation
from bioseq.sequences import SequenceSet


def toy_test_set() -> SequenceSet:
    sequences = ["ACGTAC", "ACGTAC", "GGGTTA", "TTTACG", "CCGA", "ACGTTTG"]
    return SequenceSet.from_strings(
        sequences, ids=[f"t{i}" for i in range(6)],
        labels=np.array([0, 1, 1, 0, 1, 0]), class_names=["neg", "pos"], task="binary")


def write_toy(out_dir: Path, train: SequenceSet | None = None) -> dict[str, Path]:
    test = toy_test_set()
    scores = np.array([[0.8, 0.2], [0.3, 0.7], [0.4, 0.6], [0.6, 0.4], [0.55, 0.45], [0.9, 0.1]])
    metrics = compute_metrics(test.labels, scores, task="binary", class_names=test.class_names,
                              positive_class="pos", n_bootstrap=100, seed=3)
    metrics["data"] = summarize_data(test, train)
    metrics["flags"] += data_flags(metrics["data"])
    metrics["model"] = {"path": "model.safetensors", "name": "toy"}
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    curves = out_dir.parent / "metrics.csv"
    pd.DataFrame({"epoch": [0, 1, 2], "train_loss": [0.7, 0.5, 0.4],
                  "val_loss": [0.72, 0.6, 0.55], "val_auroc": [0.6, 0.7, 0.75]}).to_csv(
        curves, index=False)
    return write_evaluation(out_dir, metrics, ids=test.ids, y_true=test.labels, scores=scores,
                            lengths=test.lengths, manifest={"run": "toy"}, metrics_csv=curves)
