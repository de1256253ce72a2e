"""Read CSV and TSV tables of sequences into :class:`~bioseq.sequences.SequenceSet` objects.

Rules:

- Every cell is read as text. ``NA``, ``N/A``, ``nan`` and the like stay
  literal strings (``NA`` is a valid dinucleotide); only an empty cell is
  missing, and a missing sequence or label is reported with its line.
- Surrounding whitespace of every cell is stripped, and a space after the
  delimiter does not stop a quoted field from being quoted:
  ``x1, "ACGT",1`` reads ``ACGT``. Whitespace inside a sequence is an
  invalid character, so ``"ACGT ACGT"`` and ``"AC,GT"`` are errors with the
  line number.
- A row with more or fewer fields than the header is an error
  (``x.csv:3: row 3 has 4 fields, header has 3``), so labels never shift columns.
- A UTF-8 byte order mark before the header is removed. If a column is
  missing, the error lists the columns seen with non-printing characters escaped.
- The separator comes from the extension (``.csv`` comma, ``.tsv``/``.tab``
  tab, after removing ``.gz``) or, for other names, from the header line
  (tab, comma or semicolon, in that order).
- Line numbers in messages are 1-based file lines; the header is line 1.
- Columns are found by name (case-insensitive) unless given: the sequence in
  ``sequence``, ``seq``, ``sequences`` or ``text``; the label in ``label``,
  ``class``, ``y`` or ``target``; the id in ``id``, ``name``, ``seq_id`` or
  ``sequence_id``; the split in ``split``. Without an id column the id is
  ``FILE:LINE`` with the file name as FILE (see ``id_prefix``).
- Text that is not UTF-8 is an error naming the line, the byte and its
  column (``x.csv:3: not UTF-8 (byte 0xe9 at column 4)``).

The rows are split into fields with Python's :mod:`csv` module rather than
pandas, because pandas' parser pads short rows and drops surplus fields of the
first row without an error.
"""

from __future__ import annotations

import csv
import logging
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from bioseq.alphabet import Alphabet, get_alphabet, guess_alphabet
from bioseq.errors import ConfigError, TableFormatError
from bioseq.io._records import (
    duplicate_keep,
    encode_strings,
    handle_aliases,
    handle_empty,
    handle_stops,
)
from bioseq.io.compression import TruncatedInputError, not_utf8_error, open_text
from bioseq.io.labels import RawLabels, encode_labels
from bioseq.io.splits import normalize_split
from bioseq.sequences import SequenceSet

logger = logging.getLogger(__name__)

SEQUENCE_COLUMNS = ("sequence", "seq", "sequences", "text")
LABEL_COLUMNS = ("label", "class", "y", "target")
ID_COLUMNS = ("id", "name", "seq_id", "sequence_id")
SPLIT_COLUMNS = ("split",)
#: Residues sampled from the first rows to guess the alphabet.
GUESS_SAMPLE = 20000


