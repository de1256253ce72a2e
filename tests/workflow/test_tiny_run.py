"""One real run of the whole workflow on a tiny simulated project.

The ``bioseq`` that the rules call is a small script in front of the real
one: it fails the first ``bioseq train`` call that sets a batch size, as a
crashed or out-of-memory training job would, and records every call. So the
run also shows what a retry changes.
"""

from __future__ import annotations

import csv
import os
import re
import stat
import sys
from pathlib import Path

import pytest

from bioseq.workflow import workflow_environment

from .helpers import make_project, output_of, run_snakemake

pytestmark = pytest.mark.workflow

FAILING_BIOSEQ = """#!/usr/bin/env bash
echo "$*" >> "{calls}"
if [[ "$1" == train && "$*" == *--batch-size* && ! -e "{marker}" ]]; then
  touch "{marker}"
  echo "injected failure of the first training attempt" >&2
  exit 1
fi
exec "{real}" "$@"
"""


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    make_project(folder)
    shim_dir = folder / "shim"
    shim_dir.mkdir()
    shim = shim_dir / "bioseq"
    shim.write_text(FAILING_BIOSEQ.format(
        calls=folder / "calls.txt", marker=folder / "failed-once",
        real=Path(sys.executable).parent / "bioseq",
    ))
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    env = workflow_environment()
    env["PATH"] = os.pathsep.join([str(shim_dir), env["PATH"]])
    result = run_snakemake(folder, env=env, timeout=400)
    return folder, result


def _train_calls(folder: Path) -> list[str]:
    return [line for line in (folder / "calls.txt").read_text().splitlines()
            if line.startswith("train ")]


def test_tiny_run_succeeds(tiny_run):
    folder, result = tiny_run
    assert result.returncode == 0, output_of(result)[-4000:]


def test_tiny_run_compares_every_model(tiny_run):
    folder, _ = tiny_run
    with open(folder / "results/comparison.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    models = sorted(row["model"] for row in rows)
    assert len(models) == 2
    assert "sim.cnn.holdout.seed0" in models[0]
    assert "sim.kmer.holdout.seed0" in models[1]
    assert (folder / "results/comparison.html").is_file()


def test_tiny_run_logs_and_benchmarks(tiny_run):
    folder, _ = tiny_run
    results = folder / "results"
    for run in ("sim.cnn.holdout.seed0", "sim.kmer.holdout.seed0"):
        assert (results / f"logs/train/{run}.log").is_file()
        assert (results / f"logs/evaluate/{run}.log").is_file()
        assert (results / f"benchmarks/train/{run}.tsv").is_file()
        assert (results / f"benchmarks/evaluate/{run}.tsv").is_file()
    assert (results / "logs/report.log").is_file()


def test_retry_keeps_batch_size(tiny_run):
    folder, _ = tiny_run
    calls = [call for call in _train_calls(folder) if "sim.cnn.holdout.seed0" in call]
    batch_sizes = [int(re.search(r"--batch-size (\d+)", call).group(1)) for call in calls]
    # The retry repeats the flags, so it can resume from the first attempt's checkpoint.
    assert batch_sizes == [32, 32]
    assert all("--resume auto" in call for call in calls)


def test_retry_doubles_memory(tiny_run):
    folder, result = tiny_run
    # Snakemake prints each job's resources as it starts it.
    jobs = re.findall(
        r"rule train:\n(?:    .*\n)*?    output: results/runs/sim\.cnn\.holdout\.seed0/model\.safetensors"
        r"\n(?:    .*\n)*?    resources: .*?mem_mb=(\d+)",
        output_of(result),
    )
    assert [int(mem) for mem in jobs] == [4000, 8000]
    log = (folder / "results/logs/train/sim.cnn.holdout.seed0.log").read_text()
    assert log.startswith("train: attempt resources mem_mb=8000 runtime=120")


def test_tiny_run_rerun_has_nothing_to_do(tiny_run):
    folder, _ = tiny_run
    plan = run_snakemake(folder, dry_run=True)
    assert plan.returncode == 0, output_of(plan)
    assert "Nothing to be done" in output_of(plan)


def test_snakemake_report_collects_outputs(tiny_run):
    folder, _ = tiny_run
    report = folder / "results/report.html"
    result = run_snakemake(folder, extra=("--report", str(report)))
    assert result.returncode == 0, output_of(result)[-4000:]
    text = report.read_text(errors="replace")
    assert "comparison.csv" in text
    assert "confusion_matrix.png" in text
