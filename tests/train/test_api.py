"""Tests of the scikit-learn style SequenceClassifier."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import motif_sequences
from sklearn.base import clone
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from bioseq.api import SequenceClassifier
from bioseq.errors import LabelError

PARAMS = {"model": "cnn", "model_params": {"conv_layers": [{"filters": 8, "kernel_size": 6}]},
          "epochs": 6, "batch_size": 32, "lr": 0.01, "accelerator": "cpu"}


@pytest.fixture(scope="module")
def data() -> tuple[list[str], np.ndarray]:
    sequences, labels = motif_sequences(300, 40, seed=1)
    return sequences, np.where(labels == 1, "motif", "background")


def test_fit_predict_score(data: tuple[list[str], np.ndarray]) -> None:
    X, y = data
    clf = SequenceClassifier(**PARAMS).fit(X[:240], y[:240])
    assert clf.classes_.tolist() == ["background", "motif"]
    probabilities = clf.predict_proba(X[240:])
    assert probabilities.shape == (60, 2)
    assert np.allclose(probabilities.sum(axis=1), 1.0)
    assert set(clf.predict(X[240:]).tolist()) <= {"background", "motif"}
    assert clf.score(X[240:], y[240:]) >= 0.8


def test_get_set_params_and_clone() -> None:
    clf = SequenceClassifier(**PARAMS)
    assert clf.get_params()["epochs"] == 6
    clf.set_params(epochs=2)
    assert clone(clf).get_params()["epochs"] == 2


def test_cross_val_score(data: tuple[list[str], np.ndarray]) -> None:
    X, y = data
    scores = cross_val_score(SequenceClassifier(**{**PARAMS, "epochs": 2}), X[:120], y[:120], cv=2)
    assert scores.shape == (2,)
    assert np.all((scores >= 0) & (scores <= 1))


def test_pipeline_with_transformer(data: tuple[list[str], np.ndarray]) -> None:
    X, y = data
    lower = [s.lower() for s in X]
    pipeline = make_pipeline(FunctionTransformer(lambda items: [s.upper() for s in items]),
                             SequenceClassifier(**{**PARAMS, "epochs": 2}))
    pipeline.fit(lower[:100], y[:100])
    assert pipeline.predict(lower[100:110]).shape == (10,)


def test_save_load_same_predictions(tmp_path: Path, data: tuple[list[str], np.ndarray]) -> None:
    X, y = data
    clf = SequenceClassifier(**{**PARAMS, "epochs": 2, "rc_average": True}).fit(X[:100], y[:100])
    clf.save(tmp_path / "clf.safetensors")
    loaded = SequenceClassifier.load(tmp_path / "clf.safetensors")
    assert loaded.classes_.tolist() == clf.classes_.tolist()
    assert loaded.get_params()["epochs"] == 2
    assert np.allclose(loaded.predict_proba(X[100:120]), clf.predict_proba(X[100:120]))


def test_multiclass_labels(data: tuple[list[str], np.ndarray]) -> None:
    X, _ = data
    y = np.arange(len(X)) % 3
    clf = SequenceClassifier(**{**PARAMS, "epochs": 1}).fit(X[:90], y[:90])
    assert clf.classes_.tolist() == [0, 1, 2]
    assert clf.predict_proba(X[:5]).shape == (5, 3)


def test_fit_rejects_single_class(data: tuple[list[str], np.ndarray]) -> None:
    X, _ = data
    with pytest.raises(LabelError, match="single class"):
        SequenceClassifier(**PARAMS).fit(X[:10], ["a"] * 10)


def test_fit_rejects_length_mismatch(data: tuple[list[str], np.ndarray]) -> None:
    X, y = data
    with pytest.raises(LabelError, match="10 sequences but y has 9 labels"):
        SequenceClassifier(**PARAMS).fit(X[:10], y[:9])
