"""Measure ``bioseq.simulate`` beside tangermeme's random sequences with planted motifs.

Both tools make the same kind of data in one run: ``--n`` random DNA
sequences of ``--length`` bases at GC content 0.5 as one-hot ``(N, 4, L)``
float32, with the TATA box ``TATAAA`` planted at a random position in half of
them:

- bioseq: ``simulate_sequences`` (binary task, codes) then
  ``encode_onehot``;
- tangermeme: ``tangermeme.utils.random_one_hot`` then
  ``tangermeme.ersatz.substitute`` for each positive sequence, because
  ``substitute`` plants at one start position per call.

The tools take turns, and each figure is the best of ``--repeats`` passes.
Writing CSV (``write_simulated``) is timed on its own, as bioseq's only
streaming path. Run::

    python benchmarks/bench_simulate.py --out benchmarks/results/simulate.md
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from collections.abc import Callable

import numpy as np
import torch

from bioseq.encode.onehot import encode_onehot
from bioseq.simulate import SimulationSpec, simulate_sequences, write_simulated


def run_bioseq(n: int, length: int, seed: int) -> np.ndarray:
    spec = SimulationSpec(n_sequences=n, length=length, motifs=("tata_box",),
                          split_fractions=None, seed=seed)
    records = simulate_sequences(spec)
    return encode_onehot(records, length=length)


def run_tangermeme(n: int, length: int, seed: int) -> torch.Tensor:
    from tangermeme.ersatz import substitute
    from tangermeme.utils import random_one_hot

    rng = np.random.default_rng(seed)
    onehot = random_one_hot((n, 4, length), probs=[[0.25] * 4], dtype="float32",
                            random_state=seed)
    positives = np.flatnonzero(rng.random(n) < 0.5)
    starts = rng.integers(0, length - 6 + 1, size=positives.size)
    for index, start in zip(positives.tolist(), starts.tolist(), strict=True):
        onehot[index : index + 1] = substitute(onehot[index : index + 1], "TATAAA",
                                               start=int(start))
    return onehot


def best_of(function: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--length", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--csv-n", type=int, default=200000)
    parser.add_argument("--out", default=None, help="Markdown file for the table.")
    args = parser.parse_args()
    torch.set_num_threads(1)

    # Check that both produce one-hot arrays of the same shape before timing.
    ours = run_bioseq(200, args.length, 0)
    theirs = run_tangermeme(200, args.length, 0)
    assert tuple(ours.shape) == tuple(theirs.shape), (ours.shape, theirs.shape)
    assert np.allclose(np.asarray(ours).sum(axis=1), 1.0)

    times = {"bioseq": [], "tangermeme": []}
    for _ in range(args.repeats):
        times["bioseq"].append(best_of(lambda: run_bioseq(args.n, args.length, 1), 1))
        times["tangermeme"].append(best_of(lambda: run_tangermeme(args.n, args.length, 1), 1))
    bioseq_s = min(times["bioseq"])
    tangermeme_s = min(times["tangermeme"])

    with tempfile.TemporaryDirectory() as folder:
        spec = SimulationSpec(n_sequences=args.csv_n, length=args.length, motifs=("tata_box",))
        csv_s = best_of(lambda: write_simulated(spec, folder, "csv"), args.repeats)

    rows = [
        "| task | bioseq (s) | tangermeme (s) | tangermeme / bioseq |",
        "| --- | --- | --- | --- |",
        f"| {args.n} x {args.length} nt one-hot, motif in half | {bioseq_s:.3f} | "
        f"{tangermeme_s:.3f} | {tangermeme_s / bioseq_s:.1f} |",
        f"| {args.csv_n} x {args.length} nt to CSV (bioseq only) | {csv_s:.3f} | - | - |",
    ]
    table = "\n".join(rows)
    print(table)
    if args.out:
        with open(args.out, "w") as handle:
            handle.write(f"Machine: {platform.processor() or platform.machine()}, "
                         f"Python {platform.python_version()}, torch threads 1.\n\n{table}\n")


if __name__ == "__main__":
    main()
