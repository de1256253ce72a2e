"""The ``bioseq`` command line: a click group whose subcommands load lazily.

Each subcommand lives in its own module and is imported only when it runs, so
``bioseq --help`` stays fast and never imports torch.
"""

from __future__ import annotations

import importlib
import logging
import sys
import warnings

import click

from bioseq import __version__
from bioseq.errors import BioseqError

# Subcommand name -> (module under bioseq.cli, function name, one-line help).
COMMANDS: dict[str, tuple[str, str, str]] = {
    "encode": ("encode", "encode", "Encode sequences into one-hot or k-mer arrays."),
    "models": ("models", "models", "List the model presets with their parameter counts."),
    "train": ("train", "train", "Train a classifier and save the run directory."),
    "evaluate": ("evaluate", "evaluate", "Evaluate a model on labelled data and write a report."),
    "report": ("report", "report", "Compare several evaluated runs in one HTML page and CSV."),
    "predict": ("predict", "predict", "Score new sequences with a trained model."),
    "preprocess": ("preprocess", "preprocess", "Encode inputs once into an HDF5 store."),
    "inspect": ("inspect", "inspect", "Print the summary of an HDF5 store or model file."),
    "validate": ("validate", "validate", "Check HDF5 stores for truncation or corruption."),
    "simulate": ("simulate", "simulate", "Generate labelled sequences with planted motifs."),
    "workflow": ("workflow", "workflow", "Run or check the Snakemake workflow and its profiles."),
}


class LazyGroup(click.Group):
    """Click group that imports a subcommand's module only when it is invoked."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, attribute, _ = COMMANDS[cmd_name]
        module = importlib.import_module(f"bioseq.cli.{module_name}")
        command = getattr(module, attribute)
        if not any(param.name == "quiet" for param in command.params):
            command.params.extend(_verbosity_options())
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Help text comes from the table above, so listing commands imports nothing.
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            # A reader such as `head` closed stdout early: stop quietly, as Unix tools do.
            sys.stderr.close()
            ctx.exit(141)
        except KeyboardInterrupt:
            # Ctrl-C: one line and the shell's code for SIGINT (128 + 2), as train reports.
            click.echo(f"Error: bioseq {ctx.invoked_subcommand or ''} interrupted; outputs are "
                       "written to temporary files and renamed when complete, so no partial "
                       "output was left", err=True)
            ctx.exit(130)
        except (BioseqError, OSError) as error:
            # One line; the traceback only with -v. Unwritable outputs and unreadable inputs
            # that no command turned into a BioseqError get the path and the reason.
            if (ctx.obj or {}).get("verbosity", 0) > 0:
                logging.getLogger("bioseq").exception("failed")
            message = str(error) if isinstance(error, BioseqError) else describe_os_error(error)
            click.echo(f"Error: {message}", err=True)
            ctx.exit(1)


def _verbosity_options() -> list[click.Option]:
    """Build -v and -q for a subcommand, so that ``bioseq train -q`` works as ``bioseq -q train``."""

    def apply(ctx: click.Context, param: click.Parameter, value: int | bool) -> None:
        if not value:
            return
        obj = ctx.find_root().ensure_object(dict)
        verbosity = -1 if param.name == "quiet" else int(value)
        if obj.get("verbosity") != verbosity:
            obj["verbosity"] = verbosity
            configure_logging(verbosity)

    return [
        click.Option(["-v", "--verbose"], count=True, expose_value=False, is_eager=True,
                     callback=apply, help="As bioseq -v: more log output."),
        click.Option(["-q", "--quiet"], is_flag=True, expose_value=False, is_eager=True,
                     callback=apply, help="As bioseq -q: only warnings and errors."),
    ]


def describe_os_error(error: OSError) -> str:
    """Return a one-line message for an operating-system error: path, reason, what to do."""
    reason = error.strerror or str(error) or type(error).__name__
    if error.filename is None:
        return f"file operation failed: {reason}; check the input and output paths and permissions"
    paths = str(error.filename)
    if error.filename2 is not None:
        paths += f" -> {error.filename2}"
    return f"cannot access {paths}: {reason}; check the path and its permissions"


#: Lightning's loggers, whose info lines bioseq shows at -v only.
LIGHTNING_LOGGERS = ("lightning.pytorch", "lightning.fabric")


def configure_logging(verbosity: int) -> None:
    """Send log records to stderr at the level that ``-v``/``-q`` chose.

    bioseq's own records show from INFO (WARNING with ``-q``, DEBUG with
    ``-vv``). Lightning's info lines, such as the GPU summary and its tips, go
    through the same handler but show only with ``-v``. With ``-q`` only
    bioseq's warnings and errors remain: Python warnings from other packages
    (Lightning's hints about workers or SLURM) are ignored, while
    :class:`~bioseq.errors.BioseqWarning` still shows.

    Parameters
    ----------
    verbosity : int
        -1 for ``-q``, 0 by default, the count of ``-v`` otherwise.
    """
    from bioseq.errors import BioseqWarning

    level = {-1: logging.WARNING, 0: logging.INFO}.get(verbosity, logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s",
                                           datefmt="%H:%M:%S"))
    root = logging.getLogger("bioseq")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False

    # lightning.pytorch adds its own handler on import unless the root logger has
    # one, so this call adds one there and replaces an earlier call's. It shows
    # other libraries' warnings, or only their errors with -q.
    fallback = logging.StreamHandler(sys.stderr)
    fallback.setFormatter(handler.formatter)
    fallback.setLevel(logging.ERROR if verbosity < 0 else logging.WARNING)
    fallback.set_name(_ROOT_HANDLER_NAME)
    python_root = logging.getLogger()
    python_root.handlers[:] = [h for h in python_root.handlers if h.get_name() != _ROOT_HANDLER_NAME]
    python_root.addHandler(fallback)

    # The top-level lightning package always adds an "INFO: ..." console handler to
    # the "lightning" logger, so the subpackages' records must not propagate to it.
    lightning_handler = logging.StreamHandler(sys.stderr)
    lightning_handler.setFormatter(handler.formatter)
    lightning_handler.setLevel({-1: logging.ERROR, 0: logging.WARNING}.get(verbosity, logging.INFO))
    for name in LIGHTNING_LOGGERS:
        library = logging.getLogger(name)
        library.handlers[:] = [lightning_handler]
        library.setLevel(logging.INFO)
        library.propagate = False

    if verbosity < 0:
        warnings.filterwarnings("ignore")
        warnings.filterwarnings("default", category=BioseqWarning)


_ROOT_HANDLER_NAME = "bioseq-cli"


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bioseq")
@click.option("-v", "--verbose", count=True, help="More log output; -vv adds debug messages and tracebacks.")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors on stderr.")
@click.pass_context
def main(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """Train and apply deep-learning classifiers on DNA, RNA and protein sequences.

    Data flows one way: FASTA or CSV/TSV (or an HDF5 store from
    ``bioseq preprocess``) into ``bioseq train``, then ``bioseq evaluate``
    and ``bioseq predict``. Run ``bioseq COMMAND --help`` for each command.
    """
    verbosity = -1 if quiet else verbose
    ctx.ensure_object(dict)
    ctx.obj["verbosity"] = verbosity
    configure_logging(verbosity)
