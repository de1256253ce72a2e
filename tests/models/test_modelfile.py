"""Model file: round trips and rejection of foreign, corrupt and old files."""

from __future__ import annotations

import json
import struct

import pytest
import torch
from safetensors.torch import save as save_safetensors_bytes
from safetensors.torch import save_file

from bioseq.errors import ModelFileError
from bioseq.models.modelfile import (
    FORMAT_VERSION,
    METADATA_KEY,
    load_model,
    read_model_metadata,
    save_model,
)
from bioseq.models.registry import get_model

from .helpers import random_onehot, random_tokens

TINY = {
    "basset": {"hidden": [8]},
    "deepbind": {},
    "dilated-resnet": {},
    "token-transformer": {"d_model": 16, "n_heads": 2, "n_layers": 1, "ff_dim": 16},
    "conv-transformer": {"d_model": 16, "n_heads": 2, "n_layers": 1, "ff_dim": 16},
    "kmer-logreg": {"k": 2},
}
METADATA = {
    "task": "binary",
    "class_names": ["background", "bound"],
    "positive_class": "bound",
    "alphabet": "dna",
    "input": {"kind": "onehot", "alphabet": "dna", "length": None},
    "training": {"epochs": 2, "best_valid_loss": 0.41},
}


def sample_input(model):
    if model.input_kind == "tokens":
        return random_tokens(3, 30)
    if model.input_kind == "onehot":
        return random_onehot(3, 60)
    return torch.rand(3, model.n_features)


def saved_model(tmp_path, name="deepbind"):
    torch.manual_seed(0)
    model = get_model(name, n_outputs=1, **TINY[name]).eval()
    path = tmp_path / "model.safetensors"
    save_model(path, model, METADATA)
    return model, path


def rewrite_metadata(path, change):
    """Rewrite the bioseq metadata of a saved file through ``change(dict)``."""
    from safetensors.torch import load_file

    tensors = load_file(path)
    header_size = struct.unpack("<Q", path.read_bytes()[:8])[0]
    header = json.loads(path.read_bytes()[8 : 8 + header_size])
    record = json.loads(header["__metadata__"][METADATA_KEY])
    change(record)
    path.write_bytes(save_safetensors_bytes(tensors, metadata={METADATA_KEY: json.dumps(record)}))


@pytest.mark.parametrize("name", sorted(TINY))
def test_round_trip_identical_outputs(tmp_path, name):
    model, path = saved_model(tmp_path, name)
    x = sample_input(model)
    loaded, metadata = load_model(path)
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))
    assert metadata["model"]["name"] == name
    assert metadata["model"]["params"] == json.loads(json.dumps(model.config))
    assert not loaded.training


def test_round_trip_keeps_trained_buffers(tmp_path):
    torch.manual_seed(0)
    model = get_model("basset", n_outputs=2, **TINY["basset"]).train()
    model(random_onehot(8, 60))
    model.eval()
    path = save_model(tmp_path / "m.safetensors", model, {})
    loaded, _ = load_model(path)
    x = random_onehot(2, 60, seed=5)
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))


def test_metadata_fields(tmp_path):
    _, path = saved_model(tmp_path)
    metadata = read_model_metadata(path)
    assert metadata["format"] == "bioseq-model"
    assert metadata["format_version"] == FORMAT_VERSION
    assert metadata["bioseq_version"]
    for key, value in METADATA.items():
        assert metadata[key] == value, key


def test_load_on_cpu_device(tmp_path):
    _, path = saved_model(tmp_path)
    loaded, _ = load_model(path, device="cpu")
    assert all(p.device.type == "cpu" for p in loaded.parameters())


@pytest.mark.gpu
def test_cuda_model_loads_on_cpu(tmp_path):
    model = get_model("deepbind", n_outputs=1).cuda().eval()
    path = save_model(tmp_path / "m.safetensors", model, {})
    loaded, _ = load_model(path)
    x = random_onehot(2, 40)
    with torch.no_grad():
        assert torch.allclose(loaded(x), model(x.cuda()).cpu(), atol=1e-5)


def test_save_replaces_without_leftovers(tmp_path):
    model, path = saved_model(tmp_path)
    save_model(path, model, {"task": "binary", "note": "second"})
    assert read_model_metadata(path)["note"] == "second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.safetensors"]


