"""The LightningModule that trains any registered model on coded batches.

A batch contains ``codes`` ``(N, L)`` ``uint8``, ``lengths`` ``(N,)`` and
``labels``. :class:`SequenceSystem` augments the codes on the device
(reverse complement, shifts), expands them with
:func:`bioseq.encode.batch.encode_batch` into one-hot ``(N, A, L)`` or tokens
``(N, T)``, and applies the model and the task's loss. Validation metrics
(loss, accuracy, AUROC) are computed over the whole validation split at the
end of each epoch, gathered from every rank.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import lightning.pytorch as pl
import numpy as np
import torch
from torch import nn

from bioseq.data.augment import random_reverse_complement, random_shift, reverse_complement_codes
from bioseq.tasks import Task
from bioseq.train.config import OptimizerConfig, ScheduleConfig

logger = logging.getLogger(__name__)


def classification_metrics(task: Task, probabilities: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Compute accuracy and AUROC for binary and multiclass predictions.

    AUROC is NaN when the labels hold a single class, because it is undefined
    there. Multiclass AUROC is the one-vs-rest macro average over the classes
    present. Other tasks return an empty dict.
    """
    from sklearn.metrics import roc_auc_score

    if task.name not in ("binary", "multiclass") or len(labels) == 0:
        return {}
    predicted = task.predict(torch.from_numpy(probabilities)).numpy()
    metrics = {"accuracy": float(np.mean(predicted == labels))}
    present = np.unique(labels)
    if len(present) < 2:
        metrics["auroc"] = float("nan")
    elif task.name == "binary":
        metrics["auroc"] = float(roc_auc_score(labels, probabilities))
    else:
        scores = probabilities[:, present]
        scores = scores / scores.sum(axis=1, keepdims=True)
        if len(present) == 2:
            metrics["auroc"] = float(roc_auc_score(labels == present[1], scores[:, 1]))
        else:
            metrics["auroc"] = float(roc_auc_score(labels, scores, multi_class="ovr", labels=present))
    return metrics


