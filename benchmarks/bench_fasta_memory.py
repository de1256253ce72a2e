"""Measure the peak memory of streaming a FASTA file with ``iter_fasta``.

``generate N LENGTH PATH`` writes N random DNA records of LENGTH bp (one
sequence line each, header ``>rI sample``, seed 0). ``read PATH`` streams the
file with :func:`bioseq.io.fasta.iter_fasta` (``alphabet="dna"``, default
``chunk_size``) and prints the record count, the peak resident memory of the
whole process (``ru_maxrss``) and the seconds taken. Run::

    python benchmarks/bench_fasta_memory.py generate 1000000 100 /tmp/n1m.fa
    python benchmarks/bench_fasta_memory.py read /tmp/n1m.fa

``/usr/bin/time -v`` on the ``read`` command reports the same peak.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np


def generate(n_records: int, length: int, path: str) -> None:
    """Write ``n_records`` random DNA records of ``length`` bp to ``path``."""
    rng = np.random.default_rng(0)
    letters = np.frombuffer(b"ACGT", dtype=np.uint8)
    step = 10_000
    with open(path, "wb") as handle:
        for start in range(0, n_records, step):
            count = min(step, n_records - start)
            sequences = letters[rng.integers(0, 4, size=(count, length))]
            handle.write(b"".join(b">r%d sample\n%s\n" % (start + i, sequences[i].tobytes())
                                  for i in range(count)))


def read(path: str) -> None:
    """Stream ``path`` and print the records, peak RSS in MiB and seconds."""
    from bioseq.io.fasta import iter_fasta

    started = time.perf_counter()
    n_records = sum(len(chunk) for chunk in iter_fasta(path, alphabet="dna"))
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{path}: {n_records} records, peak RSS {peak_mib:.0f} MiB, "
          f"{time.perf_counter() - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("generate", help="write a random DNA FASTA file")
    make.add_argument("n_records", type=int)
    make.add_argument("length", type=int, help="bp per record")
    make.add_argument("path")
    stream = commands.add_parser("read", help="stream a FASTA file and print the peak RSS")
    stream.add_argument("path")
    args = parser.parse_args()
    if args.command == "generate":
        generate(args.n_records, args.length, args.path)
    else:
        read(args.path)


if __name__ == "__main__":
    main()
