"""Windows cut from reference sequences by a BED file.

BED coordinates are 0-based and half-open: ``chrT 6 14`` is residues 7 to
14 in 1-based terms, eight residues. Lines that are blank or start with
``#``, ``track`` or ``browser`` are skipped. Columns after the third are
optional: a name (column 4, kept as the record description) and a strand
(column 6); a ``-`` strand gives the reverse complement.

An interval that runs past the end of its chromosome follows ``past_end``:

- ``"error"`` (default): :class:`~bioseq.errors.SequenceError` naming the
  BED line, the interval and the chromosome length;
- ``"drop"``: the interval is left out, counted as ``intervals_dropped``
  and logged;
- ``"pad"``: the missing positions are filled with ``N`` (the alphabet's
  unknown symbol), counted as ``intervals_padded`` and
  ``interval_pad_residues``, and the record ids are listed in
  ``flagged["padded_past_end"]``.

Every extracted record therefore has exactly ``end - start`` residues.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from bioseq.errors import FormatError, SequenceError
from bioseq.sequences import SequenceSet

logger = logging.getLogger(__name__)

PastEndPolicy = Literal["error", "drop", "pad"]
PAST_END_POLICIES: tuple[str, ...] = ("error", "drop", "pad")
_SKIPPED_PREFIXES = ("#", "track", "browser")


class BedFormatError(FormatError):
    """Malformed BED file; the message names ``path:line``."""


@dataclass(frozen=True)
class Interval:
    """One BED interval: 0-based, half-open, with its source line number."""

    chrom: str
    start: int
    end: int
    name: str = ""
    strand: str = "."
    line: int = 0

    @property
    def label(self) -> str:
        """Coordinates as ``chrom:start-end``, with ``(-)`` for the minus strand."""
        suffix = "(-)" if self.strand == "-" else ""
        return f"{self.chrom}:{self.start}-{self.end}{suffix}"


def read_bed(path: str | Path) -> list[Interval]:
    """Read the intervals of a BED file.

    Raises
    ------
    BedFormatError
        For a line with fewer than three columns, a coordinate that is not a
        non-negative integer, an end not after the start, or an invalid
        strand; the message names ``path:line``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "x.bed"
    >>> _ = path.write_text("track name=x\\nchrT\\t2\\t5\\tsite\\t0\\t-\\n")
    >>> read_bed(path)[0].label
    'chrT:2-5(-)'
    """
    intervals = []
    with open(path, encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            text = raw.rstrip("\r\n")
            if not text.strip() or text.startswith(_SKIPPED_PREFIXES):
                continue
            fields = text.split("\t") if "\t" in text else text.split()
            where = f"{path}:{number}"
            if len(fields) < 3:
                raise BedFormatError(
                    f"{where}: expected at least 3 columns (chrom, start, end), got "
                    f"{len(fields)} in {text!r}"
                )
            try:
                start, end = int(fields[1]), int(fields[2])
            except ValueError:
                raise BedFormatError(
                    f"{where}: start and end must be integers, got {fields[1]!r} and {fields[2]!r}"
                ) from None
            if start < 0 or end <= start:
                raise BedFormatError(
                    f"{where}: invalid interval {fields[0]}:{start}-{end}; BED needs "
                    "0 <= start < end (0-based, end exclusive)"
                )
            strand = fields[5] if len(fields) > 5 else "."
            if strand not in ("+", "-", "."):
                raise BedFormatError(f"{where}: invalid strand {strand!r}; expected '+', '-' or '.'")
            name = fields[3] if len(fields) > 3 and fields[3] != "." else ""
            intervals.append(Interval(fields[0], start, end, name, strand, number))
    return intervals


def extract_intervals(
    genome: SequenceSet,
    bed: str | Path | list[Interval],
    *,
    past_end: PastEndPolicy = "error",
    transforms: Counter | None = None,
) -> SequenceSet:
    """Cut one record per BED interval out of reference sequences.

    Parameters
    ----------
    genome : SequenceSet
        Reference sequences (chromosomes), looked up by id.
    bed : str, pathlib.Path or list of Interval
        BED file or intervals from :func:`read_bed`.
    past_end : {"error", "drop", "pad"}, default="error"
        What an interval running past its chromosome's end does (see the
        module notes).
    transforms : collections.Counter or None, default=None
        Also receives the counts, besides the returned set's ``transforms``.

    Returns
    -------
    SequenceSet
        Ids ``chrom:start-end`` (``(-)`` appended on the minus strand), BED
        names as descriptions, the genome's alphabet.

    Raises
    ------
    SequenceError
        For a chromosome that is not in ``genome``, or an interval past the
        end with ``past_end="error"``; the message names the BED line.

    Examples
    --------
    >>> genome = SequenceSet.from_strings(["ACGTACGTAC"], ids=["chrT"])
    >>> windows = extract_intervals(genome, [Interval("chrT", 6, 14, line=1)], past_end="pad")
    >>> windows.sequence(0), windows.transforms["interval_pad_residues"]
    ('GTACNNNN', 4)
    """
    if past_end not in PAST_END_POLICIES:
        raise ValueError(
            f"invalid past_end policy {past_end!r}; expected one of {list(PAST_END_POLICIES)}"
        )
    source = str(bed) if not isinstance(bed, list) else "intervals"
    intervals = read_bed(bed) if not isinstance(bed, list) else bed
    index_of = {str(name): i for i, name in enumerate(genome.ids)}
    alphabet = genome.alphabet
    complement = alphabet.complement_codes() if alphabet.is_nucleic else None
    counts: Counter = Counter()
    pieces, ids, names, padded_ids = [], [], [], []

    for interval in intervals:
        where = f"{source}:{interval.line}"
        if interval.chrom not in index_of:
            known = ", ".join(repr(str(name)) for name in genome.ids[:5])
            raise SequenceError(
                f"{where}: chromosome {interval.chrom!r} of interval {interval.label} is not "
                f"in the sequences (first ids: {known}); check the FASTA and BED names"
            )
        chrom = genome.codes_of(index_of[interval.chrom])
        missing = interval.end - len(chrom)
        if missing > 0:
            if past_end == "error":
                raise SequenceError(
                    f"{where}: interval {interval.chrom}:{interval.start}-{interval.end} runs "
                    f"past the end of {interval.chrom} (length {len(chrom)}); pass "
                    "past_end='drop' or 'pad' (CLI --past-end) to drop it or pad it with N"
                )
            if past_end == "drop":
                counts["intervals_dropped"] += 1
                continue
            counts["intervals_padded"] += 1
            counts["interval_pad_residues"] += min(missing, interval.end - interval.start)
            padded_ids.append(interval.label)
        piece = np.full(interval.end - interval.start, alphabet.unknown_code, dtype=np.uint8)
        present = chrom[interval.start : interval.end]
        piece[: len(present)] = present
        if interval.strand == "-":
            if complement is None:
                raise SequenceError(
                    f"{where}: minus-strand interval {interval.label} on a protein sequence; "
                    "reverse complement applies to DNA and RNA only"
                )
            piece = complement[piece[::-1]]
        pieces.append(piece)
        ids.append(interval.label)
        names.append(interval.name)

    if counts["intervals_dropped"]:
        logger.warning("dropped %d interval(s) that run past the chromosome end",
                       counts["intervals_dropped"])
    if counts["intervals_padded"]:
        logger.warning("padded %d interval(s) past the chromosome end with %d N",
                       counts["intervals_padded"], counts["interval_pad_residues"])
    logger.info("extracted %d interval(s) from %d sequence(s)", len(pieces), len(genome))
    if transforms is not None:
        transforms.update(counts)

    offsets = np.zeros(len(pieces) + 1, dtype=np.int64)
    np.cumsum([len(piece) for piece in pieces], out=offsets[1:])
    codes = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.uint8)
    result = SequenceSet(
        ids=np.asarray(ids, dtype=object),
        codes=codes,
        offsets=offsets,
        alphabet=alphabet,
        transforms=Counter(genome.transforms) + counts,
        sources=[*genome.sources, source],
        descriptions=np.asarray(names, dtype=object),
    )
    if padded_ids:
        result.flagged["padded_past_end"] = padded_ids
    return result
