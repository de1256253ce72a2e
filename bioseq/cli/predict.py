"""``bioseq predict``: score new sequences with a trained model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from bioseq.cli.options import data_options, loader_arguments

TRUNCATE_CHOICES = ["right", "left", "center"]
PAD_CHOICES = ["right", "left", "both"]


def length_options(function):  # type: ignore[no-untyped-def]
    """Add --truncate and --pad, the length-policy overrides shared with evaluate."""
    function = click.option(
        "--pad", type=click.Choice(PAD_CHOICES), default=None,
        help="Pad records shorter than a fixed-length model's input on this side "
             "(default: the model's setting; an error if it has none).")(function)
    function = click.option(
        "--truncate", type=click.Choice(TRUNCATE_CHOICES), default=None,
        help="Cut records longer than a fixed-length model's input at this end "
             "(default: the model's setting; an error if it has none).")(function)
    return function


def scoring_options(function):  # type: ignore[no-untyped-def]
    """Add --batch-size, --device, --reverse-complement and --alphabet-check, shared with evaluate."""
    function = click.option(
        "--alphabet-check/--no-alphabet-check", default=True, show_default=True,
        help="Reject input whose first 100 records look like DNA or RNA when the model reads "
             "protein (DNA letters are also valid amino acids).")(function)
    function = click.option(
        "--reverse-complement/--no-reverse-complement", default=None,
        help="Average each record's output with that of its reverse complement (DNA, RNA). "
             "Default: as the model was trained (training.rc_average in the model file).")(
        function)
    function = click.option(
        "--device", default="cpu", show_default=True,
        help="auto, cpu or cuda[:N]; auto picks a GPU when one is visible.")(function)
    function = click.option(
        "--batch-size", default=512, show_default=True, type=click.IntRange(min=1),
        help="Records per forward pass.")(function)
    return function


#: Data options about labels and splits, which predict does not read.
LABEL_OPTIONS = {"label_column": "--label-column", "split_column": "--split-column",
                 "label_field": "--label-field", "label_from": "--label-from",
                 "split_field": "--split-field", "task": "--task", "classes": "--classes",
                 "positive_class": "--positive-class",
                 "drop_missing_labels": "--drop-missing-labels"}


@click.command("predict")
@click.argument("model", type=click.Path(exists=True, path_type=Path))
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True, dir_okay=False,
                                                               path_type=Path))
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Output CSV; written to a temporary file and renamed when complete.")
@scoring_options
@length_options
@click.option("--chunk-size", default=50_000, show_default=True, type=click.IntRange(min=1),
              help="Records read from INPUT at a time; bounds memory use.")
@data_options
def predict(model: Path, input_path: Path, out: Path, batch_size: int, device: str,
            reverse_complement: bool | None, alphabet_check: bool, truncate: str | None,
            pad: str | None, chunk_size: int, **data_kwargs: Any) -> None:
    """Score every record of INPUT (FASTA, CSV/TSV or HDF5 store, optionally gzipped) with MODEL.

    MODEL is a model file or a run folder. The output has one row per record:
    id, one prob_<class> column per class (value_<target> for regression),
    and predicted_label. Input is read in chunks, so files of any size fit in
    memory. Each --data adds an input scored after INPUT. The data options
    are those of the other commands, except the label and split options:
    predict reads no labels.
    """
    from bioseq.predict import predict_sequences

    given = [flag for name, flag in LABEL_OPTIONS.items() if data_kwargs.get(name)]
    if given:
        raise click.UsageError(f"predict reads no labels or splits, so {', '.join(given)} "
                               "has no effect; drop it, or use bioseq evaluate to score "
                               "labelled data")
    sources, read_options = loader_arguments(**data_kwargs)
    n_written = predict_sequences(model, [str(input_path), *sources], out,
                                  batch_size=batch_size, chunk_size=chunk_size, device=device,
                                  reverse_complement=reverse_complement, truncate=truncate,
                                  pad=pad, read_options=read_options,
                                  alphabet_check=alphabet_check)
    click.echo(f"{n_written} predictions written to {out}")
