"""Run every benchmark at its default (quick) size, one after another.

Usage::

    .venv/bin/python benchmarks/run_all.py [--only fasta encode ...]

Each benchmark compares bioseq with its peers side by side in one process and
prints a Markdown table of ratios. The output of each goes to
``benchmarks/results/<name>.txt``. Full-size runs, and the real-data training
runs (``real_data.py``, about an hour on 2 cores), are started by hand with the
commands on docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Benchmark name -> script arguments at the quick default size.
BENCHMARKS: dict[str, list[str]] = {
    "fasta": ["bench_fasta.py"],
    "encode": ["bench_encode.py", "--n", "20000"],
    "models": ["models.py", "--repeats", "5"],
    "train": ["bench_train.py"],
    "predict": ["bench_predict.py"],
    "store": ["bench_store.py", "--parts", "preprocess,read"],
    "simulate": ["bench_simulate.py"],
}


def main() -> int:
    """Run the selected benchmarks and return the number that failed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), help="Run only these.")
    args = parser.parse_args()
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    failed = 0
    for name in args.only or list(BENCHMARKS):
        script, *options = BENCHMARKS[name]
        command = [sys.executable, str(HERE / script), *options]
        print(f"== {name}: {' '.join(command)}", flush=True)
        start = time.monotonic()
        completed = subprocess.run(command, capture_output=True, text=True)
        output = completed.stdout + completed.stderr
        (results / f"{name}.txt").write_text(output)
        print(completed.stdout[-4000:], flush=True)
        elapsed = time.monotonic() - start
        if completed.returncode != 0:
            failed += 1
            print(f"!! {name} failed with exit code {completed.returncode}; see "
                  f"benchmarks/results/{name}.txt", flush=True)
        print(f"== {name}: {elapsed:.0f} s", flush=True)
    return failed


if __name__ == "__main__":
    sys.exit(main())
