"""The workflow on a real single-node SLURM cluster, through snakemake-executor-plugin-slurm.

The module fixture starts munged, MariaDB, slurmdbd, slurmctld and slurmd on
loopback with one fake GPU (``workflows/slurm-local/start-slurm.sh``) and
stops them afterwards, also when a test fails, unless they were running
before the tests started.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from bioseq.workflow import REPO_ROOT

from .helpers import make_project, output_of, run_snakemake

pytestmark = [pytest.mark.workflow, pytest.mark.slurm]

SLURM_LOCAL = REPO_ROOT / "workflows" / "slurm-local"
RUN_DIR = Path(os.environ.get("SLURM_LOCAL_RUN", "/run/slurm-local"))


def _slurmctld_running() -> bool:
    pid_file = RUN_DIR / "slurmctld.pid"
    try:
        pid = int(pid_file.read_text().strip())
        return Path(f"/proc/{pid}/comm").read_text().strip() == "slurmctld"
    except (OSError, ValueError):
        return False


@pytest.fixture(scope="module")
def slurm_cluster():
    if os.geteuid() != 0:
        pytest.skip("the local SLURM cluster runs its daemons as root")
    started_here = not _slurmctld_running()
    env = {**os.environ, "SLURM_LOCAL_FAKE_GPUS": "1", "SLURM_LOCAL_ACCOUNTING": "1"}
    try:
        start = subprocess.run([str(SLURM_LOCAL / "start-slurm.sh")], env=env,
                               capture_output=True, text=True, timeout=600, check=False)
        if start.returncode != 0:
            pytest.fail(f"start-slurm.sh failed:\n{output_of(start)[-3000:]}")
        yield
    finally:
        if started_here:
            subprocess.run([str(SLURM_LOCAL / "stop-slurm.sh")], capture_output=True,
                           timeout=120, check=False)


@pytest.fixture(scope="module")
def slurm_run(slurm_cluster, tmp_path_factory):
    folder = tmp_path_factory.mktemp("slurm")
    make_project(folder)
    result = run_snakemake(
        folder, profile="slurm", timeout=480,
        extra=(
            # The shipped profile requests 4 threads and 8 GB for training, more
            # cores than this machine's single node has, so the test requests less.
            "--set-threads", "train=1",
            "--default-resources", "slurm_partition=debug", "slurm_account=bioseq",
            "runtime=10", "mem_mb=1000",
            "--set-resources", "train:mem_mb=2000", "evaluate:mem_mb=1000",
            "--slurm-init-seconds-before-status-checks", "8",
            "--jobs", "2", "--verbose",
        ),
    )
    return folder, result


def test_slurm_workflow_finishes(slurm_run):
    folder, result = slurm_run
    assert result.returncode == 0, output_of(result)[-5000:]
    assert (folder / "results/comparison.csv").is_file()


def test_slurm_jobs_completed_in_accounting(slurm_run):
    _, result = slurm_run
    job_ids = re.findall(r"submitted with SLURM jobid (\d+)", output_of(result))
    # Two training, two evaluation and one report job.
    assert len(job_ids) == 5
    accounting = subprocess.run(
        ["sacct", "-X", "--parsable2", "--noheader", "--format=JobID,State",
         "-j", ",".join(job_ids)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    states = dict(line.split("|") for line in accounting.stdout.split())
    assert sorted(states) == sorted(job_ids)
    assert set(states.values()) == {"COMPLETED"}


def test_slurm_training_requests_gpu(slurm_run):
    _, result = slurm_run
    calls = [line for line in output_of(result).splitlines() if "sbatch call:" in line]
    train = [call for call in calls if "--comment rule_train" in call]
    evaluate = [call for call in calls if "--comment rule_evaluate" in call]
    assert len(train) == 2
    assert all("--gpus=1" in call for call in train)
    assert len(evaluate) == 2
    assert not any("--gpus" in call for call in evaluate)


def test_slurm_training_falls_back_to_cpu(slurm_run):
    folder, _ = slurm_run
    log = (folder / "results/logs/train/sim.cnn.holdout.seed0.log").read_text()
    # SLURM gave the job the fake GPU, which CUDA cannot open.
    assert "CUDA_VISIBLE_DEVICES=0" in log
    assert "device: cpu" in log
