"""Atomic checkpoint files, safe loading and the SIGUSR1 preemption flag.

Checkpoints hold only tensors and plain Python data (dicts, lists, numbers,
strings), so they load with ``torch.load(weights_only=True)`` and nothing is
unpickled that could run code. Every write goes to a temporary file in the
same folder, which is then renamed over the target, so a killed process
leaves either the previous checkpoint or a complete new one. Before
``last.ckpt`` is replaced, the old file is kept as ``last.previous.ckpt``, so
``--resume auto`` can fall back to it when the newest file is corrupt.
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import subprocess
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.fabric.plugins.io.torch_io import TorchCheckpointIO

from bioseq.errors import ConfigError, ModelFileError, OutputError

logger = logging.getLogger(__name__)

LAST = "last.ckpt"
PREVIOUS = "last.previous.ckpt"
BEST = "best.ckpt"


def load_checkpoint(path: str | os.PathLike[str], map_location: Any = "cpu") -> dict[str, Any]:
    """Load a checkpoint with ``weights_only=True``.

    Raises
    ------
    ModelFileError
        If the file is missing, truncated or corrupt, or needs full
        unpickling (a checkpoint from another tool that stores Python
        objects). Such files are refused because unpickling can run code.
    """
    path = Path(path)
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise ModelFileError(f"checkpoint {path} not found") from None
    except pickle.UnpicklingError as error:
        raise ModelFileError(
            f"checkpoint {path} contains Python objects that only full unpickling can restore, "
            "and bioseq loads checkpoints with weights_only=True because unpickling can run "
            f"arbitrary code ({str(error).splitlines()[0]}); use a checkpoint written by "
            "bioseq train, or re-save the weights as plain tensors"
        ) from None
    except (RuntimeError, EOFError, OSError, ValueError) as error:
        raise ModelFileError(
            f"checkpoint {path} is truncated or corrupt ({error}); delete it or resume from "
            "another checkpoint"
        ) from None


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning checkpoint I/O that writes atomically and loads with ``weights_only=True``."""

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: str | os.PathLike[str], storage_options: Any = None
    ) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            with open(temp, "wb") as stream:
                torch.save(checkpoint, stream)
                stream.flush()
                os.fsync(stream.fileno())
            if path.name == LAST and path.exists():
                _keep_previous(path, path.with_name(PREVIOUS))
            os.replace(temp, path)
        finally:
            if temp.exists():
                temp.unlink()

    def load_checkpoint(
        self, path: str | os.PathLike[str], map_location: Any = None, weights_only: bool | None = None
    ) -> dict[str, Any]:
        return load_checkpoint(path, map_location=map_location or "cpu")


def _keep_previous(path: Path, previous: Path) -> None:
    # A hard link keeps last.ckpt in place until the new file replaces it.
    link = previous.with_name(f".{previous.name}.{os.getpid()}.tmp")
    if link.exists():
        link.unlink()
    try:
        os.link(path, link)
    except OSError:
        return
    os.replace(link, previous)


#: Files of a run folder that starting a run again replaces; train.log is kept and appended to.
RUN_FILES = ("model.safetensors", "config.yaml", "manifest.json", "metrics.csv", "splits.csv")


def check_run_folder(out: Path, resume: str | None, overwrite: bool) -> None:
    """Reject a run folder that contains an earlier run unless the user chose what to do with it.

    A folder contains an earlier run when ``checkpoints/`` contains ``.ckpt``
    files or the folder contains ``model.safetensors``. With ``resume`` set
    the run continues from it. With ``overwrite`` the earlier run's
    checkpoints and :data:`RUN_FILES` are deleted first (each deletion is
    logged), so the new run cannot mix with the old one.

    Raises
    ------
    ConfigError
        If both ``resume`` and ``overwrite`` are set.
    OutputError
        If the folder contains an earlier run and neither is set. The message
        names the folder and the files, and the three ways on.
    """
    out = Path(out)
    if resume is not None and overwrite:
        raise ConfigError(
            f"--resume {resume} and --overwrite contradict each other: --resume continues the "
            f"run in {out} and --overwrite deletes it; pass only one"
        )
    folder = out / "checkpoints"
    checkpoints = sorted(folder.glob("*.ckpt")) if folder.is_dir() else []
    model = out / "model.safetensors"
    earlier = [*checkpoints, *([model] if model.is_file() else [])]
    if not earlier or resume is not None:
        return
    if not overwrite:
        names = ", ".join(str(path.relative_to(out)) for path in earlier)
        raise OutputError(
            f"run folder {out} already contains an earlier run ({names}); pass --resume auto to "
            "continue it, --overwrite to delete it and start again, or choose another --out"
        )
    for path in [*checkpoints, *(out / name for name in RUN_FILES)]:
        if path.is_file():
            path.unlink()
            logger.warning("--overwrite: deleted %s of the earlier run", path)


