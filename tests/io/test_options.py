"""Shared CLI data options: flags reach the loader, errors become exit codes."""

from __future__ import annotations

import json

import click
from click.testing import CliRunner

from bioseq.cli import LazyGroup
from bioseq.cli.options import DATA_OPTION_NAMES, data_options, load_data_from_options


class LocalGroup(LazyGroup):
    """The bioseq group's error handling over commands defined here."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self.commands.get(cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.commands)


@click.group(cls=LocalGroup)
def group() -> None:
    """Stand-in for the bioseq group."""


@group.command("show")
@data_options
def show(**kwargs: object) -> None:
    data = load_data_from_options(**kwargs)
    summary = {
        "ids": data.ids.tolist(),
        "classes": data.class_names,
        "labels": None if data.labels is None else data.labels.tolist(),
        "splits": None if data.splits is None else data.splits.tolist(),
        "alphabet": data.alphabet.name,
    }
    click.echo(json.dumps(summary))


def run(*args: str) -> click.testing.Result:
    return CliRunner().invoke(group, ["show", *args])


def test_every_option_is_declared():
    names = {parameter.name for parameter in show.params}
    assert set(DATA_OPTION_NAMES) == names


def test_class_per_file_and_positive_class(tmp_path):
    (tmp_path / "pos.fa").write_text(">p1\nACGT\n")
    (tmp_path / "neg.fa").write_text(">n1\nTTTT\n")
    result = run("--data", f"train:z={tmp_path}/pos.fa", "--data", f"train:a={tmp_path}/neg.fa",
                 "--positive-class", "a")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["classes"] == ["z", "a"]
    assert summary["labels"] == [0, 1]
    assert summary["splits"] == ["train", "train"]


def test_table_columns_and_classes(tmp_path):
    (tmp_path / "t.tsv").write_text("name\tdna\tkind\nr1\tACGT\tb\nr2\tGG\ta\n")
    result = run("--data", str(tmp_path / "t.tsv"), "--sequence-column", "dna", "--id-column", "name",
                 "--label-column", "kind", "--classes", "b,a,c")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["ids"] == ["r1", "r2"]
    assert summary["classes"] == ["b", "a", "c"]
    assert summary["labels"] == [0, 1]


def test_header_field_options(tmp_path):
    (tmp_path / "h.fa").write_text(">A|x|0\nMKV\n>B|y|1\nMKL\n")
    result = run("--data", str(tmp_path / "h.fa"), "--header-sep", "|", "--header-fields", "id,kind,fold",
                 "--label-field", "kind", "--split-field", "fold", "--alphabet", "protein")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["ids"] == ["A", "B"]
    assert summary["splits"] == ["0", "1"]
    assert summary["alphabet"] == "protein"


def test_bioseq_error_exits_one(tmp_path):
    (tmp_path / "d.fa").write_text(">a\nAC\n>a\nGG\n")
    result = run("--data", str(tmp_path / "d.fa"))
    assert result.exit_code == 1
    assert "duplicate record id 'a'" in result.output
    renamed = run("--data", str(tmp_path / "d.fa"), "--duplicates", "rename")
    assert json.loads(renamed.output)["ids"] == ["a", "a_2"]


def test_flags_reach_the_reader(tmp_path):
    (tmp_path / "e.fa").write_text("# note\n>e\n\n>s\nAC\n")
    failed = run("--data", str(tmp_path / "e.fa"))
    result = run("--data", str(tmp_path / "e.fa"), "--drop-empty", "--fasta-comments")
    assert failed.exit_code == 1
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["ids"] == ["s"]


def test_missing_data_is_usage_error():
    result = run()
    assert result.exit_code == 2
    assert "--data" in result.output


def test_classes_count_flag(tmp_path):
    (tmp_path / "train.csv").write_text("sequence,label\nACGT,1\nGGCC,2\n")
    result = run("--data", str(tmp_path / "train.csv"), "--classes", "2")
    assert result.exit_code == 1
    assert "label '2' not in classes 0..1 (2 classes)" in result.output
