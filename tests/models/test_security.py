"""Pickled checkpoints: rejected with an explanation, and no code runs."""

from __future__ import annotations

import argparse
import pickle
import re
from pathlib import Path

import pytest
import torch

import bioseq
from bioseq.errors import ModelFileError
from bioseq.models.modelfile import load_checkpoint, load_model


class WritesFileOnLoad:
    """Object whose unpickling opens (and so creates) ``target`` for writing."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self):
        return (open, (str(self.target), "w"))


def crafted_files(tmp_path: Path) -> tuple[Path, list[Path]]:
    target = tmp_path / "written-by-pickle.txt"
    zipped = tmp_path / "crafted.ckpt"
    torch.save({"state_dict": {}, "payload": WritesFileOnLoad(target)}, zipped)
    raw = tmp_path / "crafted.pkl"
    raw.write_bytes(pickle.dumps(WritesFileOnLoad(target), protocol=2))
    return target, [zipped, raw]


def test_checkpoint_with_namespace_rejected(tmp_path):
    path = tmp_path / "last.ckpt"
    torch.save({"state_dict": {"w": torch.ones(2)}, "hparams": argparse.Namespace(lr=0.1)}, path)
    with pytest.raises(ModelFileError, match="weights_only=True") as info:
        load_checkpoint(path)
    assert "not a plain-tensor checkpoint" in str(info.value)
    assert "Namespace" in str(info.value)


def test_pickled_checkpoint_as_model_file_rejected(tmp_path):
    path = tmp_path / "last.ckpt"
    torch.save({"state_dict": {"w": torch.ones(2)}, "hparams": argparse.Namespace(lr=0.1)}, path)
    with pytest.raises(ModelFileError, match="pickled PyTorch checkpoint") as info:
        load_model(path)
    assert "never unpickles" in str(info.value)


def test_crafted_pickle_writes_nothing(tmp_path):
    target, files = crafted_files(tmp_path)
    for path in files:
        with pytest.raises(ModelFileError):
            load_checkpoint(path)
        with pytest.raises(ModelFileError):
            load_model(path)
    assert not target.exists()


def test_plain_tensor_checkpoint_loads(tmp_path):
    path = tmp_path / "plain.ckpt"
    torch.save({"state_dict": {"w": torch.arange(3.0)}, "hparams": {"lr": 0.1}, "epoch": 4}, path)
    contents = load_checkpoint(path)
    assert torch.equal(contents["state_dict"]["w"], torch.arange(3.0))
    assert contents["hparams"] == {"lr": 0.1}


def test_every_torch_load_uses_weights_only():
    package = Path(bioseq.__file__).parent
    calls = []
    for source in package.rglob("*.py"):
        text = source.read_text()
        for match in re.finditer(r"torch\.load\(", text):
            # The call's arguments: up to the matching closing bracket.
            depth, end = 0, match.end() - 1
            for end in range(match.end() - 1, len(text)):
                depth += {"(": 1, ")": -1}.get(text[end], 0)
                if depth == 0:
                    break
            calls.append((source, text[match.start() : end + 1]))
    assert calls, "expected at least one torch.load call (load_checkpoint)"
    for source, call in calls:
        assert "weights_only=True" in call, f"{source}: {call}"
