"""The store loader drives a real Lightning fit of the training system."""

from __future__ import annotations

import lightning.pytorch as pl
import pytest
import torch

from bioseq.data.store_dataset import make_store_loader
from bioseq.encode.batch import InputSpec
from bioseq.io.store import write_store
from bioseq.models.registry import get_model
from bioseq.tasks import get_task
from bioseq.train.config import OptimizerConfig, ScheduleConfig
from bioseq.train.system import SequenceSystem


class EpochRecorder(pl.Callback):
    """Record the sampler epoch Lightning set before each training epoch."""

    def __init__(self) -> None:
        self.epochs: list[int] = []

    def on_train_epoch_start(self, trainer, module) -> None:
        self.epochs.append(trainer.train_dataloader.sampler.epoch)


@pytest.mark.slow
def test_lightning_fit_from_store(tmp_path, make_set):
    path = tmp_path / "train.h5"
    write_store(path, [make_set(600, seed=9, min_length=80, max_length=100)])
    train = make_store_loader(path, "train", batch_size=32, length=100, block_records=128)
    valid = make_store_loader(path, "valid", batch_size=32, length=100, shuffle=False)
    task = get_task("binary")
    system = SequenceSystem(
        get_model("cnn", n_outputs=task.n_outputs(["neg", "pos"])), task,
        InputSpec(kind="onehot", alphabet="dna", length=100, pad="right"), OptimizerConfig(),
        ScheduleConfig(name="none"),
    )
    recorder = EpochRecorder()
    trainer = pl.Trainer(max_epochs=2, accelerator="cpu", devices=1, logger=False,
                         enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, use_distributed_sampler=False,
                         num_sanity_val_steps=0, callbacks=[recorder])
    before = [p.detach().clone() for p in system.model.parameters()]
    trainer.fit(system, train_dataloaders=train, val_dataloaders=valid)
    assert trainer.current_epoch == 2
    assert recorder.epochs == [0, 1]
    assert trainer.num_training_batches == len(train)
    changed = [not torch.equal(a, b.detach()) for a, b in zip(before, system.model.parameters(), strict=True)]
    assert any(changed)
