"""Metrics: values against scikit-learn, undefined cases, intervals."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn import metrics as skm

from bioseq.errors import LabelError
from bioseq.evaluate.metrics import (
    compute_metrics,
    expected_calibration_error,
    fast_auroc,
    fast_average_precision,
)


def binary_probabilities(positive_scores: list[float]) -> np.ndarray:
    p = np.asarray(positive_scores, dtype=float)
    return np.column_stack([1 - p, p])


def test_auroc_single_class_split_undefined():
    # The test split holds class 1 only: AUROC has no negatives to rank against.
    result = compute_metrics(np.array([1, 1, 1]), binary_probabilities([0.2, 0.9, 0.5]),
                             task="binary", class_names=["0", "1"], positive_class="1",
                             n_bootstrap=50)
    auroc = result["overall"]["auroc"]
    assert auroc["value"] is None
    assert auroc["reason"] == "test split contains only class 1"
    assert auroc["ci95"] is None
    # The other metrics are still computed.
    assert result["overall"]["accuracy"]["value"] == pytest.approx(1 / 3)
    assert result["overall"]["log_loss"]["value"] is not None
    assert any(flag["flag"] == "single_class_test_split" for flag in result["flags"])


def test_multiclass_missing_class_uses_full_label_set():
    # A 3-class model scored on a split without class 2.
    y_true = np.array([0, 0, 1, 1])
    scores = np.array([[0.7, 0.2, 0.1], [0.5, 0.3, 0.2], [0.2, 0.6, 0.2], [0.3, 0.3, 0.4]])
    result = compute_metrics(y_true, scores, task="multiclass", class_names=["a", "b", "c"],
                             n_bootstrap=50)
    per_class = result["per_class"]
    assert per_class["c"]["auroc"]["value"] is None
    assert "no sample of class" not in per_class["c"]["auroc"]["reason"]
    assert per_class["c"]["auroc"]["reason"] == "test split contains only other classes"
    assert per_class["a"]["auroc"]["value"] == pytest.approx(
        skm.roc_auc_score(y_true == 0, scores[:, 0]))
    macro = result["overall"]["auroc"]
    assert macro["n"] == 2
    assert macro["over"] == ["a", "b"]
    assert list(macro["left_out"]) == ["c"]
    assert macro["value"] == pytest.approx(
        np.mean([per_class["a"]["auroc"]["value"], per_class["b"]["auroc"]["value"]]))
    assert np.array(result["confusion_matrix"]["matrix"]).shape == (3, 3)
    assert any(flag["flag"] == "classes_missing_from_test_split" for flag in result["flags"])


def test_all_positive_split_average_precision_undefined():
    # With every label positive, AP would be 1.0 whatever the scores are.
    result = compute_metrics(np.ones(5, dtype=int),
                             binary_probabilities([0.1, 0.3, 0.1, 0.2, 0.1]),
                             task="binary", class_names=["neg", "pos"], positive_class="pos",
                             n_bootstrap=50)
    auprc = result["overall"]["auprc"]
    assert auprc["value"] is None
    assert auprc["reason"] == "test split contains only class pos"
    assert result["overall"]["auroc"]["reason"] == auprc["reason"]
    assert any(flag["flag"] == "single_class_test_split" for flag in result["flags"])


def test_all_negative_split_every_ranking_metric_undefined():
    result = compute_metrics(np.zeros(4, dtype=int),
                             binary_probabilities([0.1, 0.4, 0.35, 0.8]),
                             task="binary", class_names=["0", "1"], positive_class="1",
                             n_bootstrap=50)
    overall = result["overall"]
    for name in ("auroc", "auprc", "mcc"):
        assert overall[name]["value"] is None, name
        assert overall[name]["reason"] == "test split contains only class 0", name
    for name in ("auroc", "auprc"):
        assert result["per_class"]["1"][name]["value"] is None, name
    # Recall of class 1 is undefined, so balanced accuracy averages one class only.
    assert overall["balanced_accuracy"]["n"] == 1
    assert overall["balanced_accuracy"]["left_out"] == {
        "1": "test split contains no sample of class 1"}
    text = json.dumps(result, allow_nan=False)
    assert "NaN" not in text


def test_positive_class_is_explicit_not_sorted():
    y_true = np.array([0, 0, 1, 1, 1])
    p_second = np.array([0.2, 0.6, 0.7, 0.4, 0.9])
    scores = binary_probabilities(p_second)
    names = ["pos", "neg"]  # deliberately not in sorted order
    first = compute_metrics(y_true, scores, task="binary", class_names=names,
                            positive_class="pos", n_bootstrap=0)
    second = compute_metrics(y_true, scores, task="binary", class_names=names,
                             positive_class="neg", n_bootstrap=0)
    assert first["positive_class"] == "pos"
    assert first["overall"]["auprc"]["value"] == pytest.approx(
        skm.average_precision_score(y_true == 0, scores[:, 0]))
    assert second["overall"]["auprc"]["value"] == pytest.approx(
        skm.average_precision_score(y_true == 1, scores[:, 1]))
    with pytest.raises(LabelError, match="positive class 'other'"):
        compute_metrics(y_true, scores, task="binary", class_names=names,
                        positive_class="other", n_bootstrap=0)


def test_binary_values_match_sklearn():
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 2, 200)
    p = np.clip(y_true * 0.3 + rng.random(200) * 0.7, 0, 1)
    scores = binary_probabilities(p)
    y_pred = scores.argmax(axis=1)
    result = compute_metrics(y_true, scores, task="binary", class_names=["0", "1"],
                             positive_class="1", n_bootstrap=0)
    overall = result["overall"]
    assert overall["accuracy"]["value"] == pytest.approx(skm.accuracy_score(y_true, y_pred))
    assert overall["balanced_accuracy"]["value"] == pytest.approx(
        skm.balanced_accuracy_score(y_true, y_pred))
    assert overall["f1_macro"]["value"] == pytest.approx(
        skm.f1_score(y_true, y_pred, average="macro"))
    assert overall["mcc"]["value"] == pytest.approx(skm.matthews_corrcoef(y_true, y_pred))
    assert overall["auroc"]["value"] == pytest.approx(skm.roc_auc_score(y_true, p))
    assert overall["auprc"]["value"] == pytest.approx(skm.average_precision_score(y_true, p))
    assert overall["log_loss"]["value"] == pytest.approx(skm.log_loss(y_true, scores), rel=1e-4)
    assert overall["brier"]["value"] == pytest.approx(skm.brier_score_loss(y_true, p))
    assert result["per_class"]["1"]["precision"]["value"] == pytest.approx(
        skm.precision_score(y_true, y_pred))


def test_multiclass_mcc_matches_sklearn():
    rng = np.random.default_rng(2)
    y_true = rng.integers(0, 4, 300)
    scores = rng.dirichlet(np.ones(4), 300)
    scores[np.arange(300), y_true] += 0.3
    scores /= scores.sum(axis=1, keepdims=True)
    result = compute_metrics(y_true, scores, task="multiclass", class_names=list("wxyz"),
                             n_bootstrap=0)
    y_pred = scores.argmax(axis=1)
    assert result["overall"]["mcc"]["value"] == pytest.approx(skm.matthews_corrcoef(y_true, y_pred))
    assert result["overall"]["auroc"]["value"] == pytest.approx(
        skm.roc_auc_score(y_true, scores, multi_class="ovr", average="macro"))


def test_constant_prediction_mcc_undefined():
    y_true = np.array([0, 1, 0, 1])
    scores = binary_probabilities([0.9, 0.8, 0.7, 0.95])
    result = compute_metrics(y_true, scores, task="binary", class_names=["0", "1"],
                             n_bootstrap=0)
    assert result["overall"]["mcc"]["value"] is None
    assert result["overall"]["mcc"]["reason"] == "every sample is predicted as class 1"
    assert result["per_class"]["0"]["precision"]["reason"] == "no sample is predicted as class 0"
    assert any(flag["flag"] == "predicts_one_class" for flag in result["flags"])
    assert any(flag["flag"] == "accuracy_at_chance" for flag in result["flags"])


def test_fast_ranking_metrics_match_sklearn_with_ties():
    rng = np.random.default_rng(3)
    for _ in range(20):
        is_positive = rng.random(60) < 0.4
        scores = np.round(rng.random(60), 1)
        assert fast_auroc(is_positive, scores) == pytest.approx(
            skm.roc_auc_score(is_positive, scores))
        assert fast_average_precision(is_positive, scores) == pytest.approx(
            skm.average_precision_score(is_positive, scores))


def test_bootstrap_interval_seeded_and_contains_value():
    rng = np.random.default_rng(4)
    y_true = rng.integers(0, 2, 150)
    scores = binary_probabilities(np.clip(y_true * 0.4 + rng.random(150) * 0.6, 0, 1))
    kwargs = dict(task="binary", class_names=["0", "1"], n_bootstrap=200)
    first = compute_metrics(y_true, scores, seed=7, **kwargs)
    again = compute_metrics(y_true, scores, seed=7, **kwargs)
    other = compute_metrics(y_true, scores, seed=8, **kwargs)
    for name in first["headline"]:
        metric = first["overall"][name]
        low, high = metric["ci95"]
        assert low <= metric["value"] <= high, name
        assert metric["ci95"] == again["overall"][name]["ci95"], name
    assert first["overall"]["auroc"]["ci95"] != other["overall"]["auroc"]["ci95"]


def test_expected_calibration_error_perfect_and_overconfident():
    confidence = np.array([0.25, 0.25, 0.25, 0.25])
    correct = np.array([True, False, False, False])
    assert expected_calibration_error(confidence, correct) == pytest.approx(0.0)
    assert expected_calibration_error(np.full(4, 0.95), correct) == pytest.approx(0.70)


def test_multilabel_per_label_and_micro():
    y_true = np.array([[1, 0, 1], [0, 0, 1], [1, 0, 1], [0, 0, 1]])
    scores = np.array([[0.9, 0.1, 0.8], [0.2, 0.3, 0.6], [0.6, 0.2, 0.7], [0.4, 0.1, 0.9]])
    result = compute_metrics(y_true, scores, task="multilabel", class_names=["p", "q", "r"],
                             n_bootstrap=50)
    per_label = result["per_class"]
    assert per_label["p"]["auroc"]["value"] == pytest.approx(1.0)
    assert per_label["q"]["auroc"]["value"] is None
    assert per_label["r"]["auroc"]["reason"] == "every sample in the test split has label r"
    assert result["overall"]["auroc_macro"]["n"] == 1
    assert result["overall"]["auroc_micro"]["value"] == pytest.approx(
        skm.roc_auc_score(y_true.ravel(), scores.ravel()))
    assert result["overall"]["f1_micro"]["value"] == pytest.approx(
        skm.f1_score(y_true, scores >= 0.5, average="micro"))


def test_regression_values_and_constant_targets():
    rng = np.random.default_rng(5)
    y = rng.normal(size=80)
    p = y + rng.normal(scale=0.5, size=80)
    result = compute_metrics(y, p, task="regression", class_names=["y"], n_bootstrap=50)
    overall = result["overall"]
    assert overall["mse"]["value"] == pytest.approx(skm.mean_squared_error(y, p))
    assert overall["mae"]["value"] == pytest.approx(skm.mean_absolute_error(y, p))
    assert overall["r2"]["value"] == pytest.approx(skm.r2_score(y, p))
    assert overall["pearson"]["value"] == pytest.approx(np.corrcoef(y, p)[0, 1])
    constant = compute_metrics(np.ones(5), np.arange(5.0), task="regression",
                               class_names=["y"], n_bootstrap=0)
    assert constant["overall"]["r2"]["value"] is None
    assert constant["overall"]["spearman"]["reason"] == (
        "the true values in the test split are constant")


def test_wrong_score_shape_names_classes():
    with pytest.raises(LabelError, match=r"\(4, 3\) for classes \['a', 'b', 'c'\]"):
        compute_metrics(np.array([0, 1, 1, 0]), np.zeros((4, 2)), task="multiclass",
                        class_names=["a", "b", "c"], n_bootstrap=0)


def test_multilabel_bootstrap_headline_matches_point():
    from bioseq.evaluate.metrics import _multilabel_headline

    rng = np.random.default_rng(6)
    y_true = (rng.random((120, 4)) < 0.3).astype(float)
    y_true[:, 3] = 0  # one label never present: left out of the macro averages
    scores = np.clip(y_true * 0.3 + rng.random((120, 4)) * 0.7, 0, 1)
    result = compute_metrics(y_true, scores, task="multilabel", class_names=list("pqrs"),
                             n_bootstrap=30)
    fast = _multilabel_headline(y_true.astype(bool), scores, 0.5)
    for name in ("auroc_macro", "auprc_macro", "f1_macro", "f1_micro"):
        assert fast[name] == pytest.approx(result["overall"][name]["value"]), name
        low, high = result["overall"][name]["ci95"]
        assert low <= high, name


def test_empty_test_set_rejected():
    with pytest.raises(LabelError, match="no records to evaluate"):
        compute_metrics(np.zeros(0, dtype=int), np.zeros((0, 2)), task="binary",
                        class_names=["a", "b"])
