"""-q and -v: which log lines and warnings reach stderr."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "train"))
from helpers import run_bioseq, write_motif_csv  # noqa: E402

TINY = ["--label-column", "label", "--param", "conv_layers=[{filters: 4, kernel_size: 5}]",
        "--accelerator", "cpu", "--devices", "1", "--batch-size", "32", "--epochs", "1"]
LIGHTNING_LINES = ("GPU available", "TPU available", "litlogger", "num_workers",
                   "Loading `train_dataloader`", "srun")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("logging")
    data = write_motif_csv(folder / "motif.csv", n=120)
    stderr = {}
    for flag in ("-q", "", "-v"):
        flags = [flag] if flag else []
        result = run_bioseq([*flags, "train", "--data", str(data), *TINY,
                             "--out", str(folder / f"run{flag}")], timeout=300)
        assert result.returncode == 0, result.stderr
        stderr[flag] = result.stderr
    return stderr


@pytest.mark.parametrize("text", LIGHTNING_LINES)
def test_quiet_hides_lightning_lines(outputs: dict[str, str], text: str) -> None:
    assert text not in outputs["-q"]


def test_quiet_hides_info_lines(outputs: dict[str, str]) -> None:
    assert " INFO " not in outputs["-q"]


def test_default_hides_lightning_info(outputs: dict[str, str]) -> None:
    assert "GPU available" not in outputs[""]
    assert " INFO bioseq.train.run" in outputs[""]


def test_verbose_routes_lightning_info(outputs: dict[str, str]) -> None:
    lines = [line for line in outputs["-v"].splitlines() if "GPU available" in line]
    assert len(lines) == 1
    assert " INFO lightning.pytorch" in lines[0]


def test_quiet_keeps_bioseq_warnings(tmp_path: Path) -> None:
    fasta = tmp_path / "short.fa"
    fasta.write_text(">s1\nAC\n>s2\nACGTA\n")
    result = run_bioseq(["-q", "encode", str(fasta), "--alphabet", "dna", "--kind", "kmer",
                         "-k", "3", "--out", str(tmp_path / "k.npz")], timeout=120)
    assert result.returncode == 0, result.stderr
    assert "shorter than k=3" in result.stderr


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_works_after_subcommand(tmp_path: Path, where: str) -> None:
    fasta = tmp_path / "short.fa"
    fasta.write_text(">s1\nACGT\n>s2\nACGTA\n")
    command = ["preprocess", str(fasta), "--alphabet", "dna", "--out", str(tmp_path / "s.h5")]
    flags = ["-q", *command] if where == "before" else [*command, "-q"]
    result = run_bioseq(flags, timeout=120)
    assert result.returncode == 0, result.stderr
    assert " INFO " not in result.stderr
    loud = run_bioseq([*command, "--overwrite"], timeout=120)
    assert " INFO bioseq.io.store_writer" in loud.stderr
