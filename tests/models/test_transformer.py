"""Transformer family: inputs, positions, padding masks, length limit and chunking."""

from __future__ import annotations

import itertools

import pytest
import torch

from bioseq.errors import SequenceError
from bioseq.models.registry import get_model
from bioseq.models.transformer import TransformerClassifier

from .helpers import lengths_to_mask, random_onehot, random_tokens

TINY = {"d_model": 16, "n_heads": 2, "n_layers": 2, "ff_dim": 32, "dropout": 0.0}
VARIANTS = list(itertools.product(["tokens", "onehot"], ["sinusoidal", "learned", "rotary"],
                                  ["cls", "mean"]))


def build(input_kind: str, positions: str = "sinusoidal", pooling: str = "cls",
          **kwargs) -> TransformerClassifier:
    torch.manual_seed(0)
    arguments = {**TINY, "input_kind": input_kind, "positions": positions,
                 "pooling": pooling, "max_len": 64, **kwargs}
    return TransformerClassifier(n_outputs=3, **arguments).eval()


def make_input(input_kind: str, n: int, length: int) -> torch.Tensor:
    if input_kind == "tokens":
        return random_tokens(n, length)
    return random_onehot(n, length)


@pytest.mark.parametrize("name", ["token-transformer", "conv-transformer", "transformer"])
def test_preset_output_shape(name):
    model = get_model(name, n_outputs=2).eval()
    x = make_input(model.input_kind, 2, 50)
    with torch.no_grad():
        logits = model(x)
    assert logits.shape == (2, 2)
    assert torch.isfinite(logits).all()


def test_token_preset_accepts_200_tokens():
    model = get_model("token-transformer", n_outputs=1, **TINY).eval()
    with torch.no_grad():
        logits = model(random_tokens(2, 200))
    assert logits.shape == (2, 1)


@pytest.mark.parametrize(("input_kind", "positions", "pooling"), VARIANTS)
def test_variant_gradients_flow(input_kind, positions, pooling):
    model = build(input_kind, positions, pooling).train()
    logits = model(make_input(input_kind, 3, 20))
    assert logits.shape == (3, 3)
    logits.sum().backward()
    for parameter_name, parameter in model.named_parameters():
        if parameter_name == "embedding.weight" and input_kind == "tokens":
            # Only the rows of ids present in the batch get gradients.
            assert parameter.grad.abs().sum() > 0
            continue
        assert parameter.grad is not None, parameter_name
        assert parameter.grad.abs().sum() > 0, parameter_name


@pytest.mark.parametrize(("input_kind", "positions", "pooling"), VARIANTS)
def test_padding_content_ignored(input_kind, positions, pooling):
    model = build(input_kind, positions, pooling)
    mask = lengths_to_mask([30, 12], 30)
    x = make_input(input_kind, 2, 30)
    if input_kind == "tokens":
        x_other = x.clone()
        x_other[~mask] = 7
    else:
        # Keep real positions; rolling the channels gives other residues at padded ones.
        x_other = torch.where(mask[:, None, :], x, x.roll(1, dims=1))
    assert not torch.equal(x, x_other)
    with torch.no_grad():
        assert torch.allclose(model(x, mask), model(x_other, mask), atol=1e-5)


@pytest.mark.parametrize(("input_kind", "positions", "pooling"), VARIANTS)
def test_padded_batch_equals_single(input_kind, positions, pooling):
    model = build(input_kind, positions, pooling)
    lengths = [30, 12, 5]
    x = make_input(input_kind, 3, 30)
    with torch.no_grad():
        batch = model(x, lengths_to_mask(lengths, 30))
        for index, length in enumerate(lengths):
            alone = model(x[index : index + 1, ..., :length])
            assert torch.allclose(batch[index], alone[0], atol=1e-5), index


def test_token_mask_defaults_to_pad_id():
    model = build("tokens")
    x = random_tokens(2, 20)
    x[1, 8:] = 0
    with torch.no_grad():
        implicit = model(x)
        explicit = model(x, x != 0)
    assert torch.allclose(implicit, explicit)


def test_stem_pool_padded_batch_equals_single():
    model = build("onehot", "rotary", "mean", stem_pool=4, max_len=64)
    lengths = [30, 13]
    x = random_onehot(2, 30)
    with torch.no_grad():
        batch = model(x, lengths_to_mask(lengths, 30))
        alone = model(x[1:2, :, :13])
    assert torch.allclose(batch[1], alone[0], atol=1e-5)


