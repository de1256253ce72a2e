"""Simulate labelled DNA sequences with planted transcription-factor motifs.

The simulator draws a random background with a chosen GC content and plants
hand-written consensus motifs into it, so the label of every record is known
by construction. It serves the demo workflow, tests and benchmarks: the same
seed gives the same records, and any number of records streams to disk in
bounded memory.

Labelling, for ``m`` chosen motifs:

- ``binary``: class ``positive`` carries the first motif once, class
  ``negative`` carries none.
- ``multiclass``: class ``k`` carries motif ``k`` once (``m`` classes).
- ``multilabel``: each motif is present independently with probability 1/2;
  the label columns are the motif names.

The background is not scrubbed, so a motif can also occur by chance (about
``L / 4**k`` times per record for a motif of ``k`` bases at GC content 0.5).
This puts a small ceiling under the reachable accuracy, as in real data.

Examples
--------
>>> from bioseq.simulate import SimulationSpec, simulate_sequences
>>> spec = SimulationSpec(n_sequences=6, length=30, task="multiclass",
...                       motifs=("tata_box", "e_box", "gc_box"), seed=1)
>>> records = simulate_sequences(spec)
>>> len(records), records.class_names
(6, ['tata_box', 'e_box', 'gc_box'])
>>> sorted(records.labels.tolist())
[0, 0, 1, 1, 2, 2]
>>> "CACGTG" in records.sequence(int(records.labels.tolist().index(1)))
True
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Literal

import numpy as np

from bioseq._files import atomic_open, make_temporary, publish
from bioseq.alphabet import DNA
from bioseq.errors import ConfigError
from bioseq.sequences import SequenceSet

logger = logging.getLogger(__name__)

SimulationTask = Literal["binary", "multiclass", "multilabel"]
OutputFormat = Literal["fasta", "csv"]

#: Consensus motifs that the simulator can plant, written by hand from the
#: textbook consensus of each element.
MOTIFS: dict[str, str] = {
    # TATA box of core promoters.
    "tata_box": "TATAAA",
    # CCAAT box bound by NF-Y, with its usual flanks.
    "caat_box": "GGCCAATCT",
    # GC box bound by Sp1.
    "gc_box": "GGGCGG",
    # E-box bound by bHLH factors (palindromic).
    "e_box": "CACGTG",
    # 5' splice donor: exon end AG, then the GT-rich intron start GTAAGT.
    "splice_donor": "AGGTAAGT",
}

#: Records generated per internal block. Fixed, so the output of a seed does
#: not depend on how the caller chunks it.
BLOCK_SIZE = 4096

SPLIT_NAMES: tuple[str, ...] = ("train", "valid", "test")


@dataclass(frozen=True)
class SimulationSpec:
    """Parameters of one simulated data set.

    Parameters
    ----------
    n_sequences : int, default=3000
        Number of records.
    length : int, default=200
        Length of every sequence in bases.
    task : {"binary", "multiclass", "multilabel"}, default="binary"
        How motifs map to labels (see the module docstring).
    motifs : tuple of str, default=("tata_box", "gc_box", "e_box")
        Names from :data:`MOTIFS`. Binary uses only the first one.
    gc_content : float, default=0.5
        Probability that a background base is G or C.
    mutation_rate : float, default=0.0
        Probability that each planted motif base is replaced by another base,
        which makes the task harder.
    split_fractions : tuple of float or None, default=(0.8, 0.1, 0.1)
        Fractions of train, valid and test records; None for no split.
    seed : int, default=0
        Seed of the random generator; the same seed gives the same records.
    """

    n_sequences: int = 3000
    length: int = 200
    task: SimulationTask = "binary"
    motifs: tuple[str, ...] = ("tata_box", "gc_box", "e_box")
    gc_content: float = 0.5
    mutation_rate: float = 0.0
    split_fractions: tuple[float, ...] | None = (0.8, 0.1, 0.1)
    seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "motifs", tuple(self.motifs))
        if self.split_fractions is not None:
            object.__setattr__(self, "split_fractions", tuple(float(f) for f in self.split_fractions))
        self.validate()

    def validate(self) -> None:
        """Check every parameter and raise :class:`ConfigError` naming the first bad one."""
        if self.task not in ("binary", "multiclass", "multilabel"):
            raise ConfigError(
                f"invalid task {self.task!r}; choose binary, multiclass or multilabel"
            )
        if self.n_sequences < 1:
            raise ConfigError(f"n_sequences must be at least 1, got {self.n_sequences}")
        unknown = [name for name in self.motifs if name not in MOTIFS]
        if unknown:
            raise ConfigError(f"unknown motif {unknown[0]!r}; known motifs: {', '.join(MOTIFS)}")
        if not self.motifs:
            raise ConfigError("at least one motif is required")
        if len(set(self.motifs)) != len(self.motifs):
            raise ConfigError(f"motifs are repeated in {list(self.motifs)}; name each motif once")
        if self.task in ("multiclass", "multilabel") and len(self.motifs) < 2:
            raise ConfigError(f"a {self.task} task needs at least 2 motifs, got {list(self.motifs)}")
        needed = self.min_length()
        if self.length < needed:
            raise ConfigError(
                f"length {self.length} is too short to plant {self.task} motifs "
                f"{list(self.motifs)}; use a length of at least {needed}"
            )
        if not 0.0 <= self.gc_content <= 1.0:
            raise ConfigError(f"gc_content must be between 0 and 1, got {self.gc_content}")
        if not 0.0 <= self.mutation_rate <= 1.0:
            raise ConfigError(f"mutation_rate must be between 0 and 1, got {self.mutation_rate}")
        if self.split_fractions is not None:
            fractions = self.split_fractions
            if len(fractions) != 3 or any(f < 0 for f in fractions):
                raise ConfigError(
                    f"split fractions must be 3 non-negative numbers (train, valid, test), "
                    f"got {list(fractions)}"
                )
            if abs(sum(fractions) - 1.0) > 1e-6:
                raise ConfigError(f"split fractions must sum to 1, got {list(fractions)}")

    def min_length(self) -> int:
        """Return the shortest sequence length that fits the planted motifs."""
        widths = [len(MOTIFS[name]) for name in self.motifs if name in MOTIFS]
        if not widths:
            return 1
        if self.task == "multilabel":
            # Each motif gets its own slot, so the slots never overlap.
            return len(widths) * max(widths)
        return max(widths)

    @property
    def class_names(self) -> list[str]:
        """Class names (binary, multiclass) or label column names (multilabel)."""
        if self.task == "binary":
            return ["negative", "positive"]
        return list(self.motifs)

    def to_dict(self) -> dict[str, object]:
        """Return the parameters as a JSON-ready dict."""
        values = asdict(self)
        values["motifs"] = list(self.motifs)
        values["motif_sequences"] = {name: MOTIFS[name] for name in self.motifs}
        values["split_fractions"] = (
            None if self.split_fractions is None else list(self.split_fractions)
        )
        return values


@dataclass
class SimulatedBlock:
    """One block of simulated records, before they become a :class:`SequenceSet`.

    Parameters
    ----------
    start : int
        Index of the first record in the whole data set.
    codes : numpy.ndarray of shape (n, L), dtype uint8
        DNA codes (``DNA.symbols``).
    labels : numpy.ndarray
        ``(n,)`` int64 class index, or ``(n, m)`` float32 0/1 for multilabel.
    positions : numpy.ndarray of shape (n, m), dtype int64
        Start of each planted motif, -1 where the motif was not planted.
    splits : numpy.ndarray of shape (n,), dtype object, or None
        Split name of each record.
    """

    start: int
    codes: np.ndarray
    labels: np.ndarray
    positions: np.ndarray
    splits: np.ndarray | None


def _exact_counts(n: int, fractions: tuple[float, ...]) -> np.ndarray:
    # Largest-remainder rounding, so the counts add up to n exactly.
    raw = np.asarray(fractions) * n
    counts = np.floor(raw).astype(np.int64)
    remainder = n - counts.sum()
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[:remainder]] += 1
    return counts


def _simulate_block(spec: SimulationSpec, block_index: int) -> SimulatedBlock:
    start = block_index * BLOCK_SIZE
    n = min(BLOCK_SIZE, spec.n_sequences - start)
    rng = np.random.default_rng([spec.seed, block_index])
    n_motifs = len(spec.motifs)

    # Background: A, C, G, T are codes 0-3 of the DNA alphabet.
    gc = spec.gc_content
    probabilities = [(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2]
    codes = rng.choice(4, size=(n, spec.length), p=probabilities).astype(np.uint8)

    # Which motifs each record carries, as an (n, m) boolean matrix.
    if spec.task == "multilabel":
        present = rng.random((n, n_motifs)) < 0.5
        labels = present.astype(np.float32)
    else:
        n_classes = 2 if spec.task == "binary" else n_motifs
        # Balanced classes within each block, in random order.
        classes = rng.permutation(np.arange(n) % n_classes).astype(np.int64)
        labels = classes
        present = np.zeros((n, n_motifs), dtype=bool)
        if spec.task == "binary":
            present[:, 0] = classes == 1
        else:
            present[np.arange(n), classes] = True

    positions = np.full((n, n_motifs), -1, dtype=np.int64)
    slot = spec.length // n_motifs
    if spec.task == "multilabel":
        # Each record shuffles the slots, so a motif has no fixed region and
        # two motifs never overlap.
        slot_order = np.argsort(rng.random((n, n_motifs)), axis=1)
    for j, name in enumerate(spec.motifs):
        motif = DNA.encode(MOTIFS[name])
        width = len(motif)
        rows = np.flatnonzero(present[:, j])
        if rows.size == 0:
            continue
        if spec.task == "multilabel":
            slot_of = slot_order[rows, j]
            offsets = rng.integers(0, slot - width + 1, size=rows.size)
            starts = slot_of * slot + offsets
        else:
            starts = rng.integers(0, spec.length - width + 1, size=rows.size)
        planted = np.broadcast_to(motif, (rows.size, width)).copy()
        if spec.mutation_rate > 0:
            mutate = rng.random(planted.shape) < spec.mutation_rate
            # Adding 1-3 modulo 4 always picks a different base.
            shift = rng.integers(1, 4, size=planted.shape).astype(np.uint8)
            planted = np.where(mutate, (planted + shift) % 4, planted).astype(np.uint8)
        columns = starts[:, None] + np.arange(width)
        codes[rows[:, None], columns] = planted
        positions[rows, j] = starts

    splits = None
    if spec.split_fractions is not None:
        counts = _exact_counts(n, spec.split_fractions)
        names = np.repeat(np.array(SPLIT_NAMES, dtype=object), counts)
        splits = names[rng.permutation(n)]
    return SimulatedBlock(start, codes, labels, positions, splits)


def _record_ids(start: int, n: int, total: int) -> np.ndarray:
    width = len(str(total - 1))
    return np.array([f"sim{i:0{width}d}" for i in range(start, start + n)], dtype=object)


def _to_sequence_set(spec: SimulationSpec, block: SimulatedBlock) -> SequenceSet:
    n, length = block.codes.shape
    offsets = np.arange(n + 1, dtype=np.int64) * length
    return SequenceSet(
        ids=_record_ids(block.start, n, spec.n_sequences),
        codes=block.codes.reshape(-1),
        offsets=offsets,
        alphabet=DNA,
        labels=block.labels,
        class_names=spec.class_names,
        task=spec.task,
        splits=block.splits,
        sources=[f"bioseq simulate (seed {spec.seed})"],
    )


def iter_simulated(spec: SimulationSpec) -> Iterator[SequenceSet]:
    """Generate the records of ``spec`` block by block.

    Parameters
    ----------
    spec : SimulationSpec
        What to simulate.

    Yields
    ------
    SequenceSet
        Up to :data:`BLOCK_SIZE` records each, in id order, with labels,
        class names and splits set.
    """
    n_blocks = -(-spec.n_sequences // BLOCK_SIZE)
    for block_index in range(n_blocks):
        yield _to_sequence_set(spec, _simulate_block(spec, block_index))


def simulate_sequences(spec: SimulationSpec) -> SequenceSet:
    """Generate all records of ``spec`` in memory.

    Parameters
    ----------
    spec : SimulationSpec
        What to simulate.

    Returns
    -------
    SequenceSet
        ``spec.n_sequences`` DNA records of length ``spec.length``.
    """
    blocks = [_simulate_block(spec, i) for i in range(-(-spec.n_sequences // BLOCK_SIZE))]
    merged = SimulatedBlock(
        start=0,
        codes=np.concatenate([b.codes for b in blocks]),
        labels=np.concatenate([b.labels for b in blocks]),
        positions=np.concatenate([b.positions for b in blocks]),
        splits=None if spec.split_fractions is None else np.concatenate([b.splits for b in blocks]),
    )
    return _to_sequence_set(spec, merged)


def _annotation(spec: SimulationSpec, positions: np.ndarray) -> list[str]:
    # "tata_box@37;e_box@120": planted motif and its 0-based start, "" if none.
    result = []
    for row in positions:
        parts = [f"{name}@{start}" for name, start in zip(spec.motifs, row, strict=True) if start >= 0]
        result.append(";".join(parts))
    return result


def _label_text(spec: SimulationSpec, labels: np.ndarray) -> list[str]:
    names = spec.class_names
    if spec.task == "multilabel":
        return [",".join(n for n, v in zip(names, row, strict=True) if v) for row in labels]
    return [names[int(i)] for i in labels]


def _write_block(
    spec: SimulationSpec, block: SimulatedBlock, handle: IO[str], output_format: OutputFormat,
    rows: np.ndarray,
) -> None:
    letters = np.frombuffer(DNA.letters.encode("ascii"), dtype=np.uint8)
    text = letters[block.codes[rows]]
    ids = _record_ids(block.start, len(block.codes), spec.n_sequences)[rows]
    annotations = _annotation(spec, block.positions[rows])
    labels = block.labels[rows]
    if block.splits is None:
        split_text = [""] * len(rows)
    elif output_format == "fasta":
        split_text = [f" split={name}" for name in block.splits[rows]]
    else:
        split_text = [f",{name}" for name in block.splits[rows]]
    lines = []
    if output_format == "fasta":
        label_text = _label_text(spec, labels)
        for i in range(len(rows)):
            header = f">{ids[i]} label={label_text[i] or 'none'}{split_text[i]} motifs={annotations[i] or 'none'}"
            lines.append(f"{header}\n{text[i].tobytes().decode('ascii')}\n")
    else:
        for i in range(len(rows)):
            if spec.task == "multilabel":
                label_fields = ",".join(str(int(v)) for v in labels[i])
            else:
                label_fields = spec.class_names[int(labels[i])]
            lines.append(
                f"{ids[i]},{text[i].tobytes().decode('ascii')},{label_fields}{split_text[i]},"
                f"{annotations[i]}\n"
            )
    handle.write("".join(lines))


def _csv_header(spec: SimulationSpec) -> str:
    label_columns = ",".join(spec.motifs) if spec.task == "multilabel" else "label"
    split_column = "" if spec.split_fractions is None else ",split"
    return f"id,sequence,{label_columns}{split_column},motifs\n"


def output_paths(out_dir: Path, spec: SimulationSpec, output_format: OutputFormat) -> dict[str, Path]:
    """Return the file that each split goes to (``"all"`` when there is no split)."""
    suffix = ".fasta" if output_format == "fasta" else ".csv"
    if spec.split_fractions is None:
        return {"all": out_dir / f"sequences{suffix}"}
    return {name: out_dir / f"{name}{suffix}" for name in SPLIT_NAMES}


def write_simulated(
    spec: SimulationSpec, out_dir: str | os.PathLike[str], output_format: OutputFormat = "csv",
) -> dict[str, object]:
    """Simulate ``spec`` and write it to ``out_dir``, one file per split.

    Records stream to temporary files block by block. Every file is renamed
    into place only after all of them are complete, so an interrupted run
    leaves no partially written file. ``simulation.json`` beside the data
    records the parameters and the counts.

    Parameters
    ----------
    spec : SimulationSpec
        What to simulate.
    out_dir : path
        Folder to write; created if missing.
    output_format : {"csv", "fasta"}, default="csv"
        CSV has the columns ``id, sequence, label, split, motifs``
        (multilabel: one 0/1 column per motif instead of ``label``; no
        ``split`` without split fractions). FASTA headers read
        ``>ID label=CLASS split=SPLIT motifs=NAME@START``, where multilabel
        labels are comma-separated motif names and ``none`` stands for no
        motif. ``motifs`` lists each planted motif with its 0-based start.

    Returns
    -------
    dict
        The summary written to ``simulation.json``: parameters, files and
        counts per split and class.

    Raises
    ------
    ConfigError
        If ``output_format`` is not csv or fasta.
    """
    if output_format not in ("csv", "fasta"):
        raise ConfigError(f"invalid output format {output_format!r}; choose csv or fasta")
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    targets = output_paths(folder, spec, output_format)
    temporaries: dict[str, Path] = {}
    handles: dict[str, IO[str]] = {}
    counts: dict[str, Counter] = {name: Counter() for name in targets}
    try:
        for name, target in targets.items():
            descriptor, temporaries[name] = make_temporary(target)
            handles[name] = os.fdopen(descriptor, "w", encoding="ascii", newline="")
            if output_format == "csv":
                handles[name].write(_csv_header(spec))

        for block_index in range(-(-spec.n_sequences // BLOCK_SIZE)):
            block = _simulate_block(spec, block_index)
            label_text = _label_text(spec, block.labels)
            for name in targets:
                if block.splits is None:
                    rows = np.arange(len(block.codes))
                else:
                    rows = np.flatnonzero(block.splits == name)
                _write_block(spec, block, handles[name], output_format, rows)
                counts[name].update(label_text[i] or "none" for i in rows)

        for handle in handles.values():
            handle.close()
        for name, target in targets.items():
            publish(temporaries[name], target)
    except BaseException:
        for handle in handles.values():
            handle.close()
        for temporary in temporaries.values():
            temporary.unlink(missing_ok=True)
        raise

    summary: dict[str, object] = {
        "parameters": spec.to_dict(),
        "format": output_format,
        "files": {name: target.name for name, target in targets.items()},
        "counts": {name: dict(sorted(counter.items())) for name, counter in counts.items()},
    }
    _write_json_atomically(folder / "simulation.json", summary)
    for name, target in targets.items():
        logger.info("wrote %d records to %s", sum(counts[name].values()), target)
    return summary


def _write_json_atomically(path: Path, payload: dict[str, object]) -> None:
    with atomic_open(path, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=2)
        handle.write("\n")
