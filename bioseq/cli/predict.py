"""``bioseq predict``: score new sequences with a trained model."""

from __future__ import annotations

from pathlib import Path

import click

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
    """Add --batch-size, --device and --reverse-complement, shared with evaluate."""
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
@click.option("--format", "input_format", default=None,
              type=click.Choice(["fasta", "csv", "tsv"]),
              help="Input format (default: detected from the file's content).")
@click.option("--sequence-column", default=None,
              help="CSV/TSV column holding the sequences (default: detected).")
@click.option("--id-column", default=None,
              help="CSV/TSV column holding the record ids (default: detected).")
def predict(model: Path, input_path: Path, out: Path, batch_size: int, device: str,
            reverse_complement: bool | None, truncate: str | None, pad: str | None, chunk_size: int,
            input_format: str | None, sequence_column: str | None,
            id_column: str | None) -> None:
    """Score every record of INPUT (FASTA or CSV/TSV, optionally gzipped) with MODEL.

    MODEL is a model file or a run folder. The output has one row per record:
    id, one prob_<class> column per class (value_<target> for regression),
    and predicted_label. Input is read in chunks, so files of any size fit in
    memory.
    """
    from bioseq.predict import predict_sequences

    read_options = {key: value for key, value in (("format", input_format),
                                                  ("sequence_column", sequence_column),
                                                  ("id_column", id_column)) if value is not None}
    n_written = predict_sequences(model, input_path, out, batch_size=batch_size,
                                  chunk_size=chunk_size, device=device,
                                  reverse_complement=reverse_complement, truncate=truncate,
                                  pad=pad, read_options=read_options)
    click.echo(f"{n_written} predictions written to {out}")
