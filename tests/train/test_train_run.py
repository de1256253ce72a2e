"""End-to-end tests of train_run and the run directory."""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from helpers import motif_set

from bioseq.errors import ConfigError, LabelError
from bioseq.models.modelfile import load_model
from bioseq.sequences import SequenceSet
from bioseq.train.config import resolve_config
from bioseq.train.run import train_run

QUICK = {"model": {"name": "cnn", "params": {"conv_layers": [{"filters": 8, "kernel_size": 6}]}},
         "optimizer": {"lr": 0.01},
         "trainer": {"epochs": 3, "batch_size": 32, "accelerator": "cpu", "devices": "1"}}


def _config(**sections: dict) -> object:
    merged = {key: dict(value) for key, value in QUICK.items()}
    for key, value in sections.items():
        merged[key] = {**merged.get(key, {}), **value}
    return resolve_config(overrides=merged)


def test_run_directory_contents(tmp_path: Path) -> None:
    result = train_run(_config(), tmp_path / "run", motif_set())
    run = tmp_path / "run"
    for name in ("model.safetensors", "config.yaml", "manifest.json", "metrics.csv",
                 "train.log", "splits.csv", "checkpoints/last.ckpt", "checkpoints/best.ckpt"):
        assert (run / name).is_file(), name
    rows = list(csv.DictReader(open(run / "metrics.csv")))
    assert [row["epoch"] for row in rows] == ["0", "1", "2"]
    assert all(float(row["val_loss"]) > 0 for row in rows)
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["split_sizes"] == {"train": 192, "valid": 24, "test": 24}
    assert manifest["class_balance"]["train"] == {"absent": 96, "present": 96}
    assert manifest["versions"]["torch"] == torch.__version__
    assert manifest["device"]["precision"] == "32-true"
    assert yaml.safe_load((run / "config.yaml").read_text())["trainer"]["epochs"] == 3
    model, metadata = load_model(run / "model.safetensors")
    assert metadata["class_names"] == ["absent", "present"]
    assert metadata["input"]["kind"] == "onehot"
    assert metadata["training"]["best_epoch"] in (0, 1, 2)
    assert 0.0 <= result.metrics["test_accuracy"] <= 1.0
    splits = list(csv.DictReader(open(run / "splits.csv")))
    assert len(splits) == 240


def test_motif_learned(tmp_path: Path) -> None:
    result = train_run(_config(trainer={"epochs": 8}), tmp_path / "run", motif_set(400))
    assert result.metrics["test_accuracy"] >= 0.8


def test_same_seed_same_metrics(tmp_path: Path) -> None:
    first = train_run(_config(), tmp_path / "a", motif_set())
    second = train_run(_config(), tmp_path / "b", motif_set())
    other = train_run(_config(trainer={"seed": 1}), tmp_path / "c", motif_set())
    assert first.metrics == second.metrics
    assert first.metrics != other.metrics


def test_duplicates_in_manifest(tmp_path: Path) -> None:
    seqset = motif_set(100)
    seqs = [seqset.sequence(i) for i in range(100)]
    seqs[50] = seqs[0]
    labels = seqset.labels.copy()
    labels[50] = labels[0]
    splits = np.array(["train"] * 80 + ["valid"] * 10 + ["test"] * 10, dtype=object)
    splits[[0, 50]] = ["train", "test"]
    data = SequenceSet.from_strings(seqs, labels=labels, class_names=seqset.class_names,
                                    task="binary", splits=splits, ids=[f"r{i}" for i in range(100)])
    train_run(_config(trainer={"epochs": 1}), tmp_path / "report", data)
    manifest = json.loads((tmp_path / "report" / "manifest.json").read_text())
    assert manifest["duplicates"]["n_cross_split_groups"] == 1
    assert manifest["duplicates"]["cross_split_ids"] == [["r0", "r50"]]

    train_run(_config(trainer={"epochs": 1}, data={"dedup": "drop"}), tmp_path / "drop", data)
    manifest = json.loads((tmp_path / "drop" / "manifest.json").read_text())
    assert manifest["duplicates"]["n_cross_split_groups"] == 0
    assert manifest["duplicates"]["dropped"]["copies"] == 1
    assert manifest["split_sizes"]["test"] == int(np.sum(splits == "test")) - 1


def test_stratified_split_one_member_class_in_run(tmp_path: Path) -> None:
    data = SequenceSet.from_strings(["ACGT", "ACGA", "ACGC", "ACGG", "TTTT"],
                                    labels=np.array([0, 0, 0, 0, 1]), class_names=["a", "b"],
                                    task="binary")
    config = _config(data={"val_fraction": 0.2, "test_fraction": 0.0})
    with pytest.raises(LabelError, match=r"class 'b' has 1 record.*at least 2"):
        train_run(config, tmp_path / "run", data)


def test_unlabelled_data_rejected(tmp_path: Path) -> None:
    data = SequenceSet.from_strings(["ACGT", "ACGA"])
    with pytest.raises(LabelError, match="have no labels"):
        train_run(_config(), tmp_path / "run", data)
    # The run folder's log records why the run stopped.
    log = (tmp_path / "run" / "train.log").read_text()
    assert "ERROR bioseq.train.run: run failed: the training data" in log
    assert "have no labels" in log


def test_rc_augment_rejects_protein(tmp_path: Path) -> None:
    data = SequenceSet.from_strings(["MKVL", "MKVA"] * 10, alphabet="protein",
                                    labels=np.array([0, 1] * 10), class_names=["a", "b"],
                                    task="binary")
    with pytest.raises(ConfigError, match="need DNA or RNA"):
        train_run(_config(trainer={"rc_augment": True}), tmp_path / "run", data)


def test_rc_augment_and_shift_train(tmp_path: Path) -> None:
    config = _config(trainer={"rc_augment": True, "rc_average": True, "shift": 2, "epochs": 2})
    result = train_run(config, tmp_path / "run", motif_set())
    _, metadata = load_model(tmp_path / "run" / "model.safetensors")
    assert metadata["training"]["rc_average"] is True
    assert np.isfinite(result.metrics["val_loss"])


@pytest.mark.parametrize("schedule", ["none", "cosine", "exponential", "onecycle"])
def test_schedules_change_lr(tmp_path: Path, schedule: str) -> None:
    train_run(_config(schedule={"name": schedule}, trainer={"epochs": 2}), tmp_path / "run",
              motif_set())
    rates = [float(row["lr"]) for row in csv.DictReader(open(tmp_path / "run" / "metrics.csv"))]
    if schedule == "none":
        assert rates == [0.01, 0.01]
    else:
        assert rates[0] != rates[1]


def test_early_stopping_stops(tmp_path: Path) -> None:
    config = _config(optimizer={"lr": 1e-9}, schedule={"name": "none"},
                     trainer={"epochs": 30, "early_stopping": 1})
    train_run(config, tmp_path / "run", motif_set())
    rows = list(csv.DictReader(open(tmp_path / "run" / "metrics.csv")))
    assert len(rows) < 30


def test_train_log_written(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="bioseq"):
        train_run(_config(trainer={"epochs": 1}), tmp_path / "run", motif_set())
    log = (tmp_path / "run" / "train.log").read_text()
    assert "split train: 192 records" in log
    assert "epoch 0:" in log
