"""Parse one block of FASTA bytes: run the kernel, then apply the record rules.

After the compiled pass this module turns the kernel's fault report into an
error naming ``path:line`` and the record, builds ids and descriptions,
handles stops, empty records and ``U``/``T`` conversion, and counts every
transformation.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bioseq.alphabet import Alphabet
from bioseq.errors import FastaFormatError, SequenceError
from bioseq.io import _fasta_kernel as kernel
from bioseq.io._records import handle_aliases, handle_empty, handle_stops, lookup_tables
from bioseq.io.compression import NotUtf8Error
from bioseq.io.headers import parse_header_fields
from bioseq.sequences import SequenceSet

if TYPE_CHECKING:
    from bioseq.io.fasta import FastaOptions

logger = logging.getLogger(__name__)


@dataclass
class Block:
    """Records parsed from one block, before labels are encoded.

    ``fields`` contains header label and split text per record (``""`` when missing).
    """

    records: SequenceSet
    header_lines: np.ndarray
    fields: dict[str, list[str]]


class _KernelArrays:
    """Output arrays of the kernel for a block of ``size`` bytes and up to ``capacity`` records."""

    def __init__(self, size: int, capacity: int, keep_softmask: bool) -> None:
        self.codes = np.empty(size, dtype=np.uint8)
        self.softmask = np.empty(size if keep_softmask else 0, dtype=np.bool_)
        names = ("header_start", "header_end", "id_start", "id_end", "description_start",
                 "header_line", "record_start", "record_alias", "record_lines")
        for name in names:
            setattr(self, name, np.empty(capacity, dtype=np.int64))


def _not_utf8(path: Path, buf: np.ndarray, header_start: np.ndarray, header_end: np.ndarray,
              header_line: np.ndarray) -> NotUtf8Error:
    """Build the error for the first header, in file order, that is not valid UTF-8."""
    for start, end, line in zip(header_start.tolist(), header_end.tolist(), header_line.tolist(),
                                strict=True):
        raw = buf[start:end].tobytes()
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as error:
            # Columns count characters from the '>' that starts the header line.
            column = len(raw[: error.start].decode("utf-8", errors="replace")) + 2
            return NotUtf8Error(f"{path}:{line}: not UTF-8 (byte 0x{raw[error.start]:02x} at "
                                f"column {column}); re-save the file as UTF-8")
    return NotUtf8Error(f"{path}: a header is not UTF-8; re-save the file as UTF-8")


def parse_block(
    path: Path,
    data: bytes | memoryview,
    first_line: int,
    alphabet: Alphabet,
    opts: FastaOptions,
    transforms: Counter,
) -> tuple[Block, int]:
    """Parse complete records from ``data``; return them and the number of lines read.

    ``data`` may be a memoryview, so that the caller can pass part of a block without copying it.
    """
    buf = np.frombuffer(data, dtype=np.uint8)
    table, alias_mask = lookup_tables(alphabet)
    flags = kernel.byte_flags(table, alias_mask)
    fast = kernel.fast_codes(table, flags)
    # Guess room for one record per 16 bytes; a file of smaller records is counted exactly.
    # The unwritten tail of these arrays is never touched, so it adds no resident
    # memory (peak RSS of a streamed 1M-record file was the same with exact sizes),
    # while counting the headers first made read_fasta about 15% slower.
    capacity = len(data) // 16 + 1024
    while True:
        arrays = _KernelArrays(len(data), capacity, opts.keep_softmask)
        result = np.zeros(kernel.RESULT_SIZE, dtype=np.int64)
        kernel.scan_block(
            buf, table, fast, flags, opts.layout == "three-line", opts.comments,
            opts.blank_lines == "join", opts.keep_softmask, first_line, arrays.codes, arrays.softmask,
            arrays.header_start, arrays.header_end, arrays.id_start, arrays.id_end,
            arrays.description_start, arrays.header_line, arrays.record_start, arrays.record_alias,
            arrays.record_lines, result,
        )
        if result[kernel.R_ERROR] != kernel.E_CAPACITY:
            break
        capacity = int(np.count_nonzero(buf == 62)) + 1
    codes, softmask = arrays.codes, arrays.softmask
    header_start, header_end = arrays.header_start, arrays.header_end
    id_start, id_end = arrays.id_start, arrays.id_end
    description_start, header_line = arrays.description_start, arrays.header_line
    record_start, record_alias, record_lines = arrays.record_start, arrays.record_alias, arrays.record_lines
    n_records = int(result[kernel.R_RECORDS])
    n_codes = int(result[kernel.R_CODES])
    try:
        ids = kernel.gather_strings(buf, id_start[:n_records], id_end[:n_records])
        descriptions = kernel.gather_strings(buf, description_start[:n_records],
                                             header_end[:n_records])
    except UnicodeDecodeError:
        raise _not_utf8(path, buf, header_start[:n_records], header_end[:n_records],
                        header_line[:n_records]) from None
    if result[kernel.R_ERROR] != kernel.E_NONE:
        _raise_fault(path, buf, result, ids, header_line, alphabet)

    header_start = header_start[:n_records]
    header_end = header_end[:n_records]
    lines = header_line[:n_records].copy()
    offsets = np.empty(n_records + 1, dtype=np.int64)
    offsets[:-1] = record_start[:n_records]
    offsets[-1] = n_codes
    codes = codes[:n_codes]
    softmask_out = softmask[:n_codes] if opts.keep_softmask else None
    _count_lines(result, transforms, path, first_line)

    if opts.layout == "three-line":
        missing = np.flatnonzero(record_lines[:n_records] < 2)
        if missing.size:
            r = int(missing[0])
            raise FastaFormatError(
                f"{path}:{int(lines[r])}: record {ids[r]} has no annotation line; with "
                "layout='three-line' every record needs a sequence line and an annotation line"
            )
        transforms["annotation_lines_discarded"] += n_records

    if "" in ids:
        r = ids.index("")
        raise FastaFormatError(f"{path}:{int(lines[r])}: empty header; '>' must be followed by a record id")

    if opts.id_rule == "full-header":
        headers = kernel.gather_strings(buf, header_start, header_end)
        ids = [header.strip() for header in headers]
    fields: dict[str, list[str]] = {}
    if opts.header is not None:
        headers = kernel.gather_strings(buf, header_start, header_end)
        ids, fields = parse_header_fields(opts.header, headers, ids, lines.tolist(), str(path))

    records = SequenceSet(
        ids=np.array(ids, dtype=object), codes=codes, offsets=offsets, alphabet=alphabet,
        descriptions=np.array(descriptions, dtype=object), softmask=softmask_out,
        transforms=transforms, sources=[str(path)],
    )
    keep = np.ones(n_records, dtype=bool)
    if result[kernel.R_STOPS]:
        records, keep = handle_stops(path, records, lines, keep, opts.internal_stop)
    handle_aliases(path, records, lines, record_alias[:n_records], opts.u_policy)
    keep &= handle_empty(path, records, lines, opts.empty)
    if not keep.all():
        kept = np.flatnonzero(keep)
        records = records.subset(kept)
        lines = lines[kept]
        fields = {name: [values[i] for i in kept] for name, values in fields.items()}
    return Block(records, lines, fields), int(result[kernel.R_LINES])


def _count_lines(result: np.ndarray, transforms: Counter, path: Path, first_line: int) -> None:
    if result[kernel.R_LOWERCASE]:
        transforms["uppercased"] += int(result[kernel.R_LOWERCASE])
    if result[kernel.R_CRLF]:
        transforms["crlf_lines"] += int(result[kernel.R_CRLF])
    if result[kernel.R_COMMENTS]:
        transforms["comment_lines"] += int(result[kernel.R_COMMENTS])
    if result[kernel.R_BLANK_JOINED]:
        transforms["blank_lines_joined"] += int(result[kernel.R_BLANK_JOINED])
        logger.warning(
            "%s: joined the sequence lines around %d blank lines inside records",
            path.name, int(result[kernel.R_BLANK_JOINED]),
        )


def _raise_fault(
    path: Path, buf: np.ndarray, result: np.ndarray, ids: list[str], header_line: np.ndarray,
    alphabet: Alphabet,
) -> None:
    fault = int(result[kernel.R_ERROR])
    line = int(result[kernel.R_ERROR_LINE])
    record = int(result[kernel.R_ERROR_RECORD])
    name = ids[record] if 0 <= record < len(ids) else "?"
    if fault == kernel.E_DATA_BEFORE_HEADER:
        has_header = buf.shape[0] > 0 and (buf[0] == 62 or bytes(buf).find(b"\n>") >= 0)
        first = bytes(buf[: min(buf.shape[0], 200)]).lstrip(b"\r\n")
        if not has_header and first.startswith(b"@"):
            raise FastaFormatError(
                f"{path}: 0 FASTA records in {buf.shape[0]} bytes; line {line} starts with '@' "
                "(FASTQ?); bioseq reads FASTA, CSV/TSV and HDF5 stores"
            )
        if has_header:
            raise FastaFormatError(
                f"{path}:{line}: data before first '>' header; remove it, or pass comments=True "
                "(--fasta-comments) if these are '#' or ';' comment lines"
            )
        raise FastaFormatError(
            f"{path}:{line}: expected '>' header, found sequence data; the file has no FASTA headers"
        )
    if fault == kernel.E_LONE_CR:
        raise FastaFormatError(
            f"{path}:{line}: carriage return without a line feed (old Mac line endings); "
            "convert the line endings to LF, for example with: tr '\\r' '\\n'"
        )
    if fault == kernel.E_INVALID_CHARACTER:
        byte = int(result[kernel.R_ERROR_BYTE])
        character = chr(byte) if byte < 128 else f"\\x{byte:02x}"
        position = int(result[kernel.R_ERROR_POSITION])
        raise SequenceError(
            f"{path}:{line}: record {name}: invalid {alphabet.name} character {character!r} at "
            f"position {position}; allowed: {alphabet.symbols} (either case)"
            + ("" if alphabet.name != "protein" else " and a terminal '*'")
            + ". Check the alphabet option"
        )
    if fault == kernel.E_BLANK_IN_RECORD:
        raise FastaFormatError(
            f"{path}:{line}: blank line inside record {name}; remove it, or pass "
            "blank_lines='join' (--fasta-blank-lines join) to join the lines around it"
        )
    if fault == kernel.E_EXTRA_LINE:
        raise FastaFormatError(
            f"{path}:{line}: record {name} has more than two lines after its header; "
            "layout='three-line' expects one sequence line and one annotation line"
        )
    if fault == kernel.E_ANNOTATION_LENGTH:
        raise FastaFormatError(
            f"{path}:{line}: annotation of record {name} has {int(result[kernel.R_ERROR_POSITION])} "
            "characters, but its sequence line has a different length"
        )
    raise FastaFormatError(f"{path}:{line}: unreadable FASTA (fault {fault})")
