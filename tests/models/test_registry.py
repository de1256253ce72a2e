"""Registry: presets, argument validation and remote model references."""

from __future__ import annotations

import json

import pytest

from bioseq.errors import ConfigError
from bioseq.models.registry import (
    check_model_params,
    check_remote_backbone,
    count_parameters,
    default_learning_rate,
    get_model,
    list_models,
    model_spec,
)

REQUIRED_PRESETS = {"deepbind", "basset", "dilated-resnet", "token-transformer",
                    "conv-transformer", "kmer-logreg"}
PINNED = "0123456789abcdef0123456789abcdef01234567"


def test_list_models_has_presets():
    assert REQUIRED_PRESETS <= set(list_models())


def test_unknown_name_lists_known():
    with pytest.raises(ConfigError, match="unknown model 'bassett'") as info:
        get_model("bassett", n_outputs=1)
    for name in list_models():
        assert name in str(info.value)


def test_unknown_argument_lists_allowed():
    with pytest.raises(ConfigError, match="unknown argument 'n_filters'") as info:
        get_model("deepbind", n_outputs=1, n_filters=3)
    assert "conv_layers" in str(info.value)
    assert "in_channels" in str(info.value)


def test_missing_n_outputs():
    with pytest.raises(ConfigError, match="needs n_outputs"):
        get_model("basset")


@pytest.mark.parametrize("name", sorted(REQUIRED_PRESETS))
def test_config_rebuilds_same_model(name):
    model = get_model(name, n_outputs=3)
    params = json.loads(json.dumps(model.config))
    rebuilt = get_model(name, **params)
    assert rebuilt.config == model.config
    assert count_parameters(rebuilt) == count_parameters(model)
    assert rebuilt.input_kind == model_spec(name).input_kind


def test_kwargs_override_preset():
    model = get_model("basset", n_outputs=1, in_channels=20, hidden=[8])
    assert model.config["in_channels"] == 20
    assert model.config["hidden"] == [8]
    assert model.config["conv_layers"][0]["filters"] == 300


def test_conv_layer_unknown_key():
    with pytest.raises(ConfigError, match=r"conv_layers\[0\] has unknown keys \['width'\]"):
        get_model("cnn", n_outputs=1, conv_layers=[{"filters": 4, "kernel_size": 3, "width": 2}])


def test_conv_layer_bad_size():
    with pytest.raises(ConfigError, match=r"conv_layers\[0\].kernel_size must be a positive"):
        get_model("cnn", n_outputs=1, conv_layers=[{"filters": 4, "kernel_size": 0}])


def test_transformer_heads_must_divide():
    with pytest.raises(ConfigError, match="n_heads \\(3\\) must divide d_model \\(16\\)"):
        get_model("transformer", n_outputs=1, d_model=16, n_heads=3)


def test_unknown_pooling_lists_choices():
    with pytest.raises(ConfigError, match="'first' for parameter 'pooling'.*one of 'cls', 'mean'"):
        get_model("transformer", n_outputs=1, pooling="first")


def test_remote_model_without_trust_rejected():
    with pytest.raises(ConfigError, match="rejected unless you set trust_remote_code"):
        get_model("hf:zhihan1996/DNABERT-2-117M", n_outputs=2)


def test_remote_model_without_revision_rejected():
    with pytest.raises(ConfigError, match="40-hex commit hash, got None"):
        get_model("hf:zhihan1996/DNABERT-2-117M", n_outputs=2, trust_remote_code=True)


def test_remote_model_branch_revision_rejected():
    with pytest.raises(ConfigError, match="got 'main'"):
        check_remote_backbone("hf:zhihan1996/DNABERT-2-117M", trust_remote_code=True,
                              revision="main")


def test_remote_model_pinned_records_hash():
    backbone = check_remote_backbone("hf:zhihan1996/DNABERT-2-117M", trust_remote_code=True,
                                     revision=PINNED)
    record = backbone.to_metadata()
    assert record["revision"] == PINNED
    assert record["repo"] == "zhihan1996/DNABERT-2-117M"
    assert json.loads(json.dumps(record)) == record


def test_remote_model_pinned_not_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(ConfigError, match="not in the local cache") as info:
        get_model("hf:zhihan1996/DNABERT-2-117M", n_outputs=2, trust_remote_code=True,
                  revision=PINNED)
    assert PINNED in str(info.value)
    assert "does not download" in str(info.value)


def test_remote_model_pinned_cached_unsupported(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    snapshot = tmp_path / "models--zhihan1996--DNABERT-2-117M" / "snapshots" / PINNED
    snapshot.mkdir(parents=True)
    with pytest.raises(ConfigError, match="is in the local cache") as info:
        get_model("hf:zhihan1996/DNABERT-2-117M", n_outputs=2, trust_remote_code=True,
                  revision=PINNED)
    assert "no loader for remote model code" in str(info.value)


def test_remote_reference_malformed():
    with pytest.raises(ConfigError, match="expected hf:owner/name"):
        check_remote_backbone("hf:justaname", trust_remote_code=True, revision=PINNED)


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("dropout", "abc", "a number"),
    ("hidden", "wide", "a list of integers or null"),
    ("global_pool", "min", "one of 'max', 'avg', 'maxavg'"),
    ("max_len", 2.5, "an integer or null"),
    ("conv_layers", 5, "a list of mappings or null"),
])
def test_param_wrong_type_rejected(key, value, expected):
    with pytest.raises(ConfigError, match=f"invalid value {value!r} for parameter '{key}'") as info:
        check_model_params("cnn", {key: value})
    assert f"expected {expected}" in str(info.value)
    assert "allowed keys: n_outputs, in_channels, conv_layers" in str(info.value)


def test_param_numeric_string_converted():
    params = check_model_params("cnn", {"dropout": "1e-1", "hidden": [16]})
    assert params["dropout"] == 0.1
    assert params["hidden"] == [16]


def test_param_bool_is_not_integer():
    with pytest.raises(ConfigError, match="parameter 'd_model'.*expected an integer"):
        check_model_params("transformer", {"d_model": True})


def test_param_dropout_out_of_range():
    with pytest.raises(ConfigError, match=r"'dropout'.*probability in \[0, 1\)"):
        get_model("cnn", n_outputs=1, dropout=1.5)


def test_get_model_checks_types():
    with pytest.raises(ConfigError, match="invalid value 'abc' for parameter 'dropout'"):
        get_model("deepbind", n_outputs=1, dropout="abc")


def test_default_learning_rate_by_family():
    assert default_learning_rate("cnn") == 1e-2
    assert default_learning_rate("cnn-positional") == 1e-2
    assert default_learning_rate("token-transformer") == 1e-3
