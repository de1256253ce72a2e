"""``bioseq workflow``: run the Snakemake workflow, check a profile, split folds."""

from __future__ import annotations

import logging
import shlex
import subprocess
from pathlib import Path
from typing import Any

import click

from bioseq.cli.options import data_options, load_data_from_options

logger = logging.getLogger(__name__)

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group("workflow")
def workflow() -> None:
    """Run or check the Snakemake workflow (Snakefile, workflows/) and its profiles."""


@workflow.command("run")
@click.argument("targets", nargs=-1)
@click.option("--profile", default="local", show_default=True,
              help="Snakemake profile folder, or 'local' or 'slurm' for the shipped profiles.")
@click.option("--configfile", type=_FILE, default=None,
              help="Workflow config that replaces workflows/config/config.yaml.")
@click.option("--snakefile", type=_FILE, default=None,
              help="Workflow entry point [default: the Snakefile of this bioseq checkout].")
@click.option("--directory", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Working directory; results/ and relative config paths start there.")
@click.option("-n", "--dry-run", is_flag=True, help="List the jobs without running them.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None,
              help="Instead of running jobs, collect the finished outputs marked for the "
                   "report (comparison, evaluation reports, plots) into this HTML file.")
@click.option("--snakemake-args", default="",
              help="More Snakemake options as one quoted string, e.g. \"--cores 4 --keep-going\".")
@click.option("--print-command", is_flag=True,
              help="Print the Snakemake command line and exit without running it.")
def run(targets: tuple[str, ...], profile: str, configfile: Path | None,
        snakefile: Path | None, directory: Path | None, dry_run: bool, report_path: Path | None,
        snakemake_args: str, print_command: bool) -> None:
    """Run the workflow with a profile, building TARGETS (default: the comparison report).

    The command line puts the targets before the options, which works with
    the pinned Snakemake 9 even when the profile sets options that take
    several values.
    """
    from bioseq.workflow import snakemake_command, workflow_environment

    extra_args = shlex.split(snakemake_args)
    if report_path is not None:
        extra_args += ["--report", str(report_path.resolve())]
    command = snakemake_command(
        profile=profile, targets=targets, snakefile=snakefile, configfile=configfile,
        directory=directory, dry_run=dry_run, extra_args=extra_args,
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
@click.argument("profile")
@click.option("--configfile", type=_FILE, default=None,
              help="Workflow config to plan with [default: workflows/config/config.yaml].")
@click.option("--snakefile", type=_FILE, default=None,
              help="Workflow entry point [default: the Snakefile of this bioseq checkout].")
@click.option("--directory", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Working directory to plan in.")
def check_profile_command(profile: str, configfile: Path | None, snakefile: Path | None,
                          directory: Path | None) -> None:
    """Validate PROFILE (a folder, or local or slurm) and print what each rule requests.

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
                    "cpus_per_gpu", "tasks", "nodes", "constraint", "qos", "slurm_extra")


@workflow.command("split-folds")
@data_options
@click.option("--folds", "n_folds", required=True, type=click.IntRange(min=2),
              help="Number of folds.")
@click.option("--seed", "fold_seed", default=0, show_default=True, type=int,
              help="Seed of the fold assignment.")
@click.option("--out", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder for fold{k}.train.csv and fold{k}.test.csv.")
def split_folds(n_folds: int, fold_seed: int, out_dir: Path, **data_kwargs: Any) -> None:
    """Split the labelled --data into cross-validation folds written as CSV.

    Fold k's test file contains one k-th of the records, stratified by class
    for binary and multiclass labels. Its train file contains the rest. Both have
    the columns id, sequence and label (one 0/1 column per class for
    multilabel data).
    """
    from bioseq.workflow import write_folds

    records = load_data_from_options(**data_kwargs)
    for path in write_folds(records, n_folds, fold_seed, out_dir):
        click.echo(str(path))
