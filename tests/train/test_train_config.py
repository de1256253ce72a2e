"""Tests of the typed training configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from bioseq.errors import ConfigError
from bioseq.train.config import read_yaml, resolve_config, write_config


def test_unknown_key_lists_allowed(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("trainer:\n  epoch: 3\n")
    with pytest.raises(ConfigError, match=r"unknown key 'trainer.epoch'") as caught:
        resolve_config(path)
    assert "epochs" in str(caught.value)
    assert "batch_size" in str(caught.value)


def test_unknown_section_lists_sections(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("optimiser:\n  lr: 0.1\n")
    with pytest.raises(ConfigError, match=r"unknown section 'optimiser'.*optimizer"):
        resolve_config(path)


def test_precedence_defaults_file_flags(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("trainer:\n  epochs: 7\n  batch_size: 16\nmodel:\n  params: {dropout: 0.2}\n")
    config = resolve_config(path, {"trainer": {"epochs": 2, "seed": None},
                                   "model": {"params": {"hidden": [8]}}})
    assert config.trainer.epochs == 2
    assert config.trainer.batch_size == 16
    assert config.trainer.seed == 0
    assert config.model.params == {"dropout": 0.2, "hidden": [8]}


def test_wrong_type_names_key() -> None:
    with pytest.raises(ConfigError, match=r"trainer.epochs: expected an integer, got 'many'"):
        resolve_config(overrides={"trainer": {"epochs": "many"}})


def test_invalid_choice_lists_allowed() -> None:
    with pytest.raises(ConfigError, match=r"schedule.name: invalid value 'linear'.*onecycle"):
        resolve_config(overrides={"schedule": {"name": "linear"}})


def test_fractions_must_leave_training_data() -> None:
    with pytest.raises(ConfigError, match="below 1"):
        resolve_config(overrides={"data": {"val_fraction": 0.5, "test_fraction": 0.5}})


def test_resolved_config_round_trip(tmp_path: Path) -> None:
    config = resolve_config(overrides={"trainer": {"epochs": 4}, "data": {"sources": ["a.fa"]}})
    write_config(config, tmp_path / "config.yaml")
    assert resolve_config(tmp_path / "config.yaml") == config
    assert read_yaml(tmp_path / "config.yaml")["data"]["sources"] == ["a.fa"]


def test_default_lr_follows_model_family() -> None:
    assert resolve_config(overrides={"model": {"name": "cnn"}}).optimizer.lr == 1e-2
    assert resolve_config(overrides={"model": {"name": "deepbind"}}).optimizer.lr == 1e-2
    assert resolve_config(overrides={"model": {"name": "conv-transformer"}}).optimizer.lr == 1e-3


def test_explicit_lr_kept() -> None:
    config = resolve_config(overrides={"model": {"name": "cnn"}, "optimizer": {"lr": 0.003}})
    assert config.optimizer.lr == 0.003


def test_saved_config_holds_resolved_lr(tmp_path: Path) -> None:
    write_config(resolve_config(), tmp_path / "config.yaml")
    assert read_yaml(tmp_path / "config.yaml")["optimizer"]["lr"] == 1e-2


def test_model_params_checked_on_load(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("model:\n  name: cnn\n  params: {dropout: abc}\n")
    with pytest.raises(ConfigError, match="invalid value 'abc' for parameter 'dropout'") as caught:
        resolve_config(path)
    assert "expected a number" in str(caught.value)
    assert "allowed keys:" in str(caught.value)


def test_model_params_numeric_string_converted(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    # YAML 1.1 reads 1e-1 (no dot) as a string.
    path.write_text("model:\n  name: cnn\n  params: {dropout: 1e-1}\n")
    assert resolve_config(path).model.params == {"dropout": 0.1}


def test_baseline_params_checked_against_fit() -> None:
    config = resolve_config(overrides={"model": {"name": "kmer-logreg", "params": {"C": 2}}})
    assert config.model.params == {"C": 2.0}
    with pytest.raises(ConfigError, match="unknown argument 'seed' for model 'kmer-logreg'"):
        resolve_config(overrides={"model": {"name": "kmer-logreg", "params": {"seed": 1}}})


def test_unknown_model_rejected_on_load() -> None:
    with pytest.raises(ConfigError, match="unknown model 'cnnn'; known models:.*cnn-positional"):
        resolve_config(overrides={"model": {"name": "cnnn"}})


def test_config_doc_examples_pass() -> None:
    import doctest

    doc = Path(__file__).resolve().parents[2] / "docs" / "config.md"
    result = doctest.testfile(str(doc), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 2
    assert result.failed == 0
