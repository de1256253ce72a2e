"""bioseq train on a run folder that contains an earlier run, and on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import run_bioseq, write_motif_csv

from bioseq.train.checkpoint import load_checkpoint

TINY = ["--label-column", "label", "--param", "conv_layers=[{filters: 4, kernel_size: 5}]",
        "--accelerator", "cpu", "--devices", "1", "--batch-size", "32"]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("finished")
    data = write_motif_csv(folder / "motif.csv", n=120)
    out = folder / "run"
    result = run_bioseq(["-q", "train", "--data", str(data), *TINY, "--epochs", "1",
                         "--out", str(out)], timeout=300)
    assert result.returncode == 0, result.stderr
    return data, out


def test_existing_run_rejected(finished_run: tuple[Path, Path]) -> None:
    data, out = finished_run
    before = (out / "checkpoints" / "last.ckpt").read_bytes()
    result = run_bioseq(["-q", "train", "--data", str(data), *TINY, "--epochs", "1",
                         "--out", str(out)], timeout=300)
    assert result.returncode == 1
    assert f"run folder {out} already contains an earlier run" in result.stderr
    assert "checkpoints/last.ckpt" in result.stderr
    assert "--resume auto" in result.stderr
    assert "--overwrite" in result.stderr
    assert "another --out" in result.stderr
    assert (out / "checkpoints" / "last.ckpt").read_bytes() == before


def test_resume_of_finished_run_changes_nothing(finished_run: tuple[Path, Path]) -> None:
    data, out = finished_run
    files = ("manifest.json", "model.safetensors", "metrics.csv", "checkpoints/last.ckpt")
    before = {name: (out / name).read_bytes() for name in files}
    result = run_bioseq(["-v", "train", "--data", str(data), *TINY, "--epochs", "1",
                         "--resume", "auto", "--out", str(out)], timeout=300)
    assert result.returncode == 0, result.stderr
    assert "already finished 1 of 1 epochs; nothing to resume" in result.stderr
    for name, content in before.items():
        assert (out / name).read_bytes() == content, name


def test_resume_and_overwrite_contradict(finished_run: tuple[Path, Path]) -> None:
    data, out = finished_run
    result = run_bioseq(["-q", "train", "--data", str(data), *TINY, "--epochs", "1",
                         "--resume", "auto", "--overwrite", "--out", str(out)], timeout=300)
    assert result.returncode == 1
    assert "--resume auto and --overwrite contradict each other" in result.stderr


def test_overwrite_starts_again(tmp_path: Path) -> None:
    data = write_motif_csv(tmp_path / "motif.csv", n=120)
    out = tmp_path / "run"
    first = run_bioseq(["-q", "train", "--data", str(data), *TINY, "--epochs", "2",
                        "--out", str(out)], timeout=300)
    assert first.returncode == 0, first.stderr
    steps_before = load_checkpoint(out / "checkpoints" / "last.ckpt")["global_step"]
    second = run_bioseq(["train", "--data", str(data), *TINY, "--epochs", "1", "--overwrite",
                         "--out", str(out)], timeout=300)
    assert second.returncode == 0, second.stderr
    assert "--overwrite: deleted" in second.stderr
    # A fresh one-epoch run has half the steps; a continuation would have more.
    assert load_checkpoint(out / "checkpoints" / "last.ckpt")["global_step"] * 2 == steps_before
    assert not (out / "checkpoints" / "last.previous.ckpt").exists()


def test_sigint_reports_checkpoint(tmp_path: Path) -> None:
    data = write_motif_csv(tmp_path / "motif.csv", n=120)
    out = tmp_path / "run"
    command = [str(Path(sys.executable).parent / "bioseq"), "-q", "train", "--data", str(data),
               *TINY, "--epochs", "500", "--out", str(out)]
    # A child inherits an ignored SIGINT; restore the default so Python raises KeyboardInterrupt.
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        last = out / "checkpoints" / "last.ckpt"
        deadline = time.monotonic() + 240
        while not last.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert last.exists(), "no checkpoint appeared"
        os.kill(process.pid, signal.SIGINT)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    assert process.returncode == 130, stderr
    message = [line for line in stderr.splitlines() if line.startswith("bioseq train was interrupted")]
    assert len(message) == 1, stderr
    assert str(last) in message[0] or str(out / "checkpoints" / "last.previous.ckpt") in message[0]
    assert "--resume auto" in message[0]
    assert stdout == ""
