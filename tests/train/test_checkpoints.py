"""Tests of checkpoints: resume, schedule state, safe loading and SIGUSR1."""

from __future__ import annotations

import argparse
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import lightning.pytorch as pl
import pytest
import torch
from helpers import motif_set, write_motif_csv

from bioseq.errors import ConfigError, ModelFileError
from bioseq.train.checkpoint import load_checkpoint
from bioseq.train.config import resolve_config
from bioseq.train.run import train_run

# 160 records, 80% train = 128, batch 26: 5 optimizer steps per epoch.
SMALL = {"model": {"name": "cnn", "params": {"conv_layers": [{"filters": 4, "kernel_size": 5}]}},
         "data": {"val_fraction": 0.1, "test_fraction": 0.1},
         "trainer": {"batch_size": 26, "accelerator": "cpu", "devices": "1"}}


def _config(epochs: int, schedule: str = "onecycle", resume: str | None = None) -> object:
    overrides = {key: dict(value) for key, value in SMALL.items()}
    overrides["trainer"].update({"epochs": epochs, "resume": resume})
    overrides["schedule"] = {"name": schedule}
    return resolve_config(overrides=overrides)


class LearningRates(pl.Callback):
    """Record the learning rate in force at every optimizer step."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.rates: list[float] = []
        self.stop_after = stop_after

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self.rates.append(trainer.optimizers[0].param_groups[0]["lr"])

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        if self.stop_after is not None and trainer.global_step >= self.stop_after:
            trainer.should_stop = True


@pytest.mark.parametrize("schedule", ["onecycle", "exponential", "cosine"])
def test_lr_after_resume_matches(tmp_path: Path, schedule: str) -> None:
    data = motif_set(160)
    full = LearningRates()
    train_run(_config(4, schedule), tmp_path / "full", data, callbacks=[full])
    assert len(full.rates) == 20

    first = LearningRates(stop_after=10)
    train_run(_config(4, schedule), tmp_path / "cut", data, callbacks=[first])
    assert len(first.rates) == 10
    state = load_checkpoint(tmp_path / "cut" / "checkpoints" / "last.ckpt")
    assert state["global_step"] == 10
    assert state["optimizer_states"][0]["state"]
    assert state["lr_schedulers"][0]["last_epoch"] == 10

    resumed = LearningRates()
    train_run(_config(4, schedule, resume="auto"), tmp_path / "cut", data, callbacks=[resumed])
    assert len(resumed.rates) == 10
    for step, (expected, got) in enumerate(zip(full.rates[10:], resumed.rates, strict=True)):
        assert abs(expected - got) <= 1e-12, f"step {step + 11}"


def test_resume_auto_empty_directory(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO", logger="bioseq"):
        result = train_run(_config(1, resume="auto"), tmp_path / "run", motif_set(160))
    assert "no checkpoint found" in caplog.text
    assert "starting fresh" in caplog.text
    assert result.model_path.is_file()


def test_resume_auto_skips_corrupt_checkpoint(tmp_path: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    data = motif_set(160)
    train_run(_config(3), tmp_path / "run", data, callbacks=[LearningRates(stop_after=10)])
    folder = tmp_path / "run" / "checkpoints"
    previous = load_checkpoint(folder / "last.previous.ckpt")
    assert previous["global_step"] == 5
    (folder / "last.ckpt").write_bytes((folder / "last.ckpt").read_bytes()[:1000])
    os.utime(folder / "last.ckpt")
    rates = LearningRates()
    with caplog.at_level("INFO", logger="bioseq"):
        train_run(_config(3, resume="auto"), tmp_path / "run", data, callbacks=[rates])
    assert "truncated or corrupt" in caplog.text
    assert "resuming from" in caplog.text
    assert "last.previous.ckpt" in caplog.text
    assert len(rates.rates) == 10
    assert load_checkpoint(folder / "last.ckpt")["global_step"] == 15


def test_resume_with_other_epochs_rejected(tmp_path: Path) -> None:
    data = motif_set(160)
    train_run(_config(2), tmp_path / "run", data)
    with pytest.raises(ConfigError, match=r"10 steps.*15 steps"):
        train_run(_config(3, resume="auto"), tmp_path / "run", data)


def test_checkpoint_loads_weights_only(tmp_path: Path) -> None:
    train_run(_config(1), tmp_path / "run", motif_set(160))
    for name in ("last.ckpt", "best.ckpt"):
        state = torch.load(tmp_path / "run" / "checkpoints" / name, weights_only=True)
        assert "state_dict" in state
        assert "hyper_parameters" not in state


def test_foreign_checkpoint_refused(tmp_path: Path) -> None:
    path = tmp_path / "foreign.ckpt"
    torch.save({"state_dict": {}, "hparams": argparse.Namespace(lr=0.1)}, path)
    with pytest.raises(ModelFileError, match="weights_only=True"):
        load_checkpoint(path)


class _WriteFile:
    def __init__(self, target: str) -> None:
        self.target = target

    def __reduce__(self):
        return (open, (self.target, "w"))


def test_crafted_pickle_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "pwned.txt"
    path = tmp_path / "crafted.ckpt"
    path.write_bytes(pickle.dumps({"state_dict": _WriteFile(str(target))}))
    with pytest.raises(ModelFileError):
        load_checkpoint(path)
    assert not target.exists()


def test_resume_from_foreign_path_refused(tmp_path: Path) -> None:
    path = tmp_path / "foreign.ckpt"
    torch.save({"state_dict": {}, "hparams": argparse.Namespace(lr=0.1)}, path)
    with pytest.raises(ModelFileError, match="foreign.ckpt"):
        train_run(_config(1, resume=str(path)), tmp_path / "run", motif_set(160))


def _start_training(tmp_path: Path, epochs: int) -> subprocess.Popen:
    data = write_motif_csv(tmp_path / "train.csv", n=1500, length=100)
    command = [str(Path(sys.executable).parent / "bioseq"), "-q", "train", "--data", str(data),
               "--label-column", "label", "--model", "cnn", "--param",
               "conv_layers=[{filters: 32, kernel_size: 15}, {filters: 32, kernel_size: 9}]",
               "--epochs", str(epochs), "--batch-size", "16", "--accelerator", "cpu",
               "--devices", "1", "--out", str(tmp_path / "run")]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _wait_for(path: Path, process: subprocess.Popen, timeout: float = 600) -> None:
    deadline = time.time() + timeout
    while not path.exists():
        if process.poll() is not None:
            raise AssertionError(f"training exited early: {process.stderr.read()}")
        if time.time() > deadline:
            process.kill()
            raise AssertionError(f"{path} did not appear within {timeout} s")
        time.sleep(0.2)


def test_sigusr1_saves_and_stops(tmp_path: Path) -> None:
    process = _start_training(tmp_path, epochs=50)
    _wait_for(tmp_path / "run" / "checkpoints" / "last.ckpt", process)
    before = load_checkpoint(tmp_path / "run" / "checkpoints" / "last.ckpt")["global_step"]
    process.send_signal(signal.SIGUSR1)
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr
    assert "SIGUSR1 received" in stderr
    state = load_checkpoint(tmp_path / "run" / "checkpoints" / "last.ckpt")
    assert state["global_step"] > before


def test_sigusr1_then_kill_leaves_valid_checkpoint(tmp_path: Path) -> None:
    process = _start_training(tmp_path, epochs=50)
    folder = tmp_path / "run" / "checkpoints"
    _wait_for(folder / "last.ckpt", process)
    process.send_signal(signal.SIGUSR1)
    time.sleep(1.0)
    process.kill()
    process.wait(timeout=30)
    checkpoints = sorted(folder.glob("*.ckpt"))
    assert folder / "last.ckpt" in checkpoints
    for path in checkpoints:
        assert "state_dict" in load_checkpoint(path), path