@pytest.mark.parametrize("input_kind", ["tokens", "onehot"])
def test_sequence_longer_than_max_len_rejected(input_kind):
    model = build(input_kind, max_len=512)
    with pytest.raises(SequenceError, match="length 600, longer than the model's max_len 512"):
        model(make_input(input_kind, 1, 600))


def test_error_names_longest_record():
    model = build("tokens", max_len=10)
    mask = lengths_to_mask([4, 15, 8], 15)
    with pytest.raises(SequenceError, match="sequence 1 of the batch has length 15"):
        model(random_tokens(3, 15), mask)


def test_padding_beyond_max_len_trimmed():
    model = build("tokens", max_len=16)
    x = random_tokens(2, 16)
    padded = torch.cat([x, torch.zeros(2, 9, dtype=torch.long)], dim=1)
    with torch.no_grad():
        assert torch.allclose(model(padded), model(x), atol=1e-6)


@pytest.mark.parametrize("input_kind", ["tokens", "onehot"])
@pytest.mark.parametrize("chunk_pool", ["mean", "max"])
def test_chunking_equals_direct_when_fits(input_kind, chunk_pool):
    direct = build(input_kind, max_len=32)
    chunked = build(input_kind, max_len=32, chunking=True, chunk_pool=chunk_pool)
    chunked.load_state_dict(direct.state_dict())
    x = make_input(input_kind, 2, 32)
    mask = lengths_to_mask([32, 20], 32)
    with torch.no_grad():
        assert torch.allclose(chunked(x, mask), direct(x, mask), atol=1e-6)


@pytest.mark.parametrize("input_kind", ["tokens", "onehot"])
@pytest.mark.parametrize("chunk_pool", ["mean", "max"])
def test_chunking_pools_window_logits(input_kind, chunk_pool):
    model = build(input_kind, max_len=16, chunking=True, chunk_stride=6, chunk_pool=chunk_pool)
    x = make_input(input_kind, 2, 40)
    lengths = [40, 10]
    with torch.no_grad():
        logits = model(x, lengths_to_mask(lengths, 40))
        # Windows of 16 every 6 positions, plus one ending at 40: starts 0, 6, ..., 24.
        windows = [model(x[0:1, ..., start : start + 16]) for start in (0, 6, 12, 18, 24)]
        stacked = torch.cat(windows)
        expected = stacked.mean(dim=0) if chunk_pool == "mean" else stacked.amax(dim=0)
        short_alone = model(x[1:2, ..., :10])
    assert logits.shape == (2, 3)
    assert torch.allclose(logits[0], expected, atol=1e-5)
    assert torch.allclose(logits[1], short_alone[0], atol=1e-5)


def test_chunking_last_window_ends_at_sequence_end():
    model = build("tokens", max_len=16, chunking=True, chunk_stride=10)
    x = random_tokens(1, 30)
    with torch.no_grad():
        logits = model(x)
        windows = torch.cat([model(x[:, start : start + 16]) for start in (0, 10, 14)])
    assert torch.allclose(logits[0], windows.mean(dim=0), atol=1e-5)


@pytest.mark.parametrize(("input_kind", "positions", "pooling"), VARIANTS)
def test_bf16_autocast_runs(input_kind, positions, pooling):
    model = build(input_kind, positions, pooling).train()
    x = make_input(input_kind, 2, 20)
    mask = lengths_to_mask([20, 9], 20)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = model(x, mask)
    assert logits.dtype == torch.bfloat16
    assert torch.isfinite(logits.float()).all()
    logits.float().sum().backward()
    assert model.head.weight.grad is not None


@pytest.mark.parametrize("pooling", ["cls", "mean"])
def test_empty_sequence_rejected(pooling):
    model = build("tokens", pooling=pooling)
    x = random_tokens(2, 10)
    x[0] = 0
    with pytest.raises(SequenceError, match="sequence 0 of the batch is empty"):
        model(x)


@pytest.mark.parametrize("chunk_pool", ["mean", "max"])
def test_chunking_gradients_flow(chunk_pool):
    model = build("onehot", max_len=16, chunking=True, chunk_pool=chunk_pool).train()
    logits = model(random_onehot(2, 40), lengths_to_mask([40, 23], 40))
    logits.sum().backward()
    assert model.head.weight.grad.abs().sum() > 0
    assert model.embedding.weight.grad.abs().sum() > 0
