"""The store examples of docs/train.md and docs/store.md run as shown."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from click.testing import CliRunner

from bioseq.cli import main

DOCS = Path(__file__).resolve().parents[2] / "docs"


def section_commands(path: Path, heading: str) -> list[str]:
    """Return the ``$ bioseq`` lines of the console block under ``heading``."""
    text = path.read_text()
    start = text.index(heading)
    block = re.search(r"```console\n(.*?)```", text[start:], re.S)
    assert block, f"no console block under {heading!r} in {path}"
    return [line[2:] for line in block.group(1).splitlines() if line.startswith("$ bioseq")]


def run_commands(commands: list[str], folder: Path, monkeypatch) -> None:
    monkeypatch.chdir(folder)
    for command in commands:
        result = CliRunner().invoke(main, ["-q", *shlex.split(command)[1:]])
        assert result.exit_code == 0, f"{command}\n{result.output}"


def test_train_doc_store_example(tmp_path, monkeypatch):
    commands = section_commands(DOCS / "train.md", "## Training from an HDF5 store")
    assert len(commands) == 5
    run_commands(commands, tmp_path, monkeypatch)
    assert (tmp_path / "runs" / "store" / "model.safetensors").is_file()
    assert (tmp_path / "eval" / "store" / "report.html").is_file()
    rows = (tmp_path / "store-predictions.csv").read_text().splitlines()
    assert len(rows) == 301
    log = (tmp_path / "runs" / "store" / "train.log").read_text()
    assert "demo.h5 is read out of core" in log


def test_store_doc_commands(tmp_path, monkeypatch):
    setup = section_commands(DOCS / "store.md", "## Example")[:2]
    commands = section_commands(DOCS / "store.md", "## Training, evaluating and predicting")
    assert len(commands) == 3
    run_commands(setup + commands, tmp_path, monkeypatch)
    assert (tmp_path / "runs" / "store" / "model.safetensors").is_file()
    assert (tmp_path / "eval" / "store" / "metrics.json").is_file()
    assert (tmp_path / "store-predictions.csv").is_file()
