"""``bioseq workflow``: run the Snakemake workflow, check a profile, split folds."""

from __future__ import annotations

import logging
import shlex
import subprocess
from pathlib import Path

import click

logger = logging.getLogger(__name__)

_PROFILE = click.Path(exists=True, file_okay=False, path_type=Path)
_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group("workflow")
def workflow() -> None:
    """Run or check the Snakemake workflow (Snakefile, workflows/) and its profiles."""


@workflow.command("run")
@click.argument("targets", nargs=-1)
@click.option("--profile", default=Path("workflows/profiles/local"), show_default=True,
              type=_PROFILE, help="Snakemake profile folder: workflows/profiles/local or slurm.")
@click.option("--configfile", type=_FILE, default=None,
              help="Workflow config that replaces workflows/config/config.yaml.")
@click.option("--snakefile", type=_FILE, default=None,
              help="Workflow entry point [default: the Snakefile of this bioseq checkout].")
@click.option("--directory", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Working directory; results/ and relative config paths start there.")
@click.option("-n", "--dry-run", is_flag=True, help="List the jobs without running them.")
@click.option("--snakemake-args", default="",
              help="More Snakemake options as one quoted string, e.g. \"--cores 4 --keep-going\".")
@click.option("--print-command", is_flag=True,
              help="Print the Snakemake command line and exit without running it.")
def run(targets: tuple[str, ...], profile: Path, configfile: Path | None,
        snakefile: Path | None, directory: Path | None, dry_run: bool, snakemake_args: str,
        print_command: bool) -> None:
    """Run the workflow with a profile, building TARGETS (default: the comparison report).

    The command line puts the targets before the options, which works with
    the pinned Snakemake 9 even when the profile sets options that take
    several values.
    """
    from bioseq.workflow import snakemake_command, workflow_environment

    command = snakemake_command(
        profile=profile, targets=targets, snakefile=snakefile, configfile=configfile,
        directory=directory, dry_run=dry_run, extra_args=shlex.split(snakemake_args),
    )
    printable = shlex.join(command)
    if print_command:
        click.echo(printable)
        return
    logger.info("running %s", printable)
    result = subprocess.run(command, env=workflow_environment(), check=False)
    if result.returncode != 0:
        raise click.exceptions.Exit(result.returncode)


@workflow.command("check-profile")
@click.argument("profile", type=_PROFILE)
@click.option("--configfile", type=_FILE, default=None,
              help="Workflow config to plan with [default: workflows/config/config.yaml].")
@click.option("--snakefile", type=_FILE, default=None,
              help="Workflow entry point [default: the Snakefile of this bioseq checkout].")
@click.option("--directory", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Working directory to plan in.")
def check_profile_command(profile: Path, configfile: Path | None, snakefile: Path | None,
                          directory: Path | None) -> None:
    """Validate PROFILE and print what each rule requests.

    Checks every key against the installed Snakemake, plans the workflow
    with the profile, and prints one line per rule: threads and resources
    for the first attempt and, for a SLURM profile, the sbatch command that
    snakemake-executor-plugin-slurm would run (job name, log and working
    directory shown as placeholders).
    """
    from bioseq.workflow import check_profile

    requests = check_profile(profile, snakefile=snakefile, configfile=configfile,
                             directory=directory)
    for request in requests:
        resources = " ".join(f"{name}={value}" for name, value in request.resources.items()
                             if name in _SHOWN_RESOURCES or name.startswith("slurm_"))
        click.echo(f"{request.rule}\tthreads={request.threads} {resources}")
        if request.sbatch:
            click.echo(f"{request.rule}\t{request.sbatch}")


# Resources worth printing; Snakemake's derived ones (mem_mib, disk_mib) repeat others.
_SHOWN_RESOURCES = ("mem_mb", "runtime", "gpu", "gpu_model", "gres", "cpus_per_task",
                    "cpus_per_gpu", "tasks", "nodes", "constraint", "qos", "slurm_extra",
                    "batch_size")


@workflow.command("split-folds")
@click.argument("inputs", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--folds", "n_folds", required=True, type=click.IntRange(min=2),
              help="Number of folds.")
@click.option("--seed", default=0, show_default=True, type=int,
              help="Seed of the fold assignment.")
@click.option("--out", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder for fold{k}.train.csv and fold{k}.test.csv.")
@click.option("--format", "input_format", default="auto", show_default=True,
              type=click.Choice(["auto", "fasta", "csv", "tsv"]), help="Input format.")
@click.option("--alphabet", default=None, type=click.Choice(["dna", "rna", "protein"]),
              help="Alphabet [default: guessed from the residues].")
@click.option("--sequence-column", default=None, help="Table column with the sequences.")
@click.option("--id-column", default=None, help="Table column with the record ids.")
@click.option("--label-column", "label_columns", multiple=True,
              help="Table column with the labels (repeatable for multilabel).")
@click.option("--split-column", default=None,
              help="Accepted for the same flags as bioseq train; folds ignore it.")
@click.option("--label-field", default=None, help="FASTA header field with the label.")
@click.option("--task", default=None,
              type=click.Choice(["binary", "multiclass", "multilabel", "regression"]),
              help="Task of the labels [default: inferred].")
@click.option("--id-rule", default=None, help="How record ids are taken from FASTA headers.")
@click.option("--duplicates", default=None, help="What to do with repeated sequences.")
def split_folds(inputs: tuple[Path, ...], n_folds: int, seed: int, out_dir: Path,
                input_format: str, alphabet: str | None, sequence_column: str | None,
                id_column: str | None, label_columns: tuple[str, ...],
                split_column: str | None, label_field: str | None, task: str | None,
                id_rule: str | None, duplicates: str | None) -> None:
    """Split labelled INPUTS into cross-validation folds written as CSV.

    Fold k's test file holds one k-th of the records, stratified by class for
    binary and multiclass labels; its train file holds the rest.
    """
    from bioseq.io.load import load_sequences
    from bioseq.workflow import write_folds

    options = {
        "format": input_format, "alphabet": alphabet, "sequence_column": sequence_column,
        "id_column": id_column, "label_column": list(label_columns) or None,
        "label_field": label_field, "task": task, "id_rule": id_rule,
        "duplicates": duplicates,
    }
    options = {key: value for key, value in options.items() if value is not None}
    records = load_sequences([str(path) for path in inputs], **options)
    for path in write_folds(records, n_folds, seed, out_dir):
        click.echo(str(path))
