"""The store path of train, predict and evaluate never keeps a store's codes in memory whole.

A child process runs each command on a small store and then on a store with
200 MB of codes. Before each run it resets the kernel's peak-RSS mark
(``VmHWM``, reset by writing 5 to ``/proc/self/clear_refs``), so every run
gets its own peak. On the large store each command's peak may exceed its peak
on the small store by far less than the codes' size. As a control, reading
the large store whole must exceed reading the small one by about the codes'
size, which shows that the measurement sees a whole-store read.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bioseq.io.store import write_store
from bioseq.sequences import SequenceSet

N_RECORDS = 500
RECORD_LENGTH = 400_000
CODES_BYTES = N_RECORDS * RECORD_LENGTH

CHILD = r"""
import json, sys
from click.testing import CliRunner
from bioseq.cli import main
from bioseq.io.store import read_store

def reset_peak():
    with open("/proc/self/clear_refs", "w") as stream:
        stream.write("5")

def peak():
    with open("/proc/self/status") as stream:
        line = next(line for line in stream if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024

def bioseq(*arguments):
    result = CliRunner().invoke(main, ["-q", *arguments], catch_exceptions=False)
    assert result.exit_code == 0, result.output

small, large, folder = sys.argv[1:4]
train = ["--model", "cnn", "--epochs", "1", "--batch-size", "64", "--max-len", "64",
         "--truncate", "right"]
commands = {
    "train": lambda name, store: bioseq("train", "--data", store, "--out",
                                        f"{folder}/run_{name}", *train),
    "predict": lambda name, store: bioseq("predict", f"{folder}/run_{name}", store, "--out",
                                          f"{folder}/{name}.csv", "--batch-size", "64"),
    "evaluate": lambda name, store: bioseq("evaluate", f"{folder}/run_{name}", "--data", store,
                                           "--split", "test", "--bootstrap", "0",
                                           "--batch-size", "64", "--out",
                                           f"{folder}/eval_{name}"),
    "read whole": lambda name, store: read_store(store),
}
# A first round on the small store loads the modules and compiles the kernels.
for command in commands.values():
    command("warm", small)
peaks = {}
for label, command in commands.items():
    for name, store in (("small", small), ("large", large)):
        reset_peak()
        command(name, store)
        peaks[f"{label} {name}"] = peak()
print(json.dumps(peaks))
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


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(),
                    reason="needs Linux's /proc/self/clear_refs to reset the peak RSS")
def test_store_commands_keep_codes_on_disk(tmp_path):
    small, large = tmp_path / "small.h5", tmp_path / "large.h5"
    write_long_store(small, 100, 1000)
    write_long_store(large, N_RECORDS, RECORD_LENGTH)
    result = subprocess.run([sys.executable, "-c", CHILD, str(small), str(large), str(tmp_path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    peaks = json.loads(result.stdout.strip().splitlines()[-1])
    control = peaks["read whole large"] - peaks["read whole small"]
    assert control > 0.9 * CODES_BYTES, peaks
    for command in ("train", "predict", "evaluate"):
        growth = peaks[f"{command} large"] - peaks[f"{command} small"]
        assert growth < 0.5 * CODES_BYTES, (command, peaks)
    predictions = (tmp_path / "large.csv").read_text().splitlines()
    assert len(predictions) == N_RECORDS + 1
