"""``bioseq evaluate``: score labelled data with a model and write the report folder."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click

from bioseq.cli.options import data_options, loader_arguments
from bioseq.cli.predict import length_options, scoring_options

logger = logging.getLogger(__name__)

#: Loader options that apply to an HDF5 store; the others concern FASTA and tables.
STORE_OPTIONS = ("classes", "task", "alphabet", "split_map")


@click.command("evaluate")
@click.argument("model_or_run", type=click.Path(exists=True, path_type=Path))
@data_options
@click.option("--out", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Output folder for metrics.json, CSV tables, plots/ and report.html.")
@click.option("--split", "split_name", default=None,
              help="Evaluate only the records of this split (from --split-column), e.g. test.")
@scoring_options
@length_options
@click.option("--bootstrap", "n_bootstrap", default=1000, show_default=True,
              type=click.IntRange(min=0),
              help="Bootstrap replicates for the 95% intervals; 0 skips them.")
@click.option("--seed", default=0, show_default=True, type=int,
              help="Seed of the bootstrap, so intervals are reproducible.")
def evaluate(model_or_run: Path, out_dir: Path, split_name: str | None, batch_size: int,
             device: str, reverse_complement: bool | None, alphabet_check: bool,
             truncate: str | None, pad: str | None, n_bootstrap: int, seed: int,
             **data_kwargs: Any) -> None:
    """Evaluate MODEL_OR_RUN (a model file or a run folder) on labelled --data.

    Writes OUT/metrics.json, per_class.csv, predictions.csv, plots/*.png and
    a self-contained report.html. Metrics that the data cannot define (for
    example AUROC on a single-class split) are reported as undefined with the
    reason, and the command still succeeds.

    --positive-class of a binary model chooses the class that the ranking
    and threshold metrics score (default: the model's positive class); the
    report names the class used.

    A single HDF5 store as --data is streamed in chunks, so its codes are
    never in memory whole; other inputs are read into memory.
    """
    from bioseq.errors import SequenceError
    from bioseq.evaluate.evaluation import evaluate_model, evaluate_store
    from bioseq.io.load import DataSource, load_sequences
    from bioseq.io.store_stream import find_single_store
    from bioseq.models.modelfile import read_model_metadata
    from bioseq.predict import explain_invalid_residue, resolve_model_path

    sources, arguments = loader_arguments(**data_kwargs)
    # The positive class sets the metrics, not how the labels are read.
    positive_class = arguments.pop("positive_class", None)
    if not sources:
        raise click.UsageError("no test data given; pass --data PATH (repeat for several files)")
    # Unless the options set them, read the test data with the model's alphabet,
    # task and classes (in the model's order).
    metadata = read_model_metadata(resolve_model_path(model_or_run))
    arguments.setdefault("alphabet", metadata.get("alphabet") or "auto")
    if metadata.get("task"):
        arguments.setdefault("task", metadata["task"])
    if metadata.get("task") in ("binary", "multiclass") and metadata.get("class_names"):
        arguments.setdefault("classes", list(metadata["class_names"]))
    store, reason = find_single_store(sources, arguments.get("format", "auto"))
    if store is not None and DataSource.parse(sources[0]).split is None:
        options = {key: arguments[key] for key in STORE_OPTIONS if key in arguments}
        paths = evaluate_store(model_or_run, store, out_dir, split=split_name, read_options=options,
                               batch_size=batch_size, device=device,
                               reverse_complement=reverse_complement, truncate=truncate, pad=pad,
                               n_bootstrap=n_bootstrap, seed=seed, positive_class=positive_class,
                               alphabet_check=alphabet_check)
        click.echo(f"report written to {paths['report']}")
        return
    if reason is not None:
        logger.info("reading the test data into memory: %s", reason)
    try:
        test = load_sequences(sources, **arguments)
    except SequenceError as error:
        raise explain_invalid_residue(error, model_or_run, arguments["alphabet"]) from error
    if split_name is not None:
        try:
            test = test.split(split_name)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--split") from error
    paths = evaluate_model(model_or_run, test, out_dir, batch_size=batch_size, device=device,
                           reverse_complement=reverse_complement, truncate=truncate, pad=pad,
                           n_bootstrap=n_bootstrap, seed=seed, positive_class=positive_class,
                           alphabet_check=alphabet_check)
    click.echo(f"report written to {paths['report']}")
