"""``bioseq train``: train a classifier and write its run directory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click

from bioseq.cli.options import DATA_OPTION_NAMES, data_options, loader_arguments

logger = logging.getLogger(__name__)


def _parse_params(values: tuple[str, ...]) -> dict[str, Any]:
    import yaml

    from bioseq.errors import ConfigError

    params: dict[str, Any] = {}
    for item in values:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"invalid --param {item!r}; expected KEY=VALUE, e.g. dropout=0.2")
        params[key.strip()] = yaml.safe_load(text)
    return params


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="YAML config (sections data, input, model, optimizer, schedule, "
                                 "trainer); flags override it.")
@data_options
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Run directory to write (model, config, manifest, metrics, checkpoints).")
@click.option("--model", default=None, help="Registered model name (see 'bioseq models').")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE",
              help="Model constructor argument (YAML value); repeatable.")
@click.option("--epochs", type=int, default=None, help="Maximum number of epochs.")
@click.option("--batch-size", type=int, default=None, help="Records per batch and device.")
@click.option("--lr", type=float, default=None, help="Learning rate (OneCycle: the peak).")
@click.option("--optimizer", type=click.Choice(["adamw", "adam", "sgd"]), default=None,
              help="Optimizer (default adamw).")
@click.option("--weight-decay", type=float, default=None, help="Weight decay.")
@click.option("--grad-clip", type=float, default=None,
              help="Clip the gradient norm at this value; 0 turns clipping off.")
@click.option("--schedule", type=click.Choice(["none", "onecycle", "cosine", "exponential"]),
              default=None, help="Learning-rate schedule, stepped every optimizer step.")
@click.option("--devices", default=None, help="'auto' or the number of devices per node.")
@click.option("--num-nodes", type=int, default=None, help="Nodes of a multi-node DDP run.")
@click.option("--accelerator", "--device", "accelerator",
              type=click.Choice(["auto", "cpu", "gpu", "cuda"]), default=None,
              help="Hardware; 'cuda'/'gpu' fail at once when no CUDA device is visible.")
@click.option("--precision", type=click.Choice(["auto", "32", "bf16-mixed", "16-mixed"]),
              default=None, help="'auto': bf16-mixed on GPUs with bfloat16, 32-bit elsewhere.")
@click.option("--seed", type=int, default=None, help="Seed of weights, batches and the split.")
@click.option("--resume", default=None, metavar="auto|PATH",
              help="Continue from a checkpoint; 'auto' takes the newest valid one in "
                   "OUT/checkpoints or starts fresh.")
@click.option("--overwrite", is_flag=True, default=False,
              help="Delete the earlier run in OUT (checkpoints, model, metrics) and start again.")
@click.option("--max-len", type=int, default=None,
              help="Input length in residues (default: the longest training sequence).")
@click.option("--pad", type=click.Choice(["right", "left", "both"]), default=None,
              help="Where shorter sequences are padded.")
@click.option("--truncate", type=click.Choice(["error", "right", "left", "center"]), default=None,
              help="Which end of longer sequences is cut; 'error' rejects them.")
@click.option("--k", "kmer", type=int, default=None, help="k-mer size of token or k-mer inputs.")
@click.option("--stride", type=int, default=None, help="Step between k-mer tokens.")
@click.option("--val-fraction", type=float, default=None,
              help="Validation fraction when the data have no validation split.")
@click.option("--test-fraction", type=float, default=None,
              help="Test fraction when the data have no split column.")
@click.option("--stratify/--no-stratify", default=None,
              help="Keep class proportions in the random split (default: on).")
@click.option("--dedup", is_flag=True, default=None,
              help="Remove exact duplicate sequences (and conflicting-label groups).")
@click.option("--early-stopping", type=int, default=None, metavar="PATIENCE",
              help="Stop after this many epochs without improvement; 0 turns it off.")
@click.option("--monitor", type=click.Choice(["val_loss", "val_accuracy", "val_auroc"]),
              default=None, help="Metric for early stopping and the best checkpoint.")
@click.option("--rc-augment", is_flag=True, default=None,
              help="DNA/RNA: reverse-complement a random half of each training batch.")
@click.option("--rc-average", is_flag=True, default=None,
              help="DNA/RNA: average predictions over both strands.")
@click.option("--shift", type=int, default=None, help="Largest random shift (residues) in training.")
@click.option("--num-workers", type=int, default=None, help="Data-loader worker processes.")
@click.pass_context
def train(ctx: click.Context, config_path: Path | None, out: Path, overwrite: bool,
          **options: Any) -> None:
    """Train a classifier on labelled sequences and write the run directory OUT.

    Values come from the defaults, then --config, then these flags.
    '--model kmer-logreg' fits the k-mer logistic-regression baseline instead.
    A single HDF5 store as --data is read out of core: its codes stay on disk
    and batches read them block by block.

    \b
    Example:
      bioseq train --data train.csv --label-column label --model deepbind \\
          --epochs 5 --out runs/deepbind
    """
    from bioseq.train.config import resolve_config
    from bioseq.train.run import train_run

    data_values = {key: options.pop(key) for key in DATA_OPTION_NAMES if key in options}
    sources, loader = loader_arguments(**data_values)
    grad_clip = options["grad_clip"]
    overrides: dict[str, dict[str, Any]] = {
        "data": {
            "sources": sources or None,
            "loader": loader or None,
            "val_fraction": options["val_fraction"],
            "test_fraction": options["test_fraction"],
            "stratify": options["stratify"],
            "dedup": "drop" if options["dedup"] else None,
        },
        "input": {"max_len": options["max_len"], "pad": options["pad"],
                  "truncate": options["truncate"], "k": options["kmer"],
                  "stride": options["stride"]},
        "model": {"name": options["model"], "params": _parse_params(options["params"]) or None},
        "optimizer": {"name": options["optimizer"], "lr": options["lr"],
                      "weight_decay": options["weight_decay"],
                      "grad_clip": None if grad_clip is None else grad_clip},
        "schedule": {"name": options["schedule"]},
        "trainer": {key: options[key] for key in (
            "epochs", "batch_size", "devices", "num_nodes", "accelerator", "precision", "seed",
            "resume", "early_stopping", "monitor", "rc_augment", "rc_average", "shift",
            "num_workers")},
    }
    config = resolve_config(config_path, overrides)
    if config.optimizer.grad_clip == 0:
        from dataclasses import replace

        config = replace(config, optimizer=replace(config.optimizer, grad_clip=None))
    quiet = (ctx.obj or {}).get("verbosity", 0) < 0
    if quiet:
        for name in ("lightning", "lightning.pytorch", "lightning.fabric"):
            logging.getLogger(name).setLevel(logging.WARNING)
    from bioseq.train.callbacks import InterruptRecorder
    from bioseq.train.checkpoint import check_run_folder, describe_interrupt

    check_run_folder(out, config.trainer.resume, overwrite)
    interrupt = InterruptRecorder()
    try:
        result = train_run(config, out, progress_bar=not quiet, callbacks=[interrupt])
    except (KeyboardInterrupt, SystemExit) as error:
        if isinstance(error, SystemExit) and not interrupt.interrupted:
            raise
        click.echo(describe_interrupt(out / "checkpoints"), err=True)
        ctx.exit(130)
    summary = ", ".join(f"{key} {value:.4f}" for key, value in result.metrics.items()
                        if isinstance(value, float) and key != "lr")
    click.echo(f"{result.model_path}\t{summary}")
