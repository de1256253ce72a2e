"""Files that bioseq writes atomically get the umask's mode, not mkstemp's 0600."""

from __future__ import annotations

import os
import stat

import pytest
from click.testing import CliRunner

from bioseq.cli import main

from .test_baseline import motif_set
from .test_evaluate_cli import write_csv


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def file_mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def run_ok(arguments):
    result = CliRunner().invoke(main, [str(a) for a in arguments])
    assert result.exit_code == 0, result.output
    return result


def test_written_files_honour_umask(umask_022, tmp_path):
    data = write_csv(motif_set(120, 2, seed=5), tmp_path / "data.csv")
    table = ["--sequence-column", "sequence", "--id-column", "id", "--label-column", "label"]
    run_dir = tmp_path / "run"
    run_ok(["train", "--data", data, *table, "--model", "kmer-logreg", "--out", run_dir,
            "--seed", "1"])
    run_ok(["evaluate", run_dir, "--data", data, *table, "--out", tmp_path / "eval",
            "--bootstrap", "5"])
    run_ok(["report", tmp_path / "eval", "--out", tmp_path / "compare"])
    run_ok(["predict", run_dir / "model.safetensors", data, "--sequence-column", "sequence",
            "--id-column", "id", "--out", tmp_path / "preds.csv"])
    run_ok(["encode", data, *table, "--kind", "kmer", "--k", "2",
            "--out", tmp_path / "x.npz"])

    written = [run_dir / "model.safetensors", run_dir / "config.yaml",
               run_dir / "manifest.json", tmp_path / "preds.csv", tmp_path / "x.npz",
               tmp_path / "compare" / "comparison.csv", tmp_path / "compare" / "comparison.html"]
    written += [path for path in (tmp_path / "eval").rglob("*") if path.is_file()]
    assert len(written) > 10
    for path in written:
        assert file_mode(path) == 0o644, f"{path} has mode {oct(file_mode(path))}"
