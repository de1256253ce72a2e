"""Measure bioseq's FASTA reader beside pyfastx and Biopython in one run.

Every tool reads the same generated FASTA file (random DNA, lengths uniform
in ``--min-len`` to ``--max-len``, 60 residues a line, headers with a
description) and ends with the same result: one flat ``uint8`` code array
plus offsets, as :class:`~bioseq.sequences.SequenceSet` stores them.

- ``bioseq``: :func:`bioseq.io.fasta.read_fasta` with ``alphabet="dna"``
  (ids, descriptions, per-record checks and counts included);
- ``pyfastx + numpy``: ``pyfastx.Fastx`` iteration, then the fastest numpy
  encoding found: the sequences joined into one byte string, coded through a
  256-entry lookup table on ``np.frombuffer``, offsets from the lengths;
- ``Biopython + numpy``: ``Bio.SeqIO.parse`` with the same encoding.

The file is written plain and gzip-compressed into ``benchmarks/work/``
(git-ignored). Throughput is decompressed FASTA bytes per second; each figure
is the best of ``--repeats`` runs after one warm-up read of a small file (so
numba's compilation is not timed). The codes of all tools are compared before
timing. Run::

    python benchmarks/bench_fasta.py                 # 20,000 records, about 12 MB
    python benchmarks/bench_fasta.py --full --out benchmarks/results/io.md

``--only TOOL --input PATH`` reads one file with one tool and exits, for
timing whole processes (start-up, imports and peak memory included) with an
outside timer such as ``/usr/bin/time -v``.
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bioseq.alphabet import DNA
from bioseq.io.fasta import read_fasta

WORK = Path(__file__).resolve().parent / "work"
LINE_WIDTH = 60


def generate(path: Path, n: int, min_len: int, max_len: int, seed: int) -> None:
    """Write ``n`` random DNA records, wrapped at 60 residues."""
    rng = np.random.default_rng(seed)
    letters = np.frombuffer(b"ACGT", dtype=np.uint8)
    with open(path, "wb") as handle:
        for start in range(0, n, 10_000):
            parts = []
            for i in range(start, min(start + 10_000, n)):
                length = int(rng.integers(min_len, max_len + 1))
                sequence = letters[rng.integers(0, 4, size=length)].tobytes()
                wrapped = b"\n".join(sequence[k:k + LINE_WIDTH] for k in range(0, length, LINE_WIDTH))
                parts.append(b">seq%d sample=%d length=%d\n%s\n" % (i, i % 7, length, wrapped))
            handle.write(b"".join(parts))


def encode_joined(sequences: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Code a list of sequences through one lookup on the joined bytes."""
    table = DNA.byte_table()
    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
    offsets = np.zeros(len(sequences) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    codes = table[np.frombuffer(b"".join(sequences), dtype=np.uint8)]
    return codes, offsets


def read_bioseq(path: Path) -> tuple[np.ndarray, np.ndarray]:
    records = read_fasta(path, alphabet="dna")
    return records.codes, records.offsets


def read_pyfastx(path: Path) -> tuple[np.ndarray, np.ndarray]:
    import pyfastx

    sequences = [sequence.encode() for _, sequence in pyfastx.Fastx(str(path), uppercase=False)]
    return encode_joined(sequences)


def read_biopython(path: Path) -> tuple[np.ndarray, np.ndarray]:
    from Bio import SeqIO

    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as handle:
        sequences = [bytes(record.seq) for record in SeqIO.parse(handle, "fasta")]
    return encode_joined(sequences)


def best_time(function: Callable[[Path], object], path: Path, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function(path)
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20_000, help="Records to generate.")
    parser.add_argument("--full", action="store_true", help="200,000 records (about 120 MB).")
    parser.add_argument("--min-len", type=int, default=200)
    parser.add_argument("--max-len", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-biopython", action="store_true", help="Leave out Biopython (slow).")
    parser.add_argument("--out", type=Path, help="Write the Markdown table here.")
    parser.add_argument("--only", choices=["bioseq", "pyfastx", "biopython"],
                        help="Read --input with this tool only, then exit.")
    parser.add_argument("--input", type=Path, help="FASTA file for --only.")
    args = parser.parse_args(argv)
    if args.only:
        readers = {"bioseq": read_bioseq, "pyfastx": read_pyfastx, "biopython": read_biopython}
        codes, offsets = readers[args.only](args.input)
        print(f"{args.only}: {len(offsets) - 1} records, {codes.shape[0]} residues")
        return 0
    n = 200_000 if args.full else args.records

    WORK.mkdir(exist_ok=True)
    plain = WORK / f"bench_{n}.fa"
    packed = WORK / f"bench_{n}.fa.gz"
    if not plain.exists():
        generate(plain, n, args.min_len, args.max_len, args.seed)
    if not packed.exists():
        with open(plain, "rb") as source, gzip.open(packed, "wb", compresslevel=6) as target:
            target.write(source.read())
    size = plain.stat().st_size
    warm = WORK / "warm.fa"
    generate(warm, 10, 50, 60, 1)
    read_bioseq(warm)

    tools: list[tuple[str, Callable[[Path], tuple[np.ndarray, np.ndarray]]]] = [
        ("bioseq", read_bioseq), ("pyfastx + numpy", read_pyfastx)]
    if not args.skip_biopython:
        tools.append(("Biopython + numpy", read_biopython))
    reference = read_bioseq(plain)
    for name, function in tools[1:]:
        codes, offsets = function(plain)
        if not (np.array_equal(codes, reference[0]) and np.array_equal(offsets, reference[1])):
            raise SystemExit(f"{name} produced different codes than bioseq")

    rows = []
    for label, path in (("plain", plain), ("gzip", packed)):
        timings = {name: best_time(function, path, args.repeats) for name, function in tools}
        for name, seconds in timings.items():
            rows.append((label, name, seconds, size / seconds / 1e9, seconds / timings["bioseq"]))

    command = "python benchmarks/bench_fasta.py " + " ".join(argv if argv is not None else sys.argv[1:])
    lines = [
        f"FASTA to codes: {n:,} DNA records of {args.min_len}-{args.max_len} bp, "
        f"{size / 1e6:.0f} MB plain, best of {args.repeats}.",
        "",
        "| input | tool | seconds | GB/s | time / bioseq time |",
        "|---|---|---:|---:|---:|",
        *[f"| {label} | {name} | {seconds:.3f} | {rate:.2f} | {ratio:.2f} |"
          for label, name, seconds, rate, ratio in rows],
        "",
        f"Command: `{command.strip()}`",
        f"Machine: {os.cpu_count()} CPU cores visible ({platform.processor() or platform.machine()}), "
        f"Python {platform.python_version()}.",
    ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
