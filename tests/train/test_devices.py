"""Tests of device checks: missing CUDA, SLURM task layout and two-process DDP."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from helpers import run_bioseq, write_motif_csv

from bioseq.cli import main
from bioseq.errors import DeviceError
from bioseq.train.devices import check_slurm_layout, plan_devices

SLURM_MISMATCH = {"SLURM_JOB_ID": "1", "SLURM_NTASKS": "1", "SLURM_NTASKS_PER_NODE": "2",
                  "SLURM_PROCID": "0", "SLURM_LOCALID": "0", "SLURM_NODEID": "0"}


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a host without CUDA")
def test_device_cuda_without_gpu(tmp_path: Path) -> None:
    data = write_motif_csv(tmp_path / "train.csv", n=40)
    result = run_bioseq(
        ["train", "--data", str(data), "--label-column", "label", "--device", "cuda",
         "--out", str(tmp_path / "run")],
        env={**os.environ, "CUDA_VISIBLE_DEVICES": ""}, timeout=240,
    )
    assert result.returncode == 1
    assert "no CUDA device visible (CUDA_VISIBLE_DEVICES='')" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "run" / "model.safetensors").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a host without CUDA")
def test_auto_falls_back_to_cpu_with_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="bioseq"):
        plan = plan_devices("auto", "auto", 1, "auto", work_estimate=1e12)
    assert plan.accelerator == "cpu"
    assert plan.precision == "32-true"
    assert "no CUDA device visible" in caplog.text
    assert "GPU-sized" in caplog.text


def test_small_job_on_cpu_without_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="bioseq"):
        plan = plan_devices("cpu", "1", 1, "auto", work_estimate=1e12)
    assert plan.accelerator == "cpu"
    assert "GPU-sized" not in caplog.text


def test_slurm_task_mismatch(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in SLURM_MISMATCH.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(DeviceError, match=r"SLURM_NTASKS=1") as caught:
        check_slurm_layout(2, 1)
    message = str(caught.value)
    assert "SLURM_NTASKS_PER_NODE=2" in message
    assert "--devices 2" in message
    assert "#SBATCH --ntasks-per-node=2" in message


def test_slurm_task_match(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLURM_JOB_ID", "1")
    monkeypatch.setenv("SLURM_NTASKS", "2")
    monkeypatch.setenv("SLURM_NTASKS_PER_NODE", "2")
    assert check_slurm_layout(2, 1) is True


def test_slurm_mismatch_cli_fails_fast(tmp_path: Path) -> None:
    data = write_motif_csv(tmp_path / "train.csv", n=40)
    result = run_bioseq(
        ["train", "--data", str(data), "--label-column", "label", "--devices", "2",
         "--accelerator", "cpu", "--out", str(tmp_path / "run")],
        env={**os.environ, **SLURM_MISMATCH}, timeout=240,
    )
    assert result.returncode == 1
    assert "SLURM_NTASKS=1" in result.stderr
    assert "--ntasks-per-node=2" in result.stderr


def test_ddp_two_cpu_processes(tmp_path: Path) -> None:
    data = write_motif_csv(tmp_path / "train.csv", n=200, length=30)
    env = {key: value for key, value in os.environ.items() if not key.startswith("SLURM_")}
    result = run_bioseq(
        ["-q", "train", "--data", str(data), "--label-column", "label", "--model", "cnn",
         "--param", "conv_layers=[{filters: 4, kernel_size: 5}]", "--epochs", "2",
         "--batch-size", "20", "--devices", "2", "--accelerator", "cpu", "--test-fraction", "0",
         "--out", str(tmp_path / "run")],
        env=env,
    )
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    distributed = manifest["distributed"]
    assert manifest["device"]["strategy"] == "ddp"
    assert distributed["world_size"] == 2
    assert distributed["records_seen_per_rank"] == [90, 90]
    assert distributed["records_seen_by_several_ranks"] == 0
    assert distributed["parameters_identical_across_ranks"] is True
    assert (tmp_path / "run" / "model.safetensors").is_file()


def test_devices_option_rejects_words() -> None:
    result = CliRunner().invoke(main, ["train", "--data", "x.csv", "--devices", "many",
                                       "--out", "run"])
    assert result.exit_code == 1
    assert "trainer.devices must be 'auto' or a positive integer" in result.output


@pytest.mark.gpu
def test_auto_uses_cuda_with_bf16(tmp_path: Path) -> None:
    from helpers import motif_set

    from bioseq.train.config import resolve_config
    from bioseq.train.run import train_run

    config = resolve_config(overrides={
        "model": {"name": "cnn", "params": {"conv_layers": [{"filters": 4, "kernel_size": 5}]}},
        "trainer": {"epochs": 1, "batch_size": 32, "devices": "1"},
    })
    result = train_run(config, tmp_path / "run", motif_set(120))
    device = result.manifest["device"]
    assert device["accelerator"] == "gpu"
    expected = "bf16-mixed" if torch.cuda.is_bf16_supported() else "32-true"
    assert device["precision"] == expected