def describe_interrupt(folder: Path) -> str:
    """Return the message for a run stopped by Ctrl-C: the last checkpoint and how to continue.

    Parameters
    ----------
    folder : Path
        The run's checkpoint folder.
    """
    last = find_last_checkpoint(folder)
    if last is None:
        return ("bioseq train was interrupted before it wrote a checkpoint, so there is nothing "
                "to resume; run the command again to start over")
    try:
        state = load_checkpoint(last)
        where = f" (saved at optimizer step {state.get('global_step')})"
    except ModelFileError:
        where = ""
    return (f"bioseq train was interrupted; the last checkpoint is {last}{where}; run the same "
            "command with --resume auto to continue from it")


def find_last_checkpoint(folder: Path) -> Path | None:
    """Return the newest of ``last.ckpt`` and ``last.previous.ckpt`` in ``folder``, or None."""
    present = [path for path in (folder / LAST, folder / PREVIOUS) if path.is_file()]
    return max(present, key=lambda path: path.stat().st_mtime, default=None)


def find_resume_checkpoint(folder: Path) -> Path | None:
    """Return the newest checkpoint in ``folder`` that loads, or None.

    Candidates are ``last.ckpt`` and ``last.previous.ckpt``, newest first. A
    corrupt candidate is logged with the reason and the next one is tried.
    """
    candidates = [folder / LAST, folder / PREVIOUS]
    present = sorted((p for p in candidates if p.is_file()), key=lambda p: p.stat().st_mtime,
                     reverse=True)
    if not present:
        logger.info("no checkpoint found in %s, starting fresh", folder)
        return None
    for candidate in present:
        try:
            state = load_checkpoint(candidate)
        except ModelFileError as error:
            logger.warning("skipping checkpoint: %s", error)
            continue
        if "state_dict" not in state:
            logger.warning("skipping checkpoint %s: it has no state_dict", candidate)
            continue
        logger.info("resuming from %s (epoch %s, step %s)", candidate, state.get("epoch"),
                    state.get("global_step"))
        return candidate
    logger.warning("no valid checkpoint in %s (all %d corrupt), starting fresh", folder,
                   len(present))
    return None


class CheckpointWriter(pl.Callback):
    """Write ``last.ckpt`` every epoch and ``best.ckpt`` when the monitored value improves.

    A SIGUSR1 (sent by SLURM before a time limit, ``--signal=USR1@90``) only
    sets a flag. At the end of the next training batch the loop writes
    ``last.ckpt``, asks SLURM to requeue the job when it runs under SLURM and
    stops. Nothing is written from inside the signal handler.

    Parameters
    ----------
    folder : Path
        Checkpoint folder.
    monitor : str
        Logged metric that decides the best checkpoint.
    mode : {"min", "max"}
        Whether lower or higher values of ``monitor`` are better.
    """

    def __init__(self, folder: Path, monitor: str, mode: str) -> None:
        self.folder = Path(folder)
        self.monitor = monitor
        self.mode = mode
        self.best_score: float | None = None
        self.best_epoch: int | None = None
        self.preempted = False
        self._previous_handler: Any = None

    def state_dict(self) -> dict[str, Any]:
        return {"best_score": self.best_score, "best_epoch": self.best_epoch}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.best_score = state_dict.get("best_score")
        self.best_epoch = state_dict.get("best_epoch")

    def _on_signal(self, signum: int, frame: Any) -> None:
        self.preempted = True

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if hasattr(signal, "SIGUSR1"):
            try:
                self._previous_handler = signal.signal(signal.SIGUSR1, self._on_signal)
            except ValueError:
                logger.debug("not in the main thread; SIGUSR1 preemption handling is off")

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self._previous_handler is not None:
            signal.signal(signal.SIGUSR1, self._previous_handler)

    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        # Ranks must agree on stopping, so rank 0's flag decides for all.
        flag = trainer.strategy.broadcast(self.preempted, src=0)
        if not flag:
            return
        trainer.save_checkpoint(self.folder / LAST, weights_only=False)
        logger.warning("SIGUSR1 received: saved %s at step %d and stopping",
                       self.folder / LAST, trainer.global_step)
        if trainer.is_global_zero and os.environ.get("SLURM_JOB_ID"):
            job = os.environ["SLURM_JOB_ID"]
            result = subprocess.run(["scontrol", "requeue", job], capture_output=True, text=True,
                                    check=False)
            if result.returncode == 0:
                logger.warning("requeued SLURM job %s; it resumes with --resume auto", job)
            else:
                logger.error("scontrol requeue %s failed: %s", job, result.stderr.strip())
        trainer.should_stop = True
        self.preempted = False

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        value = trainer.callback_metrics.get(self.monitor)
        if value is not None:
            score = float(value)
            better = self.best_score is None or (
                score < self.best_score if self.mode == "min" else score > self.best_score
            )
            if better and score == score:
                self.best_score = score
                self.best_epoch = trainer.current_epoch
                trainer.save_checkpoint(self.folder / BEST, weights_only=False)
        trainer.save_checkpoint(self.folder / LAST, weights_only=False)