def test_undefined_metrics_saved_as_null(tmp_path):
    # A one-class validation split leaves AUROC undefined (NaN); the model is still saved.
    model = get_model("deepbind", n_outputs=1)
    metrics = {"val_auroc": float("nan"), "val_loss": 0.5, "curve": [1.0, float("inf")]}
    path = save_model(tmp_path / "m.safetensors", model, {"final_metrics": metrics})
    saved = read_model_metadata(path)["final_metrics"]
    assert saved["val_auroc"] is None
    assert saved["val_loss"] == 0.5
    assert saved["curve"] == [1.0, None]


def test_save_rejects_unserialisable_metadata(tmp_path):
    model = get_model("deepbind", n_outputs=1)
    path = tmp_path / "m.safetensors"
    with pytest.raises(ModelFileError, match="metadata is not JSON-able"):
        save_model(path, model, {"created": object()})
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_missing_file(tmp_path):
    with pytest.raises(ModelFileError, match="model file not found"):
        load_model(tmp_path / "absent.safetensors")


def test_truncated_weights_rejected(tmp_path):
    _, path = saved_model(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 100])
    with pytest.raises(ModelFileError, match="truncated or corrupt") as info:
        load_model(path)
    assert str(path) in str(info.value)


def test_truncated_header_rejected(tmp_path):
    _, path = saved_model(tmp_path)
    path.write_bytes(path.read_bytes()[:50])
    with pytest.raises(ModelFileError, match="is truncated: the safetensors header needs"):
        load_model(path)


def test_empty_file_rejected(tmp_path):
    path = tmp_path / "empty.safetensors"
    path.write_bytes(b"")
    with pytest.raises(ModelFileError, match="it is 0 bytes long"):
        load_model(path)


def test_text_file_rejected(tmp_path):
    path = tmp_path / "notes.safetensors"
    path.write_text("name,sequence\nx,ACGT\n" * 10)
    with pytest.raises(ModelFileError, match="is not a bioseq model file"):
        load_model(path)


def test_foreign_safetensors_rejected(tmp_path):
    path = tmp_path / "foreign.safetensors"
    save_file({"weight": torch.zeros(3)}, path, metadata={"format": "pt"})
    with pytest.raises(ModelFileError, match="without bioseq metadata"):
        load_model(path)


def test_other_format_name_rejected(tmp_path):
    _, path = saved_model(tmp_path)
    rewrite_metadata(path, lambda record: record.update(format="other-tool"))
    with pytest.raises(ModelFileError, match="metadata format is 'other-tool'"):
        load_model(path)


def test_newer_format_version_rejected(tmp_path):
    _, path = saved_model(tmp_path)
    rewrite_metadata(path, lambda record: record.update(format_version=2, bioseq_version="9.0"))
    with pytest.raises(ModelFileError, match="format_version 2 .*upgrade bioseq to 9.0"):
        load_model(path)


def test_old_format_version_rejected(tmp_path):
    _, path = saved_model(tmp_path)
    rewrite_metadata(path, lambda record: record.update(format_version=0, bioseq_version="0.0.1"))
    with pytest.raises(ModelFileError, match="format_version 0 .*load it with bioseq 0.0.1"):
        load_model(path)


def test_params_not_matching_weights_rejected(tmp_path):
    _, path = saved_model(tmp_path)

    def widen(record):
        record["model"]["params"]["conv_layers"][0]["filters"] = 17

    rewrite_metadata(path, widen)
    with pytest.raises(ModelFileError, match="stored weights do not fit model 'deepbind'"):
        load_model(path)


def test_unknown_model_name_rejected(tmp_path):
    _, path = saved_model(tmp_path)
    rewrite_metadata(path, lambda record: record["model"].update(name="resnet-9000"))
    with pytest.raises(ModelFileError, match="cannot rebuild model 'resnet-9000'"):
        load_model(path)


def test_params_of_wrong_type_rejected(tmp_path):
    _, path = saved_model(tmp_path)
    rewrite_metadata(path, lambda record: record["model"]["params"].update(hidden="wide"))
    with pytest.raises(ModelFileError, match="cannot rebuild model 'deepbind'"):
        load_model(path)
