"""Compare one training epoch of bioseq with a bare PyTorch loop, side by side.

Usage::

    .venv/bin/python benchmarks/bench_train.py [--records 1280] [--repeats 2]

For each model (a Basset-like CNN on 1,000 bp one-hot input, batch 64, and the
4-layer ``token-transformer`` on 200 tokens, batch 64) the script measures, in
one process and on the same in-memory data:

- ``bare``: a plain PyTorch loop over pre-encoded tensors (forward, loss,
  backward, AdamW step), the fastest a training step can go;
- ``bioseq``: one epoch of :func:`bioseq.train.run.train_run` (Lightning,
  ``uint8`` batches expanded on the device, the same model and optimizer),
  timed from the epoch's first batch to its last;
- ``loader``: the bioseq data loader alone, batches per second times batch size.

Bare and bioseq runs alternate ``--repeats`` times and the medians are compared.
Gradient clipping and the learning-rate schedule are off in both, so both arms do the
same arithmetic. Results are printed as a Markdown table.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time

import lightning.pytorch as pl
import numpy as np
import torch

from bioseq.data.dataset import CodesDataset, make_loader
from bioseq.encode.batch import encode_batch
from bioseq.sequences import SequenceSet
from bioseq.tasks import get_task
from bioseq.train.config import resolve_config
from bioseq.train.prepare import build_input_spec, build_model_for
from bioseq.train.run import train_run

CASES = {
    "basset (1,000 bp)": {"model": "basset", "length": 1000, "params": {}, "input": {}},
    "token-transformer (200 tokens)": {"model": "token-transformer", "length": 200,
                                       "params": {}, "input": {"k": 1, "stride": 1}},
}
BATCH = 64


class EpochTimer(pl.Callback):
    """Time each training epoch from its first batch start to its last batch end."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if batch_idx == 0:
            self._start = time.perf_counter()

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        self.seconds.append(time.perf_counter() - self._start)


def make_data(n: int, length: int) -> SequenceSet:
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 4, size=(n, length), dtype=np.uint8)
    offsets = np.arange(n + 1, dtype=np.int64) * length
    return SequenceSet(ids=np.array([f"s{i}" for i in range(n)], dtype=object),
                       codes=codes.ravel(), offsets=offsets, alphabet="dna",
                       labels=(np.arange(n) % 2).astype(np.int64), class_names=["a", "b"],
                       task="binary", splits=np.full(n, "train", dtype=object))


def config_for(case: dict) -> object:
    return resolve_config(overrides={
        "model": {"name": case["model"], "params": case["params"]},
        "input": case["input"],
        "optimizer": {"grad_clip": None, "weight_decay": 0.01, "lr": 1e-4},
        "schedule": {"name": "none"},
        "data": {"val_fraction": 0.0, "test_fraction": 0.0},
        "trainer": {"epochs": 2, "batch_size": BATCH, "accelerator": "cpu", "devices": "1",
                    "deterministic": False},
    })


def bare_epoch(case: dict, seqset: SequenceSet) -> float:
    """Return samples/s of a plain PyTorch loop over pre-encoded tensors."""
    config = config_for(case)
    spec = build_input_spec(config.input, seqset, case["model"])
    torch.manual_seed(0)
    model = build_model_for(config.model, spec, 1, case["length"])
    task = get_task("binary")
    data = CodesDataset.from_sequence_set(seqset, case["length"])
    encoded = encode_batch(spec, data.codes, data.lengths)
    x, mask, y = encoded["x"], encoded.get("mask"), data.labels
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
    model.train()

    def step(rows: torch.Tensor) -> None:
        optimizer.zero_grad(set_to_none=True)
        logits = model(x[rows], mask=None if mask is None else mask[rows])
        task.loss(logits, y[rows]).backward()
        optimizer.step()

    step(torch.arange(BATCH))  # warm-up
    order = torch.randperm(len(y))
    start = time.perf_counter()
    for begin in range(0, len(y), BATCH):
        step(order[begin:begin + BATCH])
    return len(y) / (time.perf_counter() - start)


def bioseq_epoch(case: dict, seqset: SequenceSet) -> float:
    """Return samples/s of the second epoch of ``train_run``."""
    timer = EpochTimer()
    with tempfile.TemporaryDirectory() as folder:
        train_run(config_for(case), folder, seqset, callbacks=[timer])
    return len(seqset) / timer.seconds[-1]


def loader_rate(case: dict, seqset: SequenceSet) -> float:
    """Return samples/s of the bioseq loader alone (5 passes)."""
    data = CodesDataset.from_sequence_set(seqset, case["length"])
    loader = make_loader(data, BATCH, shuffle=True)
    start = time.perf_counter()
    count = 0
    for epoch in range(5):
        loader.sampler.set_epoch(epoch)
        for batch in loader:
            count += batch["codes"].shape[0]
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1280)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    logging.getLogger("bioseq").setLevel(logging.WARNING)
    for name in ("lightning", "lightning.pytorch", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.WARNING)
    rows = []
    for name, case in CASES.items():
        seqset = make_data(args.records, case["length"])
        bare, ours = [], []
        for _ in range(args.repeats):
            bare.append(bare_epoch(case, seqset))
            ours.append(bioseq_epoch(case, seqset))
        loader = loader_rate(case, seqset)
        bare_rate, our_rate = statistics.median(bare), statistics.median(ours)
        rows.append((name, bare_rate, our_rate, our_rate / bare_rate, loader, loader / our_rate))
        print(f"{name}: bare {bare} bioseq {ours} loader {loader:.0f}", file=sys.stderr, flush=True)
    print("| model | bare PyTorch samples/s | bioseq train samples/s | bioseq / bare | "
          "loader alone samples/s | loader / bioseq step |")
    print("|---|---|---|---|---|---|")
    for name, bare_rate, our_rate, ratio, loader, loader_ratio in rows:
        print(f"| {name} | {bare_rate:.1f} | {our_rate:.1f} | {ratio:.2f} | {loader:,.0f} | "
              f"{loader_ratio:,.0f}x |")
    print(f"\n{' '.join(sys.argv)}; torch {torch.__version__}, {torch.get_num_threads()} threads")


if __name__ == "__main__":
    main()
