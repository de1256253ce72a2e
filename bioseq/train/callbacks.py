"""Lightning callbacks of a training run: metrics file, DDP check and Ctrl-C report."""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch

from bioseq.train.config import write_text_atomic

logger = logging.getLogger(__name__)

METRIC_COLUMNS = ("epoch", "step", "lr", "train_loss", "val_loss", "val_accuracy", "val_auroc")


class EpochMetricsWriter(pl.Callback):
    """Append one row per epoch to ``metrics.csv``, rewriting the file atomically each time."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.rows: list[dict[str, Any]] = []

    def load_existing(self) -> None:
        """Keep the rows of an earlier, interrupted run of the same directory."""
        if self.path.is_file():
            with open(self.path, newline="") as stream:
                self.rows = list(csv.DictReader(stream))

    def last_row(self) -> dict[str, Any]:
        """Return the latest epoch's row as numbers (empty before the first epoch)."""
        if not self.rows:
            return {}
        return {key: _number(value) for key, value in self.rows[-1].items() if value != ""}

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        metrics = trainer.callback_metrics
        optimizer = trainer.optimizers[0] if trainer.optimizers else None
        row: dict[str, Any] = {
            "epoch": trainer.current_epoch,
            "step": trainer.global_step,
            "lr": optimizer.param_groups[0]["lr"] if optimizer is not None else "",
        }
        for column in METRIC_COLUMNS[3:]:
            value = metrics.get(column)
            row[column] = "" if value is None else float(value)
        epoch = str(trainer.current_epoch)
        self.rows = [r for r in self.rows if str(r.get("epoch")) != epoch] + [row]
        described = ", ".join(f"{k} {v:.4f}" for k, v in row.items()
                              if isinstance(v, float) and k != "lr")
        logger.info("epoch %d: %s", trainer.current_epoch, described)
        if trainer.is_global_zero:
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=METRIC_COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(self.rows)
            write_text_atomic(self.path, buffer.getvalue())


def _number(value: Any) -> Any:
    if isinstance(value, int | float):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


class RankDataRecorder(pl.Callback):
    """Record which training records each rank saw and whether the ranks end in sync.

    In a DDP run every rank should see a different share of the records in
    an epoch and hold identical weights at the end. The summary (written to
    the manifest) holds the records seen per rank in the first epoch, how
    many records more than one rank saw, and whether all ranks' parameters
    are equal.
    """

    def __init__(self, n_records: int) -> None:
        self.n_records = n_records
        self.seen: torch.Tensor | None = None
        self.summary: dict[str, Any] = {}

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.seen is None:
            self.seen = torch.zeros(self.n_records, dtype=torch.bool)
            self._epoch = trainer.current_epoch

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule,
                             batch: Any, batch_idx: int) -> None:
        if self.seen is not None and trainer.current_epoch == self._epoch and "index" in batch:
            self.seen[batch["index"].cpu()] = True

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        world = trainer.world_size
        seen = self.seen if self.seen is not None else torch.zeros(self.n_records, dtype=torch.bool)
        parameters = torch.cat([p.detach().float().flatten() for p in pl_module.parameters()])
        if world > 1:
            all_seen = pl_module.all_gather(seen.to(pl_module.device).to(torch.uint8)).cpu().bool()
            all_parameters = pl_module.all_gather(parameters).cpu()
        else:
            all_seen, all_parameters = seen.unsqueeze(0), parameters.cpu().unsqueeze(0)
        identical = bool(all(torch.equal(all_parameters[0], other) for other in all_parameters[1:]))
        self.summary = {
            "world_size": world,
            "records_seen_per_rank": [int(row.sum()) for row in all_seen],
            "records_seen_by_several_ranks": int((all_seen.sum(dim=0) > 1).sum()),
            "parameters_identical_across_ranks": identical,
        }
        if world > 1:
            logger.info("DDP check: %s", self.summary)


class InterruptRecorder(pl.Callback):
    """Record whether training stopped on Ctrl-C.

    Lightning catches ``KeyboardInterrupt`` inside ``Trainer.fit``, calls
    ``on_exception`` and then exits with ``SystemExit(1)`` (Lightning 2.6).
    The flag lets the command line tell that exit from other ones and report
    the interrupt with exit code 130.
    """

    def __init__(self) -> None:
        self.interrupted = False

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule,
                     exception: BaseException) -> None:
        if isinstance(exception, KeyboardInterrupt):
            self.interrupted = True
