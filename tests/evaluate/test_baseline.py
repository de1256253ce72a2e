"""kmer-logreg baseline: fitted weights reproduce scikit-learn, save and reload."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from bioseq.encode.batch import InputSpec
from bioseq.errors import ConfigError, LabelError
from bioseq.models.modelfile import load_model, save_model
from bioseq.predict import Predictor
from bioseq.sequences import SequenceSet
from bioseq.train.baseline import fit_baseline, kmer_features


def motif_set(n: int, n_classes: int, seed: int) -> SequenceSet:
    """Random DNA where class c carries motif c; a signal logistic regression can learn."""
    rng = np.random.default_rng(seed)
    motifs = ["GGGCCC", "TATATA", "CACGTG", "AAAAAA"][:n_classes]
    labels = rng.integers(0, n_classes, n)
    sequences = []
    for label in labels:
        letters = list(rng.choice(list("ACGT"), 40))
        start = rng.integers(0, 34)
        letters[start:start + 6] = motifs[label]
        sequences.append("".join(letters))
    names = [f"class{c}" for c in range(n_classes)]
    return SequenceSet.from_strings(sequences, labels=labels, class_names=names,
                                    task="binary" if n_classes == 2 else "multiclass")


@pytest.mark.parametrize("n_classes", [2, 3])
def test_baseline_probabilities_match_sklearn(n_classes, tmp_path):
    train = motif_set(300, n_classes, seed=1)
    test = motif_set(60, n_classes, seed=2)
    model, metadata = fit_baseline(train, k=3, C=0.5, seed=0)

    spec = InputSpec.from_dict(metadata["input"])
    scaler = StandardScaler().fit(kmer_features(train, spec))
    reference = LogisticRegression(C=0.5, max_iter=2000, random_state=0).fit(
        scaler.transform(kmer_features(train, spec)), train.labels)
    expected = reference.predict_proba(scaler.transform(kmer_features(test, spec)))

    path = save_model(tmp_path / "model.safetensors", model, metadata)
    predictor = Predictor.load(path)
    scores = predictor.score(test)
    assert scores.shape == (60, n_classes)
    np.testing.assert_allclose(scores, expected, atol=1e-4)
    accuracy = np.mean(scores.argmax(axis=1) == test.labels)
    assert accuracy > 0.8


def test_baseline_metadata_round_trip(tmp_path):
    train = motif_set(120, 2, seed=3)
    valid = motif_set(40, 2, seed=4)
    model, metadata = fit_baseline(train, valid, k=2)
    path = save_model(tmp_path / "model.safetensors", model, metadata)
    loaded, stored = load_model(path)
    assert stored["model"]["name"] == "kmer-logreg"
    assert stored["class_names"] == ["class0", "class1"]
    assert stored["positive_class"] == "class1"
    assert stored["input"]["kind"] == "kmer_frequencies"
    assert stored["training"]["n_valid"] == 40
    assert 0.0 <= stored["training"]["valid_accuracy"] <= 1.0


def test_baseline_rejects_regression_and_missing_class():
    train = motif_set(50, 2, seed=5)
    regression = SequenceSet.from_strings(["ACGT", "GGCC"], labels=np.array([0.5, 1.5]),
                                          class_names=["y"], task="regression")
    with pytest.raises(ConfigError, match="binary or multiclass"):
        fit_baseline(regression)
    only_one = train.subset(train.labels == 0)
    with pytest.raises(LabelError, match=r"\['class1'\] have no training records"):
        fit_baseline(only_one)
