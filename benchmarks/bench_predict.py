"""Measure ``bioseq predict`` against a bare ``torch.inference_mode()`` loop.

Both sides score the same records with the same model, batch size and torch
thread count, in one run:

- bare loop: one-hot tensors ``(N, A, L)`` already in memory, then
  ``model(x)`` over batches; no file reading, encoding or output;
- ``bioseq predict``: the command line in a subprocess, reading a FASTA file,
  encoding each batch, and writing preds.csv.

The ratio (bioseq samples/s divided by bare-loop samples/s) is the figure of
merit. Peak resident memory of ``bioseq predict`` is measured at two file
sizes to show that it does not grow with the input.

Usage::

    python benchmarks/bench_predict.py            # 200,000 and 50,000 records
    python benchmarks/bench_predict.py --full     # 1,000,000 and 250,000 records

For a timing of whole processes (start-up included), write the inputs once
and time the two sides as separate commands::

    python benchmarks/bench_predict.py --write-inputs DIR --n 250000
    bioseq -q predict DIR/model.safetensors DIR/in.fa --out DIR/preds.csv --batch-size 1024
    python benchmarks/bench_predict.py --bare-only DIR --n 250000
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch


def write_fasta(path: Path, n: int, length: int, seed: int) -> None:
    """Write ``n`` random DNA records of ``length`` bases, in blocks to bound memory."""
    rng = np.random.default_rng(seed)
    letters = np.frombuffer(b"ACGT", dtype=np.uint8)
    with path.open("wb") as stream:
        for start in range(0, n, 100_000):
            count = min(100_000, n - start)
            codes = letters[rng.integers(0, 4, size=(count, length))]
            lines = [b">r%d\n%s\n" % (start + i, codes[i].tobytes()) for i in range(count)]
            stream.write(b"".join(lines))


def save_benchmark_model(path: Path, model_name: str, length: int) -> torch.nn.Module:
    from bioseq.models.modelfile import save_model
    from bioseq.models.registry import get_model

    torch.manual_seed(0)
    model = get_model(model_name, n_outputs=1).eval()
    save_model(path, model, {"task": "binary", "class_names": ["neg", "pos"],
                             "positive_class": "pos", "alphabet": "dna",
                             "input": {"kind": "onehot", "alphabet": "dna", "length": length}})
    return model


def bare_loop(model: torch.nn.Module, n: int, length: int, batch_size: int) -> float:
    """Return samples/s of model(x) over pre-encoded one-hot batches (N, A, L)."""
    rng = np.random.default_rng(1)
    # One-hot (N, A, L) built up front, so the loop times the model only.
    codes = torch.from_numpy(rng.integers(0, 4, size=(n, length)))
    x = torch.nn.functional.one_hot(codes, 4).permute(0, 2, 1).float().contiguous()
    with torch.inference_mode():
        model(x[:batch_size])  # warm-up
        started = time.perf_counter()
        for start in range(0, n, batch_size):
            torch.sigmoid(model(x[start:start + batch_size]))
        elapsed = time.perf_counter() - started
    return n / elapsed


# The child reports its own peak RSS (VmHWM) because ru_maxrss from wait4 also
# counts the parent's pages at fork time, which include the bare loop's tensors.
CHILD = """
import sys, torch
torch.set_num_threads(int(sys.argv[1]))
from bioseq.cli import main
try:
    main(sys.argv[2:], standalone_mode=False)
finally:
    status = open("/proc/self/status").read()
    print("VmHWM_KiB", status.split("VmHWM:")[1].split()[0], file=sys.stderr)
"""


def run_predict(model_path: Path, fasta: Path, out: Path, batch_size: int,
                threads: int) -> tuple[float, float]:
    """Run ``bioseq predict``; return (samples/s, peak RSS in MiB) of the subprocess."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    command = [sys.executable, "-c", CHILD, str(threads), "-q", "predict", str(model_path),
               str(fasta), "--out", str(out), "--batch-size", str(batch_size)]
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"bioseq predict failed:\n{result.stderr}")
    n_rows = sum(1 for _ in out.open()) - 1
    peak_kib = int(result.stderr.split("VmHWM_KiB")[1].split()[0])
    return n_rows / elapsed, peak_kib / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true",
                        help="1,000,000 records (and 250,000 for the memory check).")
    parser.add_argument("--n", type=int, default=200_000, help="Records in the large file.")
    parser.add_argument("--length", type=int, default=100, help="Bases per record.")
    parser.add_argument("--model", default="cnn", help="Registry model to benchmark.")
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=2,
                        help="Runs of each side per file size; the best is kept.")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads on both sides (1 avoids thread contention on a shared machine).")
    parser.add_argument("--write-inputs", type=Path, metavar="DIR",
                        help="Only write DIR/model.safetensors and DIR/in.fa (--n records).")
    parser.add_argument("--bare-only", type=Path, metavar="DIR",
                        help="Only run the bare loop on the model in DIR (--n records).")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.write_inputs:
        args.write_inputs.mkdir(parents=True, exist_ok=True)
        save_benchmark_model(args.write_inputs / "model.safetensors", args.model, args.length)
        write_fasta(args.write_inputs / "in.fa", args.n, args.length, seed=args.n)
        return
    if args.bare_only:
        from bioseq.models.modelfile import load_model

        model, _ = load_model(args.bare_only / "model.safetensors")
        print(f"{bare_loop(model, args.n, args.length, args.batch_size):.0f} samples/s")
        return
    n_large = 1_000_000 if args.full else args.n
    n_small = n_large // 4

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        model = save_benchmark_model(folder / "model.safetensors", args.model, args.length)
        rows = []
        for n in (n_small, n_large):
            fasta = folder / f"in_{n}.fa"
            write_fasta(fasta, n, args.length, seed=n)
            # Alternate the two sides and keep each side's best run, because other
            # jobs on a shared machine slow down whichever side they overlap.
            bare_rates, rates, peaks = [], [], []
            for _ in range(args.repeats):
                rate, peak = run_predict(folder / "model.safetensors", fasta,
                                         folder / "preds.csv", args.batch_size, args.threads)
                rates.append(rate)
                peaks.append(peak)
                bare_rates.append(bare_loop(model, n, args.length, args.batch_size))
            bare, rate = max(bare_rates), max(rates)
            rows.append((n, bare, rate, rate / bare, max(peaks)))
            fasta.unlink()

    print(f"model {args.model}, length {args.length}, batch size {args.batch_size}, "
          f"best of {args.repeats}, "
          f"torch threads {args.threads}, torch {torch.__version__}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs visible")
    print("| records | bare loop (samples/s) | bioseq predict (samples/s) | ratio | "
          "predict peak RSS (MiB) |")
    print("|---:|---:|---:|---:|---:|")
    for n, bare, rate, ratio, peak in rows:
        print(f"| {n:,} | {bare:,.0f} | {rate:,.0f} | {ratio:.2f} | {peak:,.0f} |")


if __name__ == "__main__":
    main()
