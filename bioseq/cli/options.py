"""The data-loading flags shared by every command that reads sequences.

A command adds them with :func:`data_options` and turns the parsed values
into a :class:`~bioseq.sequences.SequenceSet` with
:func:`load_data_from_options`, which passes them to
:func:`bioseq.io.load.load_sequences`::

    @click.command()
    @data_options
    def train(**kwargs):
        data = load_data_from_options(**kwargs)

Values the user did not give are left out, so the library defaults apply.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from bioseq.sequences import SequenceSet

F = TypeVar("F", bound=Callable[..., Any])

# Option name -> load_sequences keyword, for every flag that data_options adds.
_KEYWORDS: dict[str, str] = {
    "data_format": "format",
    "alphabet": "alphabet",
    "sequence_column": "sequence_column",
    "id_column": "id_column",
    "label_column": "label_columns",
    "split_column": "split_column",
    "table_sep": "sep",
    "label_field": "label_field",
    "label_from": "label_from",
    "header_sep": "header_sep",
    "header_fields": "header_fields",
    "split_field": "split_field",
    "split_map": "split_map",
    "fasta_layout": "layout",
    "task": "task",
    "classes": "classes",
    "positive_class": "positive_class",
    "id_rule": "id_rule",
    "duplicates": "duplicates",
    "u_policy": "u_policy",
    "internal_stop": "internal_stop",
    "fasta_blank_lines": "blank_lines",
}
# Flags whose True value sets a keyword to a fixed value.
_FLAGS: dict[str, tuple[str, object]] = {
    "drop_empty": ("empty", "drop"),
    "drop_missing_labels": ("missing_labels", "drop"),
    "fasta_comments": ("comments", True),
    "keep_softmask": ("keep_softmask", True),
}
#: Names of every parameter that :func:`data_options` adds to a command.
DATA_OPTION_NAMES: tuple[str, ...] = ("data", *_KEYWORDS, *_FLAGS)


def _options() -> list[Callable[[F], F]]:
    choice = click.Choice
    return [
        click.option("--data", "data", multiple=True, metavar="[SPLIT:][CLASS=]PATH",
                     help="Input file (FASTA, CSV/TSV, gzip or HDF5 store); repeat for several. "
                          "CLASS=PATH gives every record of PATH that class; SPLIT: (train, "
                          "valid or test) puts them in that split."),
        click.option("--format", "data_format", type=choice(["auto", "fasta", "table", "csv", "tsv", "store"]),
                     default=None, help="Input format; default: detected from each file's content."),
        click.option("--alphabet", type=choice(["auto", "dna", "rna", "protein"]), default=None,
                     help="Residue alphabet; default: guessed from the first records."),
        click.option("--sequence-column", default=None, help="Table column with the sequences."),
        click.option("--id-column", default=None,
                     help="Table column with record ids (default: FILE:LINE, where FILE is the file "
                          "name or, when sources share a name, the shortest path that distinguishes them)."),
        click.option("--label-column", multiple=True,
                     help="Table label column; repeat for multilabel or multi-target regression."),
        click.option("--split-column", default=None, help="Table column with train/valid/test."),
        click.option("--sep", "table_sep", default=None,
                     help="Table field separator; default: from the extension or the header line."),
        click.option("--label-field", default=None,
                     help="FASTA header field, or KEY of a KEY=VALUE token, that contains the label."),
        click.option("--label-from", type=choice(["field", "key", "last-token", "header"]), default=None,
                     help="Where the label sits in FASTA headers; default: 'field' with "
                          "--header-fields, else 'key'."),
        click.option("--header-sep", default=None, help="Separator of positional FASTA header fields, e.g. '|'."),
        click.option("--header-fields", default=None,
                     help="Comma-separated names of the positional header fields; a field 'id' "
                          "becomes the record id."),
        click.option("--split-field", default=None, help="FASTA header field or KEY with the split or fold."),
        click.option("--split-map", multiple=True, metavar="VALUE=SPLIT[,...]",
                     help="Map split values in the files (split column, split field or store) to "
                          "train, valid or test, e.g. '0=test,1=valid,2=train' for fold numbers; "
                          "repeatable."),
        click.option("--fasta-layout", type=choice(["standard", "three-line"]), default=None,
                     help="'three-line': header, sequence, per-residue annotation (discarded)."),
        click.option("--task", type=choice(["binary", "multiclass", "multilabel", "regression"]),
                     default=None, help="Task; default: inferred from the labels."),
        click.option("--classes", default=None,
                     help="Comma-separated class names in index order, or a class count; a "
                          "label outside them is an error."),
        click.option("--positive-class", default=None,
                     help="Binary tasks: the class scored as positive (default: the second class "
                          "in natural order)."),
        click.option("--id-rule", type=choice(["first-token", "full-header"]), default=None,
                     help="FASTA record id: first word of the header (default) or the whole header."),
        click.option("--duplicates", type=choice(["error", "first", "last", "rename"]), default=None,
                     help="What a repeated record id does (default: error)."),
        click.option("--u-policy", type=choice(["convert", "error"]), default=None,
                     help="DNA: read U as T (default, counted) or reject it; RNA: the same for T."),
        click.option("--internal-stop", type=choice(["error", "drop"]), default=None,
                     help="Protein: what a '*' before the last residue does (default: error)."),
        click.option("--fasta-blank-lines", type=choice(["error", "join"]), default=None,
                     help="What a blank line inside a FASTA record does (default: error)."),
        click.option("--drop-empty", is_flag=True, default=False,
                     help="Drop records without sequence (counted) instead of failing."),
        click.option("--drop-missing-labels", is_flag=True, default=False,
                     help="Drop records with a blank label (counted) instead of failing."),
        click.option("--fasta-comments", is_flag=True, default=False,
                     help="Skip FASTA lines that start with '#' or ';'."),
        click.option("--keep-softmask", is_flag=True, default=False,
                     help="Keep which residues were lowercase (soft-masked)."),
    ]


def data_options(function: F) -> F:
    """Add the shared data-loading options to a click command."""
    for option in reversed(_options()):
        function = option(function)
    return function


def loader_arguments(**kwargs: Any) -> tuple[list[str], dict[str, Any]]:
    """Turn parsed data options into ``(sources, keyword arguments)`` for ``load_sequences``.

    Parameters that :func:`data_options` did not add are ignored, so a
    command can pass all of its parameters.

    Examples
    --------
    >>> loader_arguments(data=("a=x.fa",), classes="a,b", drop_empty=True, epochs=3)
    (['a=x.fa'], {'classes': 'a,b', 'empty': 'drop'})
    """
    sources = list(kwargs.get("data") or ())
    arguments: dict[str, Any] = {}
    for name, keyword in _KEYWORDS.items():
        value = kwargs.get(name)
        if value is None or value == ():
            continue
        if name == "label_column":
            value = list(value)
        if name == "split_map":
            value = ",".join(value)
        arguments[keyword] = value
    for name, (keyword, setting) in _FLAGS.items():
        if kwargs.get(name):
            arguments[keyword] = setting
    return sources, arguments


def load_data_from_options(**kwargs: Any) -> SequenceSet:
    """Load the sequences named by the shared data options.

    Raises
    ------
    click.UsageError
        If no ``--data`` was given.
    """
    from bioseq.io.load import load_sequences

    sources, arguments = loader_arguments(**kwargs)
    if not sources:
        raise click.UsageError("no input given; pass --data PATH (repeat for several files)")
    return load_sequences(sources, **arguments)
