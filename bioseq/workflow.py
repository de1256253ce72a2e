"""Run and check the bioseq Snakemake workflow.

:func:`snakemake_command` builds the Snakemake command line that
``bioseq workflow run`` executes. :func:`check_profile` validates a Snakemake
profile and shows what each rule would request, including the ``sbatch``
arguments that snakemake-executor-plugin-slurm would submit.
:func:`write_folds` splits a labelled data set into cross-validation folds.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from bioseq._files import atomic_open
from bioseq.errors import BioseqError, ConfigError, LabelError
from bioseq.sequences import SequenceSet

logger = logging.getLogger(__name__)

#: The repository root when bioseq runs from a checkout (editable install).
REPO_ROOT = Path(__file__).resolve().parent.parent


class WorkflowError(BioseqError, RuntimeError):
    """Snakemake failed to plan the workflow, or a profile cannot be used."""


def default_snakefile() -> Path:
    """Return the workflow's ``Snakefile`` next to the package, or in the current folder."""
    for candidate in (REPO_ROOT / "Snakefile", Path.cwd() / "Snakefile"):
        if candidate.is_file():
            return candidate
    raise WorkflowError(
        f"no Snakefile found in {REPO_ROOT} or {Path.cwd()}; pass --snakefile PATH"
    )


def resolve_profile(profile: str | os.PathLike[str] | None) -> Path:
    """Return the profile folder for a path or for the name of a shipped profile.

    ``None`` means the shipped ``local`` profile; a name such as ``slurm``
    that is not a folder here means ``workflows/profiles/slurm`` of this
    bioseq checkout.

    Raises
    ------
    WorkflowError
        If neither a folder nor a shipped profile has that name.
    """
    shipped = REPO_ROOT / "workflows" / "profiles"
    if profile is None:
        profile = "local"
    path = Path(profile)
    if path.is_dir():
        return path.resolve()
    if (shipped / path).is_dir():
        return (shipped / path).resolve()
    names = sorted(p.name for p in shipped.iterdir()) if shipped.is_dir() else []
    raise WorkflowError(
        f"profile {str(profile)!r} is neither a folder nor a shipped profile; "
        f"shipped profiles: {', '.join(names) or 'none found'} (in {shipped})"
    )


def snakemake_command(
    *,
    profile: str | os.PathLike[str] | None,
    targets: Sequence[str] = (),
    snakefile: Path | None = None,
    configfile: Path | None = None,
    directory: Path | None = None,
    dry_run: bool = False,
    extra_args: Sequence[str] = (),
) -> list[str]:
    """Build the Snakemake command line for the bioseq workflow.

    Targets come first, right after the program, so that no option that
    takes several values (``--default-resources``, ``--set-resources``) can
    swallow them, and no ``--`` separator is needed. Paths become absolute,
    so ``--directory`` does not change what they point at.

    Parameters
    ----------
    profile : path, str or None
        Snakemake profile folder (with ``config.yaml``), or the name of a
        shipped profile (see :func:`resolve_profile`).
    targets : sequence of str, default=()
        Files or rule names to build; empty builds ``rule all``.
    snakefile : Path or None, default=None
        Workflow entry point; None uses :func:`default_snakefile`.
    configfile : Path or None, default=None
        Workflow config that replaces ``workflows/config/config.yaml``
        entirely (``--replace-workflow-config``), instead of being merged
        into it.
    directory : Path or None, default=None
        Working directory of the run; relative config paths start there.
    dry_run : bool, default=False
        Plan the jobs and print them without running any.
    extra_args : sequence of str, default=()
        More Snakemake options, appended last.

    Returns
    -------
    list of str
        The command, starting with this Python's ``-m snakemake``.

    Raises
    ------
    WorkflowError
        If the profile folder has no ``config.yaml`` or a file is missing.
    """
    profile = resolve_profile(profile)
    if not (profile / "config.yaml").is_file():
        raise WorkflowError(
            f"profile {profile} has no config.yaml; pass a folder such as workflows/profiles/local"
        )
    snakefile = Path(snakefile).resolve() if snakefile else default_snakefile()
    command = [sys.executable, "-m", "snakemake", *targets,
               "--snakefile", str(snakefile), "--profile", str(profile)]
    if configfile is not None:
        configfile = Path(configfile).resolve()
        if not configfile.is_file():
            raise WorkflowError(f"config file {configfile} not found")
        command += ["--configfile", str(configfile), "--replace-workflow-config"]
    if directory is not None:
        command += ["--directory", str(Path(directory).resolve())]
    if dry_run:
        command.append("--dry-run")
    command += list(extra_args)
    return command


def workflow_environment() -> dict[str, str]:
    """Return the environment for Snakemake, with this Python's ``bin`` first on PATH.

    The rules call ``bioseq``; this makes them call the same installation.
    """
    environment = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    environment["PATH"] = os.pathsep.join([bin_dir, environment.get("PATH", "")])
    return environment


# --------------------------------------------------------------- profiles


