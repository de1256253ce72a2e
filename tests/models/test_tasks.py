"""Tasks: output counts, losses, activations and predictions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bioseq.errors import ConfigError, LabelError
from bioseq.tasks import TASK_NAMES, balanced_class_weights, get_task


def test_n_outputs_per_task():
    assert get_task("binary").n_outputs(["neg", "pos"]) == 1
    assert get_task("multiclass").n_outputs(["a", "b", "c"]) == 3
    assert get_task("multilabel").n_outputs(["x", "y"]) == 2
    assert get_task("regression").n_outputs(None) == 1
    assert get_task("regression").n_outputs(["expr", "gc"]) == 2


def test_binary_needs_two_classes():
    with pytest.raises(LabelError, match="exactly 2 class names, got 3"):
        get_task("binary").n_outputs(["a", "b", "c"])


def test_multiclass_needs_two_classes():
    with pytest.raises(LabelError, match="at least 2 class names, got 1"):
        get_task("multiclass").n_outputs(["a"])


def test_unknown_task_lists_names():
    with pytest.raises(ConfigError, match="unknown task 'ranking'") as info:
        get_task("ranking")
    for name in TASK_NAMES:
        assert name in str(info.value)


def test_binary_probability_is_second_class():
    task = get_task("binary")
    probabilities = task.activation(torch.tensor([[3.0], [-3.0]]))
    assert probabilities.shape == (2,)
    assert probabilities[0] > 0.5
    assert task.predict(probabilities).tolist() == [1, 0]


def test_binary_loss_matches_formula():
    logits = torch.tensor([[0.3], [-1.2], [2.0]])
    targets = torch.tensor([1, 0, 0])
    p = torch.sigmoid(logits[:, 0])
    y = targets.float()
    expected = -(y * p.log() + (1 - y) * (1 - p).log()).mean()
    assert torch.allclose(get_task("binary").loss(logits, targets), expected, atol=1e-6)


def test_binary_class_weights_scale_positives():
    logits = torch.tensor([[0.3], [-1.2], [2.0]])
    targets = torch.tensor([1, 1, 0])
    p = torch.sigmoid(logits[:, 0])
    y = targets.float()
    # Weights (1, 4) give positive terms four times the weight.
    expected = -(4.0 * y * p.log() + (1 - y) * (1 - p).log()).mean()
    loss = get_task("binary", class_weights=[1.0, 4.0]).loss(logits, targets)
    assert torch.allclose(loss, expected, atol=1e-6)


def test_multiclass_weighted_loss_matches_formula():
    logits = torch.tensor([[2.0, 0.1, -1.0], [0.0, 0.5, 0.2]])
    targets = torch.tensor([0, 2])
    weights = torch.tensor([1.0, 2.0, 3.0])
    log_p = torch.log_softmax(logits, dim=1)
    picked = -log_p[torch.arange(2), targets] * weights[targets]
    expected = picked.sum() / weights[targets].sum()
    loss = get_task("multiclass", class_weights=weights.tolist()).loss(logits, targets)
    assert torch.allclose(loss, expected, atol=1e-6)


def test_multiclass_activation_and_predict():
    task = get_task("multiclass")
    probabilities = task.activation(torch.tensor([[0.0, 2.0, 1.0], [5.0, 0.0, 0.0]]))
    assert torch.allclose(probabilities.sum(dim=1), torch.ones(2))
    assert task.predict(probabilities).tolist() == [1, 0]


def test_multilabel_independent_probabilities():
    task = get_task("multilabel", threshold=0.6)
    probabilities = task.activation(torch.tensor([[2.0, 0.0, -2.0]]))
    assert probabilities.shape == (1, 3)
    assert task.predict(probabilities).tolist() == [[1, 0, 0]]
    loss = task.loss(torch.zeros(1, 3), torch.tensor([[1.0, 0.0, 1.0]]))
    assert torch.allclose(loss, torch.tensor(np.log(2.0), dtype=torch.float32))


def test_regression_identity_and_mse():
    task = get_task("regression")
    logits = torch.tensor([[1.5], [-0.5]])
    values = task.activation(logits)
    assert values.tolist() == [1.5, -0.5]
    assert torch.equal(task.predict(values), values)
    loss = task.loss(logits, torch.tensor([1.0, 0.5]))
    assert torch.allclose(loss, torch.tensor(0.625))


def test_regression_rejects_class_weights():
    with pytest.raises(ConfigError, match="not regression"):
        get_task("regression", class_weights=[1.0])


def test_binary_rejects_three_weights():
    with pytest.raises(ConfigError, match="takes 2 class weights"):
        get_task("binary", class_weights=[1.0, 2.0, 3.0])


def test_nonpositive_weight_rejected():
    with pytest.raises(ConfigError, match="positive finite"):
        get_task("multiclass", class_weights=[1.0, 0.0])


def test_threshold_range():
    with pytest.raises(ConfigError, match="threshold must be between 0 and 1"):
        get_task("binary", threshold=1.0)


def test_balanced_weights_inverse_frequency():
    weights = balanced_class_weights(np.array([0, 0, 0, 1, 2, 2]), 3)
    counts = np.array([3, 1, 2])
    np.testing.assert_allclose(weights, 6 / (3 * counts))


def test_balanced_weights_missing_class():
    with pytest.raises(LabelError, match=r"classes \[2\] have no examples"):
        balanced_class_weights(np.array([0, 1, 1]), 3)


def test_balanced_weights_multilabel_pos_weight():
    labels = np.array([[1, 0], [0, 1], [0, 1], [0, 1]])
    assert balanced_class_weights(labels, 2) == (3.0, 1 / 3)
