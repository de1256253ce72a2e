"""Run the examples of docs/simulate.md and docs/workflow.md."""

from __future__ import annotations

import doctest
import re
import shlex

import pytest
import yaml
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from bioseq.cli import main
from bioseq.workflow import REPO_ROOT

from .helpers import output_of, run_bioseq

SIMULATE_DOC = REPO_ROOT / "docs" / "simulate.md"
WORKFLOW_DOC = REPO_ROOT / "docs" / "workflow.md"


def _commands(path, prefix):
    return [line.removeprefix("$ ") for line in path.read_text().splitlines()
            if line.startswith(f"$ {prefix}")]


def test_simulate_doc_commands_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    commands = _commands(SIMULATE_DOC, "bioseq simulate")
    assert len(commands) == 3
    for command in commands:
        args = shlex.split(command)[1:]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, f"{command}\n{result.output}"
        out_dir = tmp_path / args[args.index("--out") + 1]
        assert (out_dir / "simulation.json").is_file()


def test_simulate_doc_python_example():
    result = doctest.testfile(str(SIMULATE_DOC), module_relative=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted == 3
    assert result.failed == 0


def test_workflow_doc_config_example_valid():
    text = WORKFLOW_DOC.read_text()
    block = re.search(r"## Configuration.*?```yaml\n(.*?)```", text, re.DOTALL).group(1)
    schema = yaml.safe_load((REPO_ROOT / "workflows/schemas/config.schema.yaml").read_text())
    errors = list(Draft202012Validator(schema).iter_errors(yaml.safe_load(block)))
    assert errors == []


@pytest.mark.workflow
def test_workflow_doc_run_commands_build():
    commands = _commands(WORKFLOW_DOC, "bioseq workflow run")
    assert len(commands) == 5
    for command in commands:
        # my-config.yaml stands for the reader's own file.
        command = command.replace("my-config.yaml", "workflows/config/config.yaml")
        args = shlex.split(command)[1:]
        result = run_bioseq(*args, "--print-command", cwd=REPO_ROOT)
        assert result.returncode == 0, f"{command}\n{output_of(result)}"
        assert "-m snakemake" in result.stdout


@pytest.mark.workflow
def test_workflow_doc_dry_run_with_target():
    command = next(c for c in _commands(WORKFLOW_DOC, "bioseq workflow run") if "--dry-run" in c)
    result = run_bioseq(*shlex.split(command)[1:], cwd=REPO_ROOT)
    assert result.returncode == 0, output_of(result)
    assert "rule evaluate:" in result.stdout


@pytest.mark.workflow
def test_workflow_doc_check_profile():
    command = _commands(WORKFLOW_DOC, "bioseq workflow check-profile")[0]
    result = run_bioseq(*shlex.split(command)[1:], cwd=REPO_ROOT)
    assert result.returncode == 0, output_of(result)
    train = [line for line in result.stdout.splitlines() if line.startswith("train\tsbatch")]
    assert "--gpus=1" in train[0]
