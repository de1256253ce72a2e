"""Run the examples of docs/train.md, docs/config.md and docs/api.md."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import run_bioseq

from bioseq.cli import main
from bioseq.train.config import resolve_config

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _block(path: Path, language: str) -> str:
    match = re.search(rf"```{language}\n(.*?)```", path.read_text(), re.S)
    assert match, f"no {language} block in {path}"
    return match.group(1)


def test_config_example_resolves(tmp_path: Path) -> None:
    path = tmp_path / "demo-run.yaml"
    path.write_text(_block(DOCS / "config.md", "yaml"))
    config = resolve_config(path)
    assert config.schedule.name == "cosine"
    assert config.model.params["conv_layers"] == [{"filters": 16, "kernel_size": 9}]


def test_train_commands_run(tmp_path: Path) -> None:
    (tmp_path / "demo-run.yaml").write_text(_block(DOCS / "config.md", "yaml"))
    commands = [line[2:] for line in _block(DOCS / "train.md", "console").splitlines()
                if line.startswith("$ bioseq")]
    assert len(commands) == 5
    for command in commands:
        arguments = shlex.split(command)[1:]
        result = run_bioseq(["-q", *arguments], cwd=tmp_path)
        assert result.returncode == 0, f"{command}\n{result.stderr}"
    for run in ("deepbind", "from-config", "baseline"):
        assert (tmp_path / "runs" / run / "model.safetensors").is_file(), run
        assert (tmp_path / "runs" / run / "manifest.json").is_file(), run


def test_api_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(_block(DOCS / "api.md", "python"), "docs/api.md", "exec"), namespace)
    assert (tmp_path / "clf.safetensors").is_file()
    assert namespace["same"].classes_.tolist() == ["background", "motif"]


def test_every_train_option_documented() -> None:
    # The shared data options (--data, --format, --split-map, ...) are documented
    # once in docs/io.md, and -q/-v of every command in docs/index.md; every other
    # option of bioseq train belongs in docs/train.md.
    texts = [(DOCS / name).read_text() for name in ("train.md", "io.md", "index.md")]
    help_text = CliRunner().invoke(main, ["train", "--help"]).output
    options = set(re.findall(r"(--[a-z][a-z-]+)", help_text)) - {"--help"}
    missing = sorted(option for option in options if not any(option in text for text in texts))
    assert missing == []
