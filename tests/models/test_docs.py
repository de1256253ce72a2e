"""The examples in docs/models.md run as shown."""

from __future__ import annotations

import doctest
import json
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from bioseq.cli import main
from bioseq.models.registry import count_parameters, get_model, list_models, model_spec

DOC = Path(__file__).resolve().parents[2] / "docs" / "models.md"


def documented_commands() -> list[str]:
    return re.findall(r"^\$ (bioseq .+)$", DOC.read_text(), flags=re.MULTILINE)


def test_python_examples_pass():
    result = doctest.testfile(str(DOC), module_relative=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize("command", documented_commands())
def test_documented_command_runs(command):
    result = CliRunner().invoke(main, shlex.split(command)[1:])
    assert result.exit_code == 0, result.output
    for name in list_models():
        assert name in result.output


def test_every_preset_documented():
    text = DOC.read_text()
    for name in list_models():
        assert f"| `{name}` |" in text, name


def test_models_json_counts_match():
    result = CliRunner().invoke(main, ["models", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.output)}
    assert sorted(rows) == list_models()
    for name, row in rows.items():
        sizes = {"max_len": 300} if model_spec(name).needs_length else {}
        model = get_model(name, n_outputs=2, in_channels=4, **sizes)
        assert row["n_parameters"] == count_parameters(model), name


def test_models_counts_follow_alphabet_size():
    dna = CliRunner().invoke(main, ["models", "--json"])
    protein = CliRunner().invoke(main, ["models", "--json", "--in-channels", "20"])
    dna_rows = {row["name"]: row["n_parameters"] for row in json.loads(dna.output)}
    protein_rows = {row["name"]: row["n_parameters"] for row in json.loads(protein.output)}
    assert protein_rows["basset"] > dna_rows["basset"]
    assert protein_rows["token-transformer"] == dna_rows["token-transformer"]
