"""The examples in docs/evaluate.md and docs/predict.md run as shown."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from bioseq.cli import main

DOCS = Path(__file__).resolve().parents[2] / "docs"


def blocks(page: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", (DOCS / page).read_text(), flags=re.S)


def run_console_examples(page: str, folder: Path, monkeypatch) -> None:
    monkeypatch.chdir(folder)
    commands = [line[2:] for block in blocks(page, "console") for line in block.splitlines()
                if line.startswith("$ bioseq ")]
    assert commands
    runner = CliRunner()
    for command in commands:
        result = runner.invoke(main, shlex.split(command)[1:])
        assert result.exit_code == 0, f"{command}\n{result.output}"


def test_evaluate_doc_example_runs(tmp_path, monkeypatch):
    run_console_examples("evaluate.md", tmp_path, monkeypatch)
    assert (tmp_path / "eval" / "report.html").is_file()
    assert (tmp_path / "comparison" / "comparison.csv").is_file()


def test_evaluate_doc_python_example():
    for block in blocks("evaluate.md", "python"):
        exec(compile(block, "docs/evaluate.md", "exec"), {})


def test_predict_doc_example_runs(tmp_path, monkeypatch):
    run_console_examples("predict.md", tmp_path, monkeypatch)
    table = pd.read_csv(tmp_path / "preds.csv")
    shown = blocks("predict.md", "text")[0].splitlines()[0].split(",")
    assert list(table.columns) == shown
    assert len(pd.read_csv(tmp_path / "preds_rc.csv")) == len(table)


@pytest.mark.parametrize("page", ["evaluate.md", "predict.md"])
def test_documented_options_exist(page):
    from bioseq.cli.evaluate import evaluate
    from bioseq.cli.predict import predict
    from bioseq.cli.report import report

    known = {opt for command in (evaluate, predict, report) for param in command.params
             for opt in [*param.opts, *getattr(param, "secondary_opts", [])]}
    documented = set(re.findall(r"`(--[a-z-]+)", (DOCS / page).read_text()))
    assert documented
    assert documented - known == set()