@dataclass
class RuleRequest:
    """Threads, resources and sbatch call of one rule's first job under a profile.

    Parameters
    ----------
    rule : str
        Rule name.
    threads : int
        Threads of the job.
    resources : dict of str to str
        Resources as Snakemake evaluated them for the first attempt.
    sbatch : str or None
        The ``sbatch`` command the SLURM plugin would run, for SLURM profiles.
    """

    rule: str
    threads: int
    resources: dict[str, str] = field(default_factory=dict)
    sbatch: str | None = None


def read_profile(profile: Path) -> dict[str, object]:
    """Read a profile's ``config.yaml`` and reject keys that are not Snakemake options.

    Raises
    ------
    ConfigError
        If the file is missing, is not a YAML mapping, or has an unknown key.
    """
    path = Path(profile) / "config.yaml"
    if not path.is_file():
        raise ConfigError(f"profile {profile} has no config.yaml")
    try:
        settings = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: invalid YAML: {error}") from None
    if not isinstance(settings, dict):
        raise ConfigError(f"{path}: expected a mapping of Snakemake options, got {type(settings).__name__}")
    known = _snakemake_option_names()
    for key in settings:
        if key not in known:
            suggestion = difflib.get_close_matches(str(key), known, n=1)
            hint = f"; did you mean {suggestion[0]!r}?" if suggestion else ""
            raise ConfigError(
                f"{path}: unknown key {key!r}: it is not a Snakemake option of this version{hint}"
            )
    return settings


def _snakemake_option_names() -> list[str]:
    from snakemake.cli import get_argument_parser

    # The parser includes the options of the installed executor plugins (--slurm-...).
    parser = get_argument_parser()
    names = set()
    for action in parser._actions:  # argparse has no public list of actions
        for option in action.option_strings:
            if option.startswith("--"):
                names.add(option[2:])
    return sorted(names)


_RULE_LINE = re.compile(r"^(?:local)?(?:rule|checkpoint) (\S+):$")
_RESOURCE_ITEM = re.compile(r"(\w+)=(.*?)(?=, \w+=|$)")


def plan_requests(
    profile: Path, *, snakefile: Path | None = None, configfile: Path | None = None,
    directory: Path | None = None, remote: bool = False,
) -> list[RuleRequest]:
    """Dry-run the workflow under ``profile`` and collect each rule's threads and resources.

    ``remote`` marks a profile whose executor submits jobs to a cluster.

    Raises
    ------
    WorkflowError
        If Snakemake cannot plan the workflow; the message carries its output.
    """
    extra_args = ["--forceall", "--quiet", "host"]
    if remote:
        # A dry run plans on this machine and caps threads at its cores; a
        # cluster executor does not, so lift the cap to show the real request.
        extra_args += ["--cores", "1024"]
    command = snakemake_command(
        profile=profile, snakefile=snakefile, configfile=configfile, directory=directory,
        dry_run=True, extra_args=extra_args,
    )
    result = subprocess.run(command, capture_output=True, text=True, env=workflow_environment(),
                            check=False)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-25:])
        raise WorkflowError(f"snakemake could not plan the workflow with profile {profile}:\n{tail}")

    requests: dict[str, RuleRequest] = {}
    current: RuleRequest | None = None
    for raw in result.stdout.splitlines():
        line = raw.strip()
        match = _RULE_LINE.match(line)
        if match:
            name = match.group(1)
            current = None if name in requests else RuleRequest(rule=name, threads=1)
            if current is not None:
                requests[name] = current
        elif current is not None and line.startswith("threads: "):
            current.threads = int(line.removeprefix("threads: "))
        elif current is not None and line.startswith("resources: "):
            # NOTE: a resource value that itself contains ", name=" would be split here.
            items = _RESOURCE_ITEM.findall(line.removeprefix("resources: "))
            current.resources = dict(items)
    return [request for name, request in requests.items() if name != "all"]


class _Resources(dict):
    """Resources with attribute access, as the SLURM plugin reads them from a job."""

    def __getattr__(self, name: str) -> object:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _typed(value: str) -> object:
    # Snakemake prints evaluated resources with str(); turn numbers back into ints.
    try:
        return int(value)
    except ValueError:
        return value


