"""Helpers of the workflow tests: a tiny simulated project and Snakemake runners."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from bioseq.simulate import SimulationSpec, write_simulated
from bioseq.workflow import snakemake_command, workflow_environment

REPO_ROOT = Path(__file__).resolve().parents[2]
BIOSEQ = str(Path(sys.executable).parent / "bioseq")

#: A config small enough for a real run in about a minute on two cores.
TINY_CONFIG = {
    "datasets": {
        "sim": {
            "train": ["data/train.csv", "data/valid.csv"],
            "test": "data/test.csv",
            "loader": {
                "format": "csv", "sequence_column": "sequence", "id_column": "id",
                "label_column": "label", "split_column": "split", "task": "binary",
            },
        },
    },
    "models": {
        "cnn": {"preset": "cnn", "epochs": 1, "batch_size": 32},
        "kmer": {"preset": "kmer-logreg"},
    },
    "grid": {"seeds": [0]},
}


def make_project(folder: Path, config: dict | None = None, n_sequences: int = 240) -> Path:
    """Write simulated data and a config into ``folder``; return the config path."""
    folder.mkdir(parents=True, exist_ok=True)
    spec = SimulationSpec(n_sequences=n_sequences, length=60, motifs=("e_box",), seed=1)
    write_simulated(spec, folder / "data", "csv")
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config if config is not None else TINY_CONFIG))
    return path


def run_snakemake(
    folder: Path, *, profile: str = "local", targets: tuple[str, ...] = (),
    config: Path | None = None, dry_run: bool = False, extra: tuple[str, ...] = (),
    env: dict[str, str] | None = None, timeout: int = 300,
) -> subprocess.CompletedProcess[str]:
    """Run the project's Snakefile in ``folder`` under ``timeout -k 15``; never raises."""
    command = snakemake_command(
        profile=profile, targets=targets, configfile=config or folder / "config.yaml",
        directory=folder, dry_run=dry_run, extra_args=list(extra),
    )
    return subprocess.run(
        ["timeout", "-k", "15", str(timeout), *command], cwd=folder, capture_output=True,
        text=True, env=env or workflow_environment(), check=False,
    )


def run_bioseq(*args: str, cwd: Path, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    """Run the installed ``bioseq`` command in ``cwd``; never raises."""
    return subprocess.run(
        ["timeout", "-k", "15", str(timeout), BIOSEQ, *args], cwd=cwd, capture_output=True,
        text=True, env=workflow_environment(), check=False,
    )


def output_of(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


def is_root() -> bool:
    return os.geteuid() == 0
