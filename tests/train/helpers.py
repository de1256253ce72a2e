"""Small labelled data sets that a model learns in a few epochs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bioseq.sequences import SequenceSet

MOTIF = "TATAAT"


def motif_sequences(n: int = 240, length: int = 40, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """Return random DNA where label 1 marks sequences that carry ``MOTIF``."""
    rng = np.random.default_rng(seed)
    sequences, labels = [], np.arange(n) % 2
    for label in labels:
        text = "".join(rng.choice(list("ACGC"), length))
        if label:
            start = int(rng.integers(0, length - len(MOTIF)))
            text = text[:start] + MOTIF + text[start + len(MOTIF):]
        sequences.append(text)
    return sequences, labels


def motif_set(n: int = 240, length: int = 40, seed: int = 0) -> SequenceSet:
    """Return :func:`motif_sequences` as a binary ``SequenceSet``."""
    sequences, labels = motif_sequences(n, length, seed)
    return SequenceSet.from_strings(sequences, labels=labels.astype(np.int64),
                                    class_names=["absent", "present"], task="binary")


def write_motif_csv(path: Path, n: int = 240, length: int = 40, seed: int = 0) -> Path:
    """Write :func:`motif_sequences` as ``id,sequence,label`` CSV."""
    sequences, labels = motif_sequences(n, length, seed)
    rows = ["id,sequence,label"]
    rows += [f"r{i},{s},{'present' if y else 'absent'}" for i, (s, y) in
             enumerate(zip(sequences, labels, strict=True))]
    path.write_text("\n".join(rows) + "\n")
    return path


def run_bioseq(arguments: list[str], *, timeout: float = 900, **kwargs: object):
    """Run the ``bioseq`` command in its own process group, killing the group on timeout.

    DDP runs start child processes; killing the whole group keeps a timed-out
    test from leaving them behind.
    """
    import os
    import signal
    import subprocess
    import sys

    command = [str(Path(sys.executable).parent / "bioseq"), *arguments]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True, **kwargs)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        raise AssertionError(f"bioseq {' '.join(arguments)} timed out after {timeout} s:\n{stderr}") from None
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