class SequenceSystem(pl.LightningModule):
    """Wrap a model with its task's loss, the input encoding and the optimizer.

    Parameters
    ----------
    model : torch.nn.Module
        A model from :func:`bioseq.models.registry.get_model`.
    task : bioseq.tasks.Task
        Loss, activation and prediction rule.
    spec : bioseq.encode.batch.InputSpec
        How codes become model input.
    optimizer : OptimizerConfig
    schedule : ScheduleConfig
    complement : torch.Tensor of shape (256,) or None, default=None
        Code-to-complement lookup; needed for ``rc_augment`` and ``rc_average``.
    rc_augment : bool, default=False
        Reverse-complement a random half of each training batch.
    rc_average : bool, default=False
        Average forward and reverse-complement outputs in validation, test
        and prediction.
    shift : int, default=0
        Largest random shift, in residues, applied to training batches.
    """

    def __init__(
        self,
        model: nn.Module,
        task: Task,
        spec: Any,
        optimizer: OptimizerConfig,
        schedule: ScheduleConfig,
        *,
        complement: torch.Tensor | None = None,
        rc_augment: bool = False,
        rc_average: bool = False,
        shift: int = 0,
    ) -> None:
        super().__init__()
        self.model = model
        self.task = task
        self.spec = spec
        if optimizer.lr is None:
            # A config built directly, not through resolve_config, leaves the family default open.
            from dataclasses import replace

            from bioseq.models.registry import FAMILY_LEARNING_RATES

            rates = [FAMILY_LEARNING_RATES[cls] for cls in type(model).__mro__
                     if cls in FAMILY_LEARNING_RATES]
            optimizer = replace(optimizer, lr=rates[0] if rates else 1e-3)
        self.optimizer_config = optimizer
        self.schedule_config = schedule
        if complement is not None:
            self.register_buffer("complement", complement.long(), persistent=False)
        else:
            self.complement = None
        self.rc_augment = rc_augment
        self.rc_average = rc_average
        self.shift = shift
        self._outputs: dict[str, list[torch.Tensor]] = {"probabilities": [], "labels": [], "loss": [],
                                                        "count": []}

    def forward(self, codes: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Encode coded sequences on their device and return the model's logits ``(N, n_outputs)``."""
        from bioseq.encode.batch import encode_batch

        encoded = encode_batch(self.spec, codes, lengths)
        return self.model(encoded["x"], mask=encoded.get("mask"))

    def predict_probabilities(self, codes: torch.Tensor, lengths: torch.Tensor,
                              logits: torch.Tensor | None = None) -> torch.Tensor:
        """Return the task's activation of the logits, averaged over both strands when enabled.

        ``logits`` of the forward strand, when the caller has them already, save
        one forward pass.
        """
        if logits is None:
            logits = self(codes, lengths)
        probabilities = self.task.activation(logits.float())
        if self.rc_average and self.complement is not None:
            reverse = reverse_complement_codes(codes, self.complement)
            probabilities = 0.5 * (probabilities + self.task.activation(self(reverse, lengths).float()))
        return probabilities

    def training_step(self, batch: dict[str, torch.Tensor], batch_index: int) -> torch.Tensor:
        codes = batch["codes"]
        if self.shift:
            codes = random_shift(codes, self.shift)
        if self.rc_augment and self.complement is not None:
            codes = random_reverse_complement(codes, self.complement)
        logits = self(codes, batch["lengths"])
        loss = self.task.loss(logits.float(), batch["labels"])
        self.log("train_loss", loss, on_step=False, on_epoch=True, sync_dist=True,
                 batch_size=codes.shape[0], prog_bar=True)
        return loss

    def validation_step(self, batch: dict[str, torch.Tensor], batch_index: int) -> None:
        logits = self(batch["codes"], batch["lengths"]).float()
        loss = self.task.loss(logits, batch["labels"])
        n = batch["codes"].shape[0]
        self._outputs["loss"].append(loss.detach() * n)
        self._outputs["count"].append(torch.tensor(float(n), device=logits.device))
        self._outputs["probabilities"].append(
            self.predict_probabilities(batch["codes"], batch["lengths"], logits).detach()
        )
        self._outputs["labels"].append(batch["labels"].detach())

    def on_validation_epoch_end(self) -> None:
        outputs = self._outputs
        self._outputs = {key: [] for key in outputs}
        if not outputs["loss"]:
            return
        total = torch.stack(outputs["loss"]).sum()
        count = torch.stack(outputs["count"]).sum()
        probabilities = torch.cat(outputs["probabilities"])
        labels = torch.cat(outputs["labels"])
        if self.trainer.world_size > 1:
            total = self.all_gather(total).sum()
            count = self.all_gather(count).sum()
            probabilities = self.all_gather(probabilities).flatten(0, 1)
            labels = self.all_gather(labels).flatten(0, 1)
        self.log("val_loss", total / count, prog_bar=True, rank_zero_only=True)
        metrics = classification_metrics(
            self.task, probabilities.float().cpu().numpy(), labels.cpu().numpy()
        )
        for name, value in metrics.items():
            self.log(f"val_{name}", value, prog_bar=name == "accuracy", rank_zero_only=True)

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        schedulers = checkpoint.get("lr_schedulers") or []
        saved = schedulers[0].get("total_steps") if schedulers else None
        if saved is None and schedulers and self.schedule_config.name == "cosine":
            saved = schedulers[0].get("T_max")
        planned = int(self.trainer.estimated_stepping_batches)
        if saved is not None and int(saved) != planned:
            from bioseq.errors import ConfigError

            raise ConfigError(
                f"the checkpoint's learning-rate schedule spans {saved} steps but this run "
                f"plans {planned} steps; resume with the same --epochs, --batch-size and data, "
                "or start a new run directory"
            )

    def configure_optimizers(self) -> Any:
        settings = self.optimizer_config
        parameters = [p for p in self.model.parameters() if p.requires_grad]
        if settings.name == "sgd":
            optimizer = torch.optim.SGD(parameters, lr=settings.lr, momentum=settings.momentum,
                                        weight_decay=settings.weight_decay)
        elif settings.name == "adam":
            optimizer = torch.optim.Adam(parameters, lr=settings.lr, weight_decay=settings.weight_decay)
        else:
            optimizer = torch.optim.AdamW(parameters, lr=settings.lr, weight_decay=settings.weight_decay)
        scheduler = build_scheduler(optimizer, self.schedule_config, settings.lr,
                                    max(1, int(self.trainer.estimated_stepping_batches)))
        if scheduler is None:
            return optimizer
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}


def build_scheduler(
    optimizer: torch.optim.Optimizer, schedule: ScheduleConfig, lr: float, total_steps: int
) -> torch.optim.lr_scheduler.LRScheduler | None:
    """Build the learning-rate schedule, stepped once per optimizer step.

    Returns None for ``schedule.name == "none"``.
    """
    if schedule.name == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=lr, total_steps=total_steps, pct_start=schedule.pct_start
        )
    if schedule.name == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(
            optimizer, T_max=total_steps, eta_min=schedule.min_lr
        )
    if schedule.name == "exponential":
        return torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=schedule.gamma)
    return None


def epochs_for_steps(steps: int, batches_per_epoch: int) -> int:
    """Return how many epochs cover ``steps`` optimizer steps."""
    return max(1, math.ceil(steps / max(1, batches_per_epoch)))
