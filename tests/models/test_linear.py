"""kmer-logreg: a linear layer that scikit-learn weights copy into."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from bioseq.errors import ConfigError
from bioseq.models.registry import get_model


def test_default_features_all_kmers():
    model = get_model("kmer-logreg", n_outputs=1, k=3)
    assert model.input_kind == "kmer_frequencies"
    assert model.n_features == 64


def test_explicit_feature_count():
    model = get_model("kmer-logreg", n_outputs=1, k=4, n_features=136)
    assert model(torch.rand(5, 136)).shape == (5, 1)


def test_wrong_feature_count_rejected():
    model = get_model("kmer-logreg", n_outputs=1, k=2)
    with pytest.raises(ConfigError, match="input has 64 k-mer features, but the model was built for 16"):
        model(torch.rand(2, 64))


@pytest.mark.parametrize("n_classes", [2, 3])
def test_sklearn_weights_copy_in(n_classes):
    rng = np.random.default_rng(0)
    features = rng.random((60, 16))
    labels = rng.integers(0, n_classes, 60)
    scaler = StandardScaler().fit(features)
    classifier = LogisticRegression(max_iter=500).fit(scaler.transform(features), labels)
    n_outputs = 1 if n_classes == 2 else n_classes
    model = get_model("kmer-logreg", n_outputs=n_outputs, k=2).eval()
    with torch.no_grad():
        model.mean.copy_(torch.from_numpy(scaler.mean_))
        model.scale.copy_(torch.from_numpy(scaler.scale_))
        model.linear.weight.copy_(torch.from_numpy(classifier.coef_))
        model.linear.bias.copy_(torch.from_numpy(classifier.intercept_))
        logits = model(torch.from_numpy(features).float()).double().numpy()
    expected = classifier.decision_function(scaler.transform(features)).reshape(60, -1)
    np.testing.assert_allclose(logits, expected, rtol=1e-4, atol=1e-4)


def test_standardize_off_ignores_buffers():
    model = get_model("kmer-logreg", n_outputs=1, k=1, standardize=False).eval()
    x = torch.rand(3, 4)
    with torch.no_grad():
        before = model(x)
        model.mean.fill_(5.0)
        after = model(x)
    assert torch.equal(before, after)
