"""Measure bioseq's encoders beside seqpro, tangermeme and scikit-learn in one run.

All tools get the same generated DNA sequences (uniform random bases,
lengths uniform in ``--min-len`` to ``--max-len``), each in the input form it
takes, and every tool allocates its own output, as a caller would:

- one-hot ``(N, 4, L)`` float32 with ``L = --max-len`` (shorter sequences
  padded with zero columns): ``bioseq.encode.onehot.encode_onehot`` from
  codes; ``seqpro.ohe`` on an ``(N, L)`` byte array, then converted to the
  same layout and type; ``tangermeme.utils.one_hot_encode`` per sequence,
  stacked;
- k-mer count matrices for each ``--k``: ``bioseq.encode.kmer.kmer_counts``
  (dense and CSR) and scikit-learn ``CountVectorizer(analyzer="char",
  ngram_range=(k, k))`` (CSR).

Work is done in chunks of ``--chunk`` sequences so memory stays bounded.
The tools take turns chunk by chunk, and each figure is the best of
``--repeats`` full passes. The outputs of the tools are compared before
timing. Run::

    python benchmarks/bench_encode.py --out benchmarks/results/encode.md
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numba
import numpy as np

from bioseq.alphabet import DNA
from bioseq.encode.kmer import kmer_counts
from bioseq.encode.onehot import encode_onehot
from bioseq.sequences import SequenceSet


def generate(n: int, min_len: int, max_len: int, seed: int) -> SequenceSet:
    """Draw ``n`` random DNA sequences as a SequenceSet."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(min_len, max_len + 1, size=n)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    codes = rng.integers(0, 4, size=int(offsets[-1]), dtype=np.uint8)
    ids = np.array([f"s{i}" for i in range(n)], dtype=object)
    return SequenceSet(ids=ids, codes=codes, offsets=offsets, alphabet=DNA)


def chunks(seqs: SequenceSet, size: int) -> list[SequenceSet]:
    return [seqs.subset(np.arange(start, min(start + size, len(seqs))))
            for start in range(0, len(seqs), size)]


def as_strings(chunk: SequenceSet) -> list[str]:
    return [chunk.sequence(i) for i in range(len(chunk))]


def as_padded_bytes(chunk: SequenceSet, length: int) -> np.ndarray:
    """Lay out a chunk as an (N, L) 'S1' array padded with N, seqpro's input form."""
    table = DNA.decode_table()
    out = np.full((len(chunk), length), ord("N"), dtype=np.uint8)
    for i in range(len(chunk)):
        row = chunk.codes_of(i)
        out[i, : len(row)] = table[row]
    return out.view("S1")


Work = Callable[[int], object]


def measure(tools: list[tuple[str, Work]], n_chunks: int,
            repeats: int) -> dict[str, tuple[float, float]]:
    """Time every tool on every chunk and return each tool's best total wall and CPU seconds.

    The tools take turns chunk by chunk, so a change in machine load during
    the run affects all of them alike. CPU seconds add up every thread of
    the process, so they show what a multithreaded tool costs when the
    cores are shared.
    """
    best = {name: (float("inf"), float("inf")) for name, _ in tools}
    for _ in range(repeats):
        totals = {name: [0.0, 0.0] for name, _ in tools}
        for index in range(n_chunks):
            for name, work in tools:
                wall, cpu = time.perf_counter(), time.process_time()
                work(index)
                totals[name][0] += time.perf_counter() - wall
                totals[name][1] += time.process_time() - cpu
        for name, (wall, cpu) in totals.items():
            best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
    return best


def on_threads(n_threads: int, work: Work) -> Work:
    """Wrap ``work`` so that bioseq's numba kernels run on ``n_threads`` threads."""

    def run(index: int) -> object:
        previous = numba.get_num_threads()
        numba.set_num_threads(n_threads)
        try:
            return work(index)
        finally:
            numba.set_num_threads(previous)

    return run


def bench_onehot(parts: list[SequenceSet], length: int,
                 repeats: int) -> list[tuple[str, float, float]]:
    import seqpro
    import torch
    from tangermeme.utils import one_hot_encode

    byte_parts = [as_padded_bytes(part, length) for part in parts]
    text_parts = [[text.ljust(length, "N") for text in as_strings(part)] for part in parts]

    def run_bioseq(index: int) -> np.ndarray:
        return encode_onehot(parts[index], length=length, pad="right")

    def run_seqpro(index: int) -> np.ndarray:
        # (N, L, A) uint8 -> (N, A, L) float32, the layout the others return.
        encoded = seqpro.ohe(byte_parts[index], seqpro.DNA)
        return np.ascontiguousarray(encoded.transpose(0, 2, 1), dtype=np.float32)

    def run_tangermeme(index: int) -> torch.Tensor:
        return torch.stack([one_hot_encode(text, dtype=torch.float32)
                            for text in text_parts[index]])

    # Same values from every tool on the first chunk; this also compiles the kernels.
    ours = run_bioseq(0)
    if not (np.array_equal(ours, run_seqpro(0)) and np.array_equal(ours, run_tangermeme(0).numpy())):
        raise SystemExit("one-hot outputs differ between tools; the comparison is void")

    threads = numba.get_num_threads()
    tools = [(f"bioseq encode_onehot, {threads} threads", run_bioseq),
             ("bioseq encode_onehot, 1 thread", on_threads(1, run_bioseq)),
             ("seqpro ohe + float32 (N, A, L)", run_seqpro),
             ("tangermeme one_hot_encode + stack", run_tangermeme)]
    seconds = measure(tools, len(parts), repeats)
    n_bytes = sum(len(part) for part in parts) * 4 * length * 4
    return [(name, n_bytes / wall / 1e9, n_bytes / cpu / 1e9)
            for name, (wall, cpu) in seconds.items()]


