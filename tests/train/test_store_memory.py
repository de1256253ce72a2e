"""The store path of train, predict and evaluate never holds a store's codes whole.

A child process runs the commands on a small store first, so that imports,
compiled kernels and the model account for its baseline peak RSS, and then
on a store with 200 MB of codes. The peak may grow by far less than the
codes' size. As a control, the same process then reads the large store into
memory, which must raise the peak by about the codes' size: this shows that
the measurement sees a whole-store read.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from bioseq.io.store import write_store
from bioseq.sequences import SequenceSet

N_RECORDS = 500
RECORD_LENGTH = 400_000
CODES_BYTES = N_RECORDS * RECORD_LENGTH

CHILD = r"""
import json, resource, sys
from click.testing import CliRunner
from bioseq.cli import main

def peak():
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

def bioseq(*arguments):
    result = CliRunner().invoke(main, ["-q", *arguments], catch_exceptions=False)
    assert result.exit_code == 0, result.output

small, large, folder = sys.argv[1:4]
train = ["--model", "cnn", "--epochs", "1", "--batch-size", "64", "--max-len", "64",
         "--truncate", "right"]
for name, store in (("small", small), ("large", large)):
    if name == "large":
        baseline = peak()
    bioseq("train", "--data", store, "--out", f"{folder}/run_{name}", *train)
    bioseq("predict", f"{folder}/run_{name}", store, "--out", f"{folder}/{name}.csv",
           "--batch-size", "64")
    bioseq("evaluate", f"{folder}/run_{name}", "--data", store, "--split", "test",
           "--bootstrap", "0", "--batch-size", "64", "--out", f"{folder}/eval_{name}")
out_of_core = peak()

from bioseq.io.store import read_store
whole = read_store(large)
in_memory = peak()
print(json.dumps({"baseline": baseline, "out_of_core": out_of_core, "in_memory": in_memory,
                  "n_read": len(whole)}))
"""


def write_long_store(path: Path, n_records: int, length: int) -> None:
    """Write records of ``length`` random bases in batches, with labels and splits."""
    rng = np.random.default_rng(0)
    splits = np.array(["train"] * 8 + ["valid", "test"], dtype=object)

    def batches():
        for first in range(0, n_records, 50):
            n = min(50, n_records - first)
            offsets = np.arange(n + 1, dtype=np.int64) * length
            yield SequenceSet(ids=np.array([f"r{first + i}" for i in range(n)], dtype=object),
                              codes=rng.integers(0, 4, n * length, dtype=np.uint8),
                              offsets=offsets, alphabet="dna",
                              labels=(np.arange(first, first + n) // 10 % 2).astype(np.int64),
                              class_names=["a", "b"], task="binary",
                              splits=splits[np.arange(first, first + n) % 10])

    write_store(path, batches(), alphabet="dna")


def test_store_commands_keep_codes_on_disk(tmp_path):
    small, large = tmp_path / "small.h5", tmp_path / "large.h5"
    write_long_store(small, 100, 1000)
    write_long_store(large, N_RECORDS, RECORD_LENGTH)
    result = subprocess.run([sys.executable, "-c", CHILD, str(small), str(large), str(tmp_path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    peaks = json.loads(result.stdout.strip().splitlines()[-1])
    growth = peaks["out_of_core"] - peaks["baseline"]
    control = peaks["in_memory"] - peaks["baseline"]
    assert peaks["n_read"] == N_RECORDS
    assert control > 0.9 * CODES_BYTES, peaks
    assert growth < 0.5 * CODES_BYTES, peaks
    predictions = (tmp_path / "large.csv").read_text().splitlines()
    assert len(predictions) == N_RECORDS + 1
