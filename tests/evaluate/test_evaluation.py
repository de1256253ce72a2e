"""evaluate_model on a fitted baseline: outputs, label alignment, undefined metrics."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from bioseq.errors import LabelError
from bioseq.evaluate.evaluation import evaluate_model
from bioseq.models.modelfile import save_model
from bioseq.sequences import SequenceSet
from bioseq.train.baseline import fit_baseline

from .test_baseline import motif_set


@pytest.fixture(scope="module")
def baseline_file(tmp_path_factory):
    model, metadata = fit_baseline(motif_set(300, 3, seed=11), k=3)
    return save_model(tmp_path_factory.mktemp("model") / "model.safetensors", model, metadata)


def test_evaluate_model_writes_folder(baseline_file, tmp_path):
    test = motif_set(90, 3, seed=12)
    paths = evaluate_model(baseline_file, test, tmp_path / "eval", n_bootstrap=50)
    metrics = json.loads(paths["metrics"].read_text())
    assert metrics["n"] == 90
    assert metrics["model"]["name"] == "kmer-logreg"
    assert metrics["data"]["train_overlap"]["method"] == "not checked (no training data found)"
    predictions = pd.read_csv(paths["predictions"])
    accuracy = np.mean(predictions["true_label"] == predictions["predicted_label"])
    assert accuracy == pytest.approx(metrics["overall"]["accuracy"]["value"])


def test_evaluate_reordered_test_classes(baseline_file, tmp_path):
    # The test file lists the classes in another order; labels follow the names.
    test = motif_set(60, 3, seed=13)
    order = ["class2", "class0", "class1"]
    relabelled = np.array([order.index(test.class_names[i]) for i in test.labels])
    shuffled = SequenceSet(ids=test.ids, codes=test.codes, offsets=test.offsets,
                           alphabet=test.alphabet, labels=relabelled, class_names=order,
                           task="multiclass")
    direct = json.loads(evaluate_model(baseline_file, test, tmp_path / "a",
                                       n_bootstrap=0)["metrics"].read_text())
    mapped = json.loads(evaluate_model(baseline_file, shuffled, tmp_path / "b",
                                       n_bootstrap=0)["metrics"].read_text())
    assert mapped["overall"]["accuracy"] == direct["overall"]["accuracy"]
    assert mapped["class_counts"] == direct["class_counts"]


def test_evaluate_single_class_split_reports_undefined(baseline_file, tmp_path):
    test = motif_set(60, 3, seed=14)
    only_class1 = test.subset(test.labels == 1)
    paths = evaluate_model(baseline_file, only_class1, tmp_path / "eval", n_bootstrap=20)
    metrics = json.loads(paths["metrics"].read_text())
    assert metrics["overall"]["auroc"]["value"] is None
    assert metrics["per_class"]["class1"]["auroc"]["reason"] == (
        "test split contains only class class1")
    assert paths["report"].is_file()


def test_evaluate_unknown_class_rejected(baseline_file, tmp_path):
    test = SequenceSet.from_strings(["ACGTACGTAC", "GGGGCCCCAA"], labels=np.array([0, 1]),
                                    class_names=["class0", "other"], task="binary")
    with pytest.raises(LabelError, match=r"class\(es\) \['other'\] that the model does not know"):
        evaluate_model(baseline_file, test, tmp_path / "eval", n_bootstrap=0)


def test_evaluate_regression_model(tmp_path):
    torch = pytest.importorskip("torch")
    from bioseq.models.registry import get_model

    torch.manual_seed(2)
    model = get_model("deepbind", n_outputs=1).eval()
    path = save_model(tmp_path / "model.safetensors", model, {
        "task": "regression", "class_names": ["signal"], "alphabet": "dna",
        "input": {"kind": "onehot", "alphabet": "dna", "length": 40}})
    rng = np.random.default_rng(3)
    sequences = ["".join(rng.choice(list("ACGT"), 40)) for _ in range(30)]
    test = SequenceSet.from_strings(sequences, labels=rng.normal(size=30).astype(np.float32),
                                    class_names=["signal"], task="regression")
    paths = evaluate_model(path, test, tmp_path / "eval", n_bootstrap=20)
    metrics = json.loads(paths["metrics"].read_text())
    for name in ("mse", "mae", "r2", "pearson", "spearman"):
        assert metrics["overall"][name]["value"] is not None, name
    predictions = pd.read_csv(paths["predictions"])
    assert list(predictions.columns) == ["id", "true_signal", "value_signal"]
    mse = np.mean((predictions["true_signal"] - predictions["value_signal"]) ** 2)
    assert mse == pytest.approx(metrics["overall"]["mse"]["value"], rel=1e-4)
    assert paths["plot_predicted_vs_true"].is_file()


def test_evaluate_given_training_records_overlap(baseline_file, tmp_path):
    test = motif_set(40, 3, seed=15)
    train = test.subset(np.arange(10))
    paths = evaluate_model(baseline_file, test, tmp_path / "eval", n_bootstrap=0,
                           train_records=train)
    overlap = json.loads(paths["metrics"].read_text())["data"]["train_overlap"]
    assert overlap["method"] == "identical sequence"
    assert overlap["n_overlap"] >= 10