def bench_kmer(parts: list[SequenceSet], k: int, repeats: int) -> list[tuple[str, float, float]]:
    from sklearn.feature_extraction.text import CountVectorizer

    text_parts = [as_strings(part) for part in parts]
    vectorizer = CountVectorizer(analyzer="char", ngram_range=(k, k), lowercase=False)

    def run_dense(index: int) -> np.ndarray:
        return kmer_counts(parts[index], k)

    def run_sparse(index: int) -> object:
        return kmer_counts(parts[index], k, sparse=True)

    def run_sklearn(index: int) -> object:
        return vectorizer.fit_transform(text_parts[index])

    # Same counts per row on the first rows (columns are ordered differently).
    ours, theirs = run_sparse(0), run_sklearn(0)
    for row in range(min(200, ours.shape[0])):
        if sorted(ours[row].data.tolist()) != sorted(theirs[row].data.tolist()):
            raise SystemExit(f"k={k}: counts of row {row} differ; the comparison is void")
    run_dense(0)

    threads = numba.get_num_threads()
    tools = [(f"bioseq kmer_counts dense, {threads} threads", run_dense),
             (f"bioseq kmer_counts CSR, {threads} threads", run_sparse),
             ("bioseq kmer_counts dense, 1 thread", on_threads(1, run_dense)),
             ("bioseq kmer_counts CSR, 1 thread", on_threads(1, run_sparse)),
             ("scikit-learn CountVectorizer (CSR)", run_sklearn)]
    seconds = measure(tools, len(parts), repeats)
    n_bases = sum(int(part.lengths.sum()) for part in parts)
    return [(name, n_bases / wall / 1e6, n_bases / cpu / 1e6)
            for name, (wall, cpu) in seconds.items()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=200_000, help="sequences for one-hot")
    parser.add_argument("--kmer-n", type=int, default=20_000,
                        help="sequences for k-mer counts (the first ones of the same set)")
    parser.add_argument("--min-len", type=int, default=200)
    parser.add_argument("--max-len", type=int, default=1000)
    parser.add_argument("--chunk", type=int, default=10_000, help="sequences per call")
    parser.add_argument("--k", type=int, nargs="+", default=[4, 6])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = parser.parse_args(argv)

    seqs = generate(args.n, args.min_len, args.max_len, args.seed)
    parts = chunks(seqs, args.chunk)
    kmer_parts = chunks(seqs.subset(np.arange(min(args.kmer_n, args.n))), args.chunk)

    lines = [
        f"Machine: {os.cpu_count()} CPU cores ({platform.machine()}), Python "
        f"{platform.python_version()}, numba threads {numba.get_num_threads()}, load average "
        f"at start {os.getloadavg()[0]:.1f}.",
        f"Data: {args.n:,} random DNA sequences of {args.min_len}-{args.max_len} bp "
        f"(seed {args.seed}); k-mers on the first {min(args.kmer_n, args.n):,}; "
        f"chunks of {args.chunk:,}; best of {args.repeats}.",
        "",
        "Ratios divide the fastest bioseq row of the task by each row, once by wall-clock "
        "throughput and once by throughput per CPU second. bioseq "
        "calls with fewer than 2**22 residues or output positions run on one thread whatever "
        "the thread count.",
        "",
        "| task | tool | wall-clock throughput | fastest bioseq / tool | "
        "throughput per CPU second | fastest bioseq / tool, CPU |",
        "|---|---|---|---|---|---|",
    ]
    onehot = bench_onehot(parts, args.max_len, args.repeats)
    best = max(wall for name, wall, _ in onehot if name.startswith("bioseq"))
    best_cpu = max(cpu for name, _, cpu in onehot if name.startswith("bioseq"))
    for name, wall, cpu in onehot:
        lines.append(f"| one-hot (N, 4, {args.max_len}) float32 | {name} | {wall:.2f} GB/s "
                     f"| {best / wall:.1f}x | {cpu:.2f} GB/s | {best_cpu / cpu:.1f}x |")
    for k in args.k:
        rows = bench_kmer(kmer_parts, k, args.repeats)
        best = max(wall for name, wall, _ in rows if name.startswith("bioseq"))
        best_cpu = max(cpu for name, _, cpu in rows if name.startswith("bioseq"))
        for name, wall, cpu in rows:
            lines.append(f"| k-mer counts k={k} | {name} | {wall:.3g} M bases/s "
                         f"| {best / wall:.1f}x | {cpu:.3g} M bases/s | {best_cpu / cpu:.1f}x |")
    lines.append("")
    lines.append(f"Load average at the end: {os.getloadavg()[0]:.1f}.")
    text = "\n".join(lines)
    print(text)
    if args.out is not None:
        command = "python " + " ".join(["benchmarks/bench_encode.py", *(argv or sys.argv[1:])])
        args.out.write_text(f"{text}\n\nCommand: `{command}`\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