def sbatch_call(request: RuleRequest) -> str:
    """Return the ``sbatch`` command that snakemake-executor-plugin-slurm builds for a job.

    The plugin's own functions build it, so the result follows the installed
    plugin version. Run-specific values (job name, log file, working
    directory) are shown as placeholders.

    Raises
    ------
    ConfigError
        If the plugin rejects a resource, for example a gres string in nested
        quotes or a slurm_extra that sets an option the plugin manages.
    """
    from types import SimpleNamespace

    from snakemake_executor_plugin_slurm.submit_string import get_submit_command
    from snakemake_executor_plugin_slurm.utils import set_gres_string
    from snakemake_executor_plugin_slurm.validation import validate_slurm_extra
    from snakemake_interface_common.exceptions import WorkflowError as SnakemakeWorkflowError

    resources = _Resources({name: _typed(value) for name, value in request.resources.items()})
    job = SimpleNamespace(resources=resources, threads=request.threads, name=request.rule)
    account = resources.get("slurm_account")
    partition = resources.get("slurm_partition")
    params = {
        "run_uuid": "<run-uuid>",
        "slurm_logfile": f".snakemake/slurm_logs/rule_{request.rule}/%j.log",
        "comment_str": f"rule_{request.rule}",
        "account": f"-A {shlex.quote(str(account))}" if account else "",
        "partition": f"-p {shlex.quote(str(partition))}" if partition else "",
        "workdir": "<workdir>",
    }
    try:
        validate_slurm_extra(job)
        call = get_submit_command(job, params) + set_gres_string(job)
    except SnakemakeWorkflowError as error:
        raise ConfigError(
            f"rule {request.rule}: the SLURM plugin rejects its resources "
            f"{dict(resources)}: {error}"
        ) from None
    return " ".join(call.split())


def check_profile(
    profile: Path, *, snakefile: Path | None = None, configfile: Path | None = None,
    directory: Path | None = None,
) -> list[RuleRequest]:
    """Validate ``profile`` and return each rule's request, with sbatch calls for SLURM.

    Raises
    ------
    ConfigError
        If the profile has an unknown key or the SLURM plugin rejects a
        rule's resources.
    WorkflowError
        If Snakemake cannot plan the workflow under the profile.
    """
    profile = resolve_profile(profile)
    settings = read_profile(profile)
    remote = settings.get("executor") not in (None, "local", "dryrun", "touch")
    requests = plan_requests(profile, snakefile=snakefile, configfile=configfile,
                             directory=directory, remote=remote)
    if settings.get("executor") == "slurm":
        for request in requests:
            request.sbatch = sbatch_call(request)
    return requests


# ------------------------------------------------------------------ folds


def fold_indices(records: SequenceSet, n_folds: int, seed: int) -> list[np.ndarray]:
    """Assign every record to one of ``n_folds`` folds, stratified by class when possible.

    Returns
    -------
    list of numpy.ndarray
        Record indices of each fold, sorted.

    Raises
    ------
    LabelError
        If the records have no labels, or a class has fewer records than folds.
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    if records.labels is None:
        raise LabelError("cannot split unlabelled records into folds; pass the label column or field")
    if n_folds < 2 or n_folds > len(records):
        raise ConfigError(f"number of folds must be between 2 and {len(records)}, got {n_folds}")
    placeholder = np.zeros(len(records))
    if records.task in ("binary", "multiclass"):
        counts = np.bincount(records.labels, minlength=len(records.class_names or []))
        smallest = int(counts[counts > 0].min())
        if smallest < n_folds:
            name = (records.class_names or [])[int(np.flatnonzero(counts == smallest)[0])]
            raise LabelError(
                f"class {name!r} has {smallest} records, fewer than the {n_folds} folds; "
                f"use at most {smallest} folds"
            )
        splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
        parts = splitter.split(placeholder, records.labels)
    else:
        parts = KFold(n_splits=n_folds, shuffle=True, random_state=seed).split(placeholder)
    return [np.sort(test) for _, test in parts]


def _label_columns(records: SequenceSet) -> tuple[list[str], list[list[str]]]:
    names = records.class_names or []
    labels = records.labels
    if records.task == "multilabel":
        return names, [[str(int(v)) for v in row] for row in labels]
    if records.task == "regression":
        if labels.ndim == 2:
            return names, [[repr(float(v)) for v in row] for row in labels]
        return ["label"], [[repr(float(v))] for v in labels]
    return ["label"], [[names[int(i)]] for i in labels]


def write_fold_table(records: SequenceSet, path: Path) -> None:
    """Write records as CSV (``id, sequence`` and label columns), atomically."""
    import csv

    header, label_rows = _label_columns(records)
    with atomic_open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "sequence", *header])
        for index in range(len(records)):
            writer.writerow([records.ids[index], records.sequence(index), *label_rows[index]])


def write_folds(records: SequenceSet, n_folds: int, seed: int, out_dir: Path) -> list[Path]:
    """Write ``fold{k}.train.csv`` and ``fold{k}.test.csv`` for every fold into ``out_dir``.

    Fold ``k``'s test file contains the records of fold ``k``, and its train
    file contains all other records. The same records and seed give the same files.

    Returns
    -------
    list of Path
        Every file written, in fold order.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    folds = fold_indices(records, n_folds, seed)
    written = []
    for k, test_index in enumerate(folds):
        train_mask = np.ones(len(records), dtype=bool)
        train_mask[test_index] = False
        for part, subset in (("train", records.subset(train_mask)),
                             ("test", records.subset(test_index))):
            path = out_dir / f"fold{k}.{part}.csv"
            write_fold_table(subset, path)
            written.append(path)
        logger.info("fold %d: %d train and %d test records", k, int(train_mask.sum()),
                    len(test_index))
    return written
