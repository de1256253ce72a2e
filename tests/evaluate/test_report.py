"""Evaluation folder: files written, numbers in report.html equal metrics.json."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from bioseq.evaluate.report import data_flags, summarize_data
from bioseq.sequences import SequenceSet

from .conftest import toy_test_set, write_toy


def test_evaluation_folder_files(tmp_path):
    paths = write_toy(tmp_path / "eval")
    for kind in ("metrics", "per_class", "predictions", "report", "plot_roc",
                 "plot_precision_recall", "plot_confusion_matrix", "plot_calibration",
                 "plot_score_distribution", "plot_training_curves", "plot_lengths"):
        assert paths[kind].is_file(), kind
    predictions = pd.read_csv(paths["predictions"])
    assert list(predictions.columns) == ["id", "true_label", "prob_neg", "prob_pos",
                                         "predicted_label"]
    assert predictions["predicted_label"].tolist() == ["neg", "pos", "pos", "neg", "neg", "neg"]
    per_class = pd.read_csv(paths["per_class"])
    assert per_class["class"].tolist() == ["neg", "pos"]
    leftovers = [p.name for p in (tmp_path / "eval").rglob("*.tmp")]
    assert leftovers == []


def test_report_numbers_come_from_metrics_json(tmp_path):
    paths = write_toy(tmp_path / "eval")
    metrics = json.loads(paths["metrics"].read_text())
    page = paths["report"].read_text()
    cells = re.findall(r'data-metric="([^"]+)"[^>]*>([^<]*)<', page)
    assert len(cells) > 20
    for path, text in cells:
        node = metrics
        for part in path.split("."):
            node = node[part]
        if node["value"] is None:
            assert text.startswith("undefined"), path
        else:
            assert float(text) == pytest.approx(node["value"], abs=5e-5), path
    intervals = re.findall(r'data-interval="([^"]+)">([^<]*)<', page)
    assert intervals
    for path, text in intervals:
        _, name = path.split(".")
        low, high = (float(v) for v in text.split(" - "))
        assert low == pytest.approx(metrics["overall"][name]["ci95"][0], abs=5e-5)
        assert high == pytest.approx(metrics["overall"][name]["ci95"][1], abs=5e-5)


def test_report_self_contained(tmp_path):
    paths = write_toy(tmp_path / "eval")
    page = paths["report"].read_text()
    assert "http://" not in page
    assert "https://" not in page
    sources = re.findall(r'<img[^>]+src="([^"]+)"', page)
    assert len(sources) == 7
    assert all(s.startswith("data:image/png;base64,") for s in sources)


def test_overlap_with_training_flagged(tmp_path):
    train = SequenceSet.from_strings(["GGGTTA", "AAAA"], ids=["r1", "r2"])
    summary = summarize_data(toy_test_set(), train)
    assert summary["train_overlap"]["n_overlap"] == 1
    assert summary["train_overlap"]["ids"] == ["t2"]
    assert summary["duplicates"]["n_duplicate_copies"] == 1
    assert summary["duplicates"]["n_conflicting_labels"] == 1
    flags = [f["flag"] for f in data_flags(summary)]
    assert flags == ["test_overlaps_training", "conflicting_duplicates"]
    paths = write_toy(tmp_path / "eval", train)
    assert 'data-flag="test_overlaps_training"' in paths["report"].read_text()


def test_report_states_macro_coverage(tmp_path):
    import numpy as np

    from bioseq.evaluate.metrics import compute_metrics
    from bioseq.evaluate.report import write_evaluation

    # A 3-class model evaluated on a split without class c.
    y_true = np.array([0, 0, 1, 1])
    scores = np.array([[0.7, 0.2, 0.1], [0.5, 0.3, 0.2], [0.2, 0.6, 0.2], [0.3, 0.3, 0.4]])
    metrics = compute_metrics(y_true, scores, task="multiclass", class_names=["a", "b", "c"],
                              n_bootstrap=20)
    paths = write_evaluation(tmp_path / "eval", metrics, ids=np.array(["w", "x", "y", "z"]),
                             y_true=y_true, scores=scores)
    page = paths["report"].read_text()
    assert ("averaged over a, b; left out: c (test split contains only other classes)"
            in page)
    assert 'data-flag="classes_missing_from_test_split"' in page
    per_class = pd.read_csv(paths["per_class"]).set_index("class")
    assert np.isnan(per_class.loc["c", "auroc"])
    assert per_class.loc["c", "auroc_undefined_reason"] == "test split contains only other classes"
