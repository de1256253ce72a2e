"""Look at the first records of a FASTA file: alphabet guess and layout check.

Some files put three lines in each record: the header, the sequence and a
per-residue annotation of the same length (SignalP 6.0's training set does).
A reader that treats every non-header line as sequence would glue the
annotation to the sequence, so the standard layout rejects files that look
like this and suggests ``layout="three-line"``.
"""

from __future__ import annotations

#: Bytes of decompressed input that the layout check and the alphabet guess look at.
HEAD_BYTES = 1 << 18
#: Records needed before a file is called three-line.
MIN_RECORDS_FOR_LAYOUT = 3


def head_records(head: bytes) -> list[list[str]]:
    """Split the start of a file into complete records, each a list of its non-blank lines.

    The header line comes first in each list; the last, possibly cut, record
    is left out unless the head is the whole file.
    """
    text = head.decode("utf-8", errors="replace")
    complete = text if len(head) < HEAD_BYTES else text[: text.rfind("\n>") + 1]
    records: list[list[str]] = []
    for line in complete.splitlines():
        line = line.rstrip("\r")
        if line.startswith(">"):
            records.append([line])
        elif line and records:
            records[-1].append(line)
    return records


def looks_three_line(records: list[list[str]]) -> bool:
    """Tell whether records look like header, sequence and same-length annotation.

    True when at least :data:`MIN_RECORDS_FOR_LAYOUT` records all have
    exactly two lines of equal length, and either those lengths vary between
    records or most records use different letters on their two lines.
    Wrapped FASTA cannot have varying lengths here, because only a record of
    exactly two full lines has two lines of equal length.
    """
    if len(records) < MIN_RECORDS_FOR_LAYOUT:
        return False
    for record in records:
        if len(record) != 3 or len(record[1]) != len(record[2]):
            return False
    lengths = {len(record[1]) for record in records}
    if len(lengths) > 1:
        return True
    differing = sum(set(record[1].upper()) != set(record[2].upper()) for record in records)
    return differing * 2 > len(records)


def residue_sample(records: list[list[str]], three_line: bool, limit: int = 20000) -> str:
    """Join sequence lines of the first records (up to ``limit`` characters) for alphabet guessing."""
    parts: list[str] = []
    size = 0
    for record in records:
        lines = record[1:2] if three_line else record[1:]
        for line in lines:
            parts.append(line)
            size += len(line)
        if size >= limit:
            break
    return "".join(parts)[:limit]
