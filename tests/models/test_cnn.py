"""CNN family: shapes, gradients, padding and length limits."""

from __future__ import annotations

import pytest
import torch

from bioseq.errors import ConfigError, SequenceError
from bioseq.models.cnn import CNNClassifier
from bioseq.models.registry import get_model, list_models, model_spec

from .helpers import lengths_to_mask, random_onehot

CNN_PRESETS = [name for name in list_models() if model_spec(name).family is CNNClassifier]
TINY_LAYERS = [
    {"filters": 6, "kernel_size": 5, "pool": 2},
    {"filters": 6, "kernel_size": 3, "dilation": 2, "residual": True, "pool": 3},
    {"filters": 8, "kernel_size": 3, "residual": True},
]


@pytest.mark.parametrize("name", CNN_PRESETS)
@pytest.mark.parametrize("length", [37, 64])
def test_preset_output_shape(name, length):
    sizes = {"max_len": length} if model_spec(name).needs_length else {}
    model = get_model(name, n_outputs=3, **sizes).eval()
    with torch.no_grad():
        logits = model(random_onehot(2, length))
    assert logits.shape == (2, 3)
    assert torch.isfinite(logits).all()


def test_protein_channels():
    model = get_model("deepbind", n_outputs=1, in_channels=20).eval()
    with torch.no_grad():
        logits = model(random_onehot(2, 40, channels=20))
    assert logits.shape == (2, 1)


@pytest.mark.parametrize("name", CNN_PRESETS)
def test_gradients_reach_every_parameter(name):
    sizes = {"max_len": 48} if model_spec(name).needs_length else {}
    model = get_model(name, n_outputs=2, **sizes).train()
    logits = model(random_onehot(4, 48))
    logits.sum().backward()
    for parameter_name, parameter in model.named_parameters():
        assert parameter.grad is not None, parameter_name
        assert parameter.grad.abs().sum() > 0, parameter_name


@pytest.mark.parametrize("global_pool", ["max", "avg", "maxavg"])
def test_padding_content_ignored(global_pool):
    model = CNNClassifier(n_outputs=2, conv_layers=TINY_LAYERS, global_pool=global_pool).eval()
    x = random_onehot(3, 40)
    mask = lengths_to_mask([40, 25, 11], 40)
    x_other = x.clone()
    # Fill the padded positions with different residues.
    x_other[~mask[:, None, :].expand_as(x)] = 1.0
    with torch.no_grad():
        assert torch.allclose(model(x, mask), model(x_other, mask), atol=1e-6)


@pytest.mark.parametrize("global_pool", ["max", "avg", "maxavg"])
def test_padded_batch_equals_single(global_pool):
    model = CNNClassifier(n_outputs=2, conv_layers=TINY_LAYERS, global_pool=global_pool).eval()
    lengths = [40, 25, 11]
    x = random_onehot(3, 40) * lengths_to_mask(lengths, 40)[:, None, :]
    with torch.no_grad():
        batch = model(x, lengths_to_mask(lengths, 40))
        for index, length in enumerate(lengths):
            alone = model(x[index : index + 1, :, :length])
            assert torch.allclose(batch[index], alone[0], atol=1e-5), index


def test_sequence_longer_than_max_len_rejected():
    model = CNNClassifier(n_outputs=1, conv_layers=TINY_LAYERS, max_len=512)
    with pytest.raises(SequenceError, match="length 600, longer than the model's max_len 512"):
        model(random_onehot(1, 600))


def test_max_len_counts_real_positions():
    model = CNNClassifier(n_outputs=1, conv_layers=TINY_LAYERS, max_len=20).eval()
    mask = lengths_to_mask([20, 5], 30)
    with torch.no_grad():
        logits = model(random_onehot(2, 30), mask)
    assert logits.shape == (2, 1)


def test_empty_sequence_rejected():
    model = CNNClassifier(n_outputs=1, conv_layers=TINY_LAYERS).eval()
    with pytest.raises(SequenceError, match="sequence 1 of the batch is empty"):
        model(random_onehot(2, 10), lengths_to_mask([10, 0], 10))


def test_dropout_applies_without_hidden_layers():
    model = get_model("cnn", n_outputs=1, dropout=0.5).train()
    x = random_onehot(4, 30)
    torch.manual_seed(0)
    first = model(x)
    second = model(x)
    assert not torch.equal(first, second)
    model.eval()
    assert torch.equal(model(x), model(x))


def test_dropout_keeps_state_dict_keys():
    plain = get_model("cnn", n_outputs=1)
    dropped = get_model("cnn", n_outputs=1, dropout=0.3)
    assert list(plain.state_dict()) == list(dropped.state_dict())


def test_full_kernel_spans_sequence():
    model = get_model("cnn-positional", n_outputs=1, max_len=300)
    assert model.config["conv_layers"][1]["kernel_size"] == 2 * 75 + 1


def test_full_kernel_config_rebuilds():
    model = get_model("cnn-positional", n_outputs=2, max_len=41)
    rebuilt = get_model("cnn-positional", **model.config)
    assert rebuilt.config == model.config


def test_full_kernel_needs_max_len():
    with pytest.raises(ConfigError, match=r"conv_layers\[1\].kernel_size 'full' needs the input"):
        get_model("cnn-positional", n_outputs=1)


def test_full_kernel_sees_position():
    # The same motif at two offsets gives different outputs, unlike a global-max CNN.
    torch.manual_seed(0)
    positional = get_model("cnn-positional", n_outputs=1, max_len=40).eval()
    blind = get_model("cnn", n_outputs=1, conv_layers=[{"filters": 8, "kernel_size": 5}]).eval()
    early, late = torch.zeros(1, 4, 40), torch.zeros(1, 4, 40)
    early[0, 3, :] = 1.0
    late[0, 3, :] = 1.0
    early[0, :, 10:14] = torch.eye(4)
    late[0, :, 25:29] = torch.eye(4)
    with torch.no_grad():
        assert not torch.allclose(positional(early), positional(late))
        assert torch.allclose(blind(early), blind(late), atol=1e-6)
