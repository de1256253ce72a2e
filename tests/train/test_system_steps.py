"""The training system's validation step: one forward pass a strand, same probabilities."""

from __future__ import annotations

import pytest
import torch

from bioseq.alphabet import get_alphabet
from bioseq.data.augment import complement_table
from bioseq.encode.batch import InputSpec
from bioseq.models.registry import get_model
from bioseq.tasks import get_task
from bioseq.train.config import OptimizerConfig, ScheduleConfig
from bioseq.train.system import SequenceSystem


def make_system(rc_average: bool) -> SequenceSystem:
    task = get_task("binary")
    complement = complement_table(get_alphabet("dna")) if rc_average else None
    system = SequenceSystem(
        get_model("cnn", n_outputs=task.n_outputs(["neg", "pos"])), task,
        InputSpec(kind="onehot", alphabet="dna", length=60, pad="right"), OptimizerConfig(),
        ScheduleConfig(name="none"), complement=complement, rc_average=rc_average,
    )
    return system.eval()


@pytest.mark.parametrize("rc_average", [False, True])
def test_validation_step_runs_one_forward_a_strand(rc_average: bool) -> None:
    torch.manual_seed(0)
    system = make_system(rc_average)
    calls = []
    system.model.register_forward_hook(lambda module, inputs, output: calls.append(1))
    batch = {"codes": torch.randint(0, 4, (8, 60), dtype=torch.uint8),
             "lengths": torch.full((8,), 60, dtype=torch.int64),
             "labels": torch.randint(0, 2, (8,))}
    with torch.no_grad():
        system.validation_step(batch, 0)
        stored = system._outputs["probabilities"][0]
        calls_in_step = len(calls)
        expected = system.predict_probabilities(batch["codes"], batch["lengths"])
    assert calls_in_step == (2 if rc_average else 1)
    assert torch.allclose(stored, expected)