def table_separator(path: str | Path, header_line: str) -> str:
    """Choose the separator from the file name, or else from the header line.

    Examples
    --------
    >>> table_separator("x.tsv.gz", "a,b")
    '\\t'
    >>> table_separator("x.txt", "id;seq")
    ';'
    """
    name = Path(path).name.lower()
    for suffix in (".gz", ".bgz"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    if name.endswith(".csv"):
        return ","
    if name.endswith((".tsv", ".tab")):
        return "\t"
    for candidate in ("\t", ",", ";"):
        if candidate in header_line:
            return candidate
    return ","


def _escaped(names: Sequence[str]) -> str:
    # ascii() shows an invisible BOM or zero-width space as \ufeff or \u200b.
    return "[" + ", ".join(ascii(name) for name in names) + "]"


def _separator_hint(header: list[str]) -> str:
    """Suggest another separator when the header was read as one column that contains one."""
    if len(header) != 1:
        return ""
    if "\t" in header[0]:
        return ("; the header is one column that contains a tab, so the file is probably "
                "tab-separated: pass sep='\\t' (--sep $'\\t' in bash)")
    for candidate in (";", "|", ","):
        if candidate in header[0]:
            return (f"; the header is one column that contains '{candidate}', so the file is "
                    f"probably '{candidate}'-separated: pass sep='{candidate}' (--sep '{candidate}')")
    return ""


def _find_column(
    header: list[str], given: str | None, candidates: tuple[str, ...], role: str, path: str,
    required: bool,
) -> int | None:
    lowered = [name.lower() for name in header]
    if given is not None:
        if given in header:
            return header.index(given)
        if given.lower() in lowered and lowered.count(given.lower()) == 1:
            return lowered.index(given.lower())
        raise TableFormatError(
            f"{path}: {role} column {given!r} not found; columns seen: {_escaped(header)}"
            f"{_separator_hint(header)}"
        )
    matches = [i for i, name in enumerate(lowered) if name in candidates]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise TableFormatError(
            f"{path}: several columns could be the {role} column: "
            f"{_escaped([header[i] for i in matches])}; name one with the {role} column option"
        )
    if required:
        raise TableFormatError(
            f"{path}: no {role} column found; columns seen: {_escaped(header)}; name it with the "
            f"{role} column option (default names: {', '.join(candidates)})"
            f"{_separator_hint(header)}"
        )
    return None


def _read_rows(path: Path, sep: str | None) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line, fields)`` for the header and every non-blank row, fields stripped."""
    previous_end = 0
    try:
        with open_text(path) as stream:
            first = stream.readline()
            delimiter = sep or table_separator(path, first)
            reader = csv.reader(_chain_first(first, stream), delimiter=delimiter,
                                skipinitialspace=True, strict=True)
            for row in reader:
                line = previous_end + 1
                previous_end = reader.line_num
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                yield line, [field.strip() for field in row]
    except csv.Error as error:
        raise TableFormatError(
            f"{path}:{previous_end + 1}: malformed row ({error}); check the quotes on this line"
        ) from None
    except UnicodeDecodeError:
        located = not_utf8_error(path)
        if located is None:  # pragma: no cover - the decoder and the rescan agree on valid UTF-8
            raise
        raise located from None
    except (EOFError, zlib.error) as error:
        raise TruncatedInputError(
            f"{path}: compressed data ended early (unexpected end of stream or CRC mismatch) "
            f"after {previous_end} lines; the file is truncated or corrupt, download or copy it again"
        ) from error


def _chain_first(first: str, stream: Iterator[str]) -> Iterator[str]:
    if first:
        yield first
    yield from stream


def read_table(
    path: str | Path,
    *,
    sequence_column: str | None = None,
    id_column: str | None = None,
    label_columns: Sequence[str] | str | None = None,
    split_column: str | None = None,
    sep: str | None = None,
    alphabet: str | Alphabet = "auto",
    labels: bool = True,
    classes: Sequence[object] | int | str | None = None,
    task: str | None = None,
    positive_class: str | None = None,
    missing_labels: Literal["error", "drop"] = "error",
    duplicates: Literal["error", "first", "last", "rename"] = "error",
    empty: Literal["error", "drop"] = "error",
    u_policy: Literal["convert", "error"] = "convert",
    internal_stop: Literal["error", "drop"] = "error",
    keep_softmask: bool = False,
    id_prefix: str | None = None,
) -> SequenceSet:
    """Read a CSV or TSV table (plain or gzip) into a sequence set.

    Parameters
    ----------
    path : str or pathlib.Path
        Table file; gzip is detected from the magic bytes.
    sequence_column, id_column, split_column : str or None, default=None
        Column names; None finds them by the default names listed above.
    label_columns : str, list of str or None, default=None
        One label column, or several for multilabel (0/1) or multi-target
        regression; None finds one column by name, if any.
    sep : str or None, default=None
        Field separator; None chooses it as described above.
    alphabet : {"auto", "dna", "rna", "protein"} or Alphabet, default="auto"
    labels : bool, default=True
        Read labels; False ignores label columns (for prediction).
    classes, task, positive_class, missing_labels
        See :func:`bioseq.io.labels.encode_labels`.
    duplicates, empty, u_policy, internal_stop, keep_softmask
        As in :func:`bioseq.io.fasta.read_fasta`; ``empty`` handles an empty
        sequence cell.
    id_prefix : str or None, default=None
        FILE part of the automatic ids ``FILE:LINE`` of a table without an id
        column; None uses the file name. :func:`bioseq.io.load.load_sequences`
        passes a longer path when two sources share a file name.

    Returns
    -------
    SequenceSet

    Raises
    ------
    TableFormatError
        For a missing column, a row with the wrong number of fields, a
        missing sequence or a repeated id.
    SequenceError
        For an invalid residue (file, line, record, 1-based position, character).
    LabelError
        For a missing or unknown label.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = path.write_text("id,sequence,label\\np1,NA,1\\np2,acgt,0\\n")
    >>> records = read_table(path, alphabet="dna")
    >>> records.sequence(0), records.sequence(1), records.labels.tolist(), records.class_names
    ('NA', 'ACGT', [1, 0], ['0', '1'])
    """
    path = Path(path)
    name = path.name
    rows = _read_rows(path, sep)
    try:
        header_line, header = next(rows)
    except StopIteration:
        raise TableFormatError(f"{path}: empty table; expected a header line and rows") from None
    sequence_index = _find_column(header, sequence_column, SEQUENCE_COLUMNS, "sequence", str(path), True)
    id_index = _find_column(header, id_column, ID_COLUMNS, "id", str(path), False)
    split_index = _find_column(header, split_column, SPLIT_COLUMNS, "split", str(path), False)
    label_indices = _label_indices(header, label_columns, str(path)) if labels else []

    width = len(header)
    lines: list[int] = []
    table: list[list[str]] = []
    for line, fields in rows:
        if len(fields) != width:
            raise TableFormatError(
                f"{path}:{line}: row {line} has {len(fields)} fields, header has {width}; "
                "quote fields that contain the separator"
            )
        lines.append(line)
        table.append(fields)
    if not table:
        raise TableFormatError(f"{path}: 0 rows after the header; expected sequences")
    line_array = np.array(lines, dtype=np.int64)
    sequences = [fields[sequence_index] for fields in table]
    if id_index is not None:
        ids = [fields[id_index] for fields in table]
        blank = [i for i, value in enumerate(ids) if not value]
        if blank:
            raise TableFormatError(f"{path}:{lines[blank[0]]}: missing id in column {header[id_index]!r}")
    else:
        prefix = name if id_prefix is None else id_prefix
        ids = [f"{prefix}:{line}" for line in lines]

    alpha = _choose_alphabet(alphabet, sequences, name)
    records, alias_counts = encode_strings(
        sequences, alpha, lambda i: f"{path}:{lines[i]}", ids, keep_softmask)
    records.sources = [str(path)]
    keep = np.ones(len(records), dtype=bool)
    if (records.codes == 253).any():
        records, keep = handle_stops(path, records, line_array, keep, internal_stop)
    handle_aliases(path, records, line_array, alias_counts, u_policy)
    keep &= handle_empty(path, records, line_array, empty, TableFormatError)

    def describe(first: int, repeat: int) -> str:
        return (
            f"{path}:{lines[repeat]}: duplicate id {ids[repeat]!r} on lines {lines[first]} and "
            f"{lines[repeat]}; make the ids unique or pass duplicates='first', 'last' or 'rename' (--duplicates)"
        )

    duplicate_rows, new_ids = duplicate_keep(
        records.ids, duplicates, str(path), describe, records.transforms, TableFormatError)
    records.ids = new_ids
    if duplicate_rows is not None:
        mask = np.zeros(len(records), dtype=bool)
        mask[duplicate_rows] = True
        keep &= mask
    if not keep.all():
        kept = np.flatnonzero(keep)
        records = records.subset(kept)
        table = [table[i] for i in kept]
        line_array = line_array[kept]
    if split_index is not None:
        records.splits = np.array([normalize_split(fields[split_index]) for fields in table], dtype=object)
    if label_indices and table:
        values = np.array([[fields[i] for i in label_indices] for fields in table], dtype=object)
        raw = RawLabels(
            values=values[:, 0] if len(label_indices) == 1 else values,
            lines=line_array,
            sources=np.full(len(table), name, dtype=object),
            columns=[header[i] for i in label_indices],
        )
        encoded, names, task_name, label_keep = encode_labels(
            raw, task=task, classes=classes, positive_class=positive_class, missing=missing_labels)
        if not label_keep.all():
            records = records.subset(np.flatnonzero(label_keep))
            records.transforms["missing_label_dropped"] += int((~label_keep).sum())
        records.labels = encoded
        records.class_names = names
        records.task = task_name  # type: ignore[assignment]
    if len(records) == 0:
        raise TableFormatError(f"{path}: no records left after dropping empty or unlabelled rows")
    counts = ", ".join(f"{key}={value}" for key, value in sorted(records.transforms.items()))
    logger.info("%s: read %d records (%s)%s", name, len(records), alpha.name,
                f"; transformations: {counts}" if counts else "")
    return records


def _label_indices(header: list[str], label_columns: Sequence[str] | str | None, path: str) -> list[int]:
    if label_columns is None:
        found = _find_column(header, None, LABEL_COLUMNS, "label", path, False)
        return [] if found is None else [found]
    names = [label_columns] if isinstance(label_columns, str) else list(label_columns)
    if not names:
        raise ConfigError("label_columns is empty; name at least one column or pass None")
    return [
        _find_column(header, column, LABEL_COLUMNS, "label", path, True)  # type: ignore[misc]
        for column in names
    ]


def _choose_alphabet(alphabet: str | Alphabet, sequences: list[str], name: str) -> Alphabet:
    if alphabet != "auto":
        return get_alphabet(alphabet)
    sample: list[str] = []
    size = 0
    for text in sequences:
        sample.append(text)
        size += len(text)
        if size >= GUESS_SAMPLE:
            break
    guessed = guess_alphabet("".join(sample))
    logger.info("%s: alphabet guessed as %s from the first rows", name, guessed.name)
    return guessed


def iter_table(path: str | Path, chunk_size: int = 100_000, **options: object) -> Iterator[SequenceSet]:
    """Yield a table as sequence sets of up to ``chunk_size`` records.

    Takes the options of :func:`read_table`. Tables are read whole first,
    because labels and duplicate ids are checked over the whole file.
    """
    if chunk_size < 1:
        raise ConfigError(f"invalid chunk_size {chunk_size}; expected 1 or more")
    records = read_table(path, **options)  # type: ignore[arg-type]
    for start in range(0, len(records), chunk_size):
        chunk = records.subset(np.arange(start, min(start + chunk_size, len(records))))
        if start:
            # The first chunk carries the counts and flags of the whole file.
            chunk.transforms.clear()
            chunk.flagged = {}
        yield chunk
