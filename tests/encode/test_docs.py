"""The examples in docs/encoding.md run as shown, and every documented option exists."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from bioseq.cli import main
from bioseq.cli.encode import encode

PAGE = Path(__file__).resolve().parents[2] / "docs" / "encoding.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", PAGE.read_text(), flags=re.S)


def test_console_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = PAGE.read_text()
    for name, content in re.findall(r"<!-- file: (\S+) -->\n```text\n(.*?)```", text, flags=re.S):
        (tmp_path / name).write_text(content)
    commands = [line[2:] for block in blocks("console") for line in block.splitlines()
                if line.startswith("$ bioseq ")]
    assert len(commands) == 5
    runner = CliRunner()
    for command in commands:
        result = runner.invoke(main, shlex.split(command)[1:])
        assert result.exit_code == 0, f"{command}\n{result.output}"
    with np.load(tmp_path / "windows.npz") as archive:
        assert archive["ids"].tolist() == ["chrT:2-8", "chrT:6-14(-)", "chrU:0-12"]
        assert json.loads(str(archive["metadata"]))["transforms"]["intervals_padded"] == 1
    with np.load(tmp_path / "onehot.npz") as archive:
        assert archive["x"].shape[1:] == (4, 100)


def test_python_example_runs():
    for block in blocks("python"):
        exec(compile(block, str(PAGE), "exec"), {})


def test_documented_options_exist():
    known = {opt for param in encode.params for opt in getattr(param, "opts", [])}
    documented = set(re.findall(r"`(--[a-z-]+)", PAGE.read_text()))
    assert documented
    assert documented - known == set()
