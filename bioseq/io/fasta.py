"""Read FASTA files into :class:`~bioseq.sequences.SequenceSet` objects.

The reader decodes plain or gzip input (detected from the magic bytes, so
multi-member gzip and BGZF work too) in large blocks and turns each block into
residue codes with one compiled pass. :func:`read_fasta` returns the whole
file; :func:`iter_fasta` yields sets of ``chunk_size`` records and keeps at
most one block plus one chunk in memory.

Format rules:

- ``>`` opens a record only at the start of a line; a ``>`` inside a header is text.
- Sequence lines may be wrapped at any width. CRLF line endings give the same
  result as LF. A carriage return without a line feed is an error.
- A UTF-8 byte order mark at the start of the file is removed.
- Blank lines between records are ignored. A blank line inside a record is an
  error unless ``blank_lines="join"``, which joins the lines around it and logs a warning.
- Lines before the first header are an error; ``comments=True`` allows lines
  that start with ``#`` or ``;`` anywhere in the file and skips them.
- A record without sequence is an error unless ``empty="drop"``.
- The record id is the first whitespace-separated token of the header
  (``id_rule="first-token"``) or the whole header (``id_rule="full-header"``);
  the text after the first token is the description.
- A repeated id is an error naming both header lines, unless ``duplicates``
  is ``"first"``, ``"last"`` or ``"rename"`` (which appends ``_2``, ``_3``...).
- Residues follow :mod:`bioseq.alphabet`: lowercase is read as uppercase and
  counted as ``uppercased``, DNA reads ``U`` as ``T`` (``u_to_t``) and RNA
  reads ``T`` as ``U`` (``t_to_u``). A record that mixes both letters is
  listed in ``flagged["mixed_t_u"]``. A protein's terminal ``*`` is removed
  (``terminal_stop_removed``); a ``*`` elsewhere is an error unless
  ``internal_stop="drop"``.
- ``layout="three-line"`` reads records of a header, one sequence line and
  one annotation line of the same length; the annotation is checked and
  discarded. The standard layout raises an error for such files.
"""

from __future__ import annotations

import io
import logging
import mmap
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

import numpy as np

from bioseq.alphabet import Alphabet, get_alphabet, guess_alphabet
from bioseq.errors import ConfigError, FastaFormatError
from bioseq.io._combine import concat_sets
from bioseq.io._fasta_block import Block, parse_block
from bioseq.io._fasta_head import HEAD_BYTES, head_records, looks_three_line, residue_sample
from bioseq.io._fasta_kernel import hash_strings, merge_sorted
from bioseq.io._records import duplicate_keep
from bioseq.io.compression import UTF8_BOM, TruncatedInputError, open_binary, read_block
from bioseq.io.headers import HeaderFields
from bioseq.io.labels import RawLabels, encode_labels
from bioseq.io.splits import normalize_split
from bioseq.sequences import SequenceSet

logger = logging.getLogger(__name__)

IdRule = Literal["first-token", "full-header"]
DuplicatePolicy = Literal["error", "first", "last", "rename"]
ID_RULES = ("first-token", "full-header")
DUPLICATE_POLICIES = ("error", "first", "last", "rename")

#: Transformation counters of records that a policy dropped.
_DROP_COUNTERS = ("empty_dropped", "internal_stop_dropped")
#: Bytes read from the file per block (decompressed). Parsing makes temporaries many times
#: the block's size, so 4 MiB blocks cut peak memory from about 820 MB to about 330 MB and
#: ran faster than 32 MiB blocks on 100 MB of FASTA (benchmarks/bench_store.py machine).
BLOCK_BYTES = 1 << 22


@dataclass(frozen=True)
class FastaOptions:
    """Reader settings shared by :func:`read_fasta` and :func:`iter_fasta`.

    See :func:`read_fasta` for the meaning of each field.
    """

    alphabet: str | Alphabet = "auto"
    id_rule: IdRule = "first-token"
    duplicates: DuplicatePolicy = "error"
    empty: Literal["error", "drop"] = "error"
    blank_lines: Literal["error", "join"] = "error"
    comments: bool = False
    u_policy: Literal["convert", "error"] = "convert"
    internal_stop: Literal["error", "drop"] = "error"
    keep_softmask: bool = False
    layout: Literal["standard", "three-line"] = "standard"
    header: HeaderFields | None = None

    def __post_init__(self) -> None:
        choices = {
            "id_rule": ID_RULES,
            "duplicates": DUPLICATE_POLICIES,
            "empty": ("error", "drop"),
            "blank_lines": ("error", "join"),
            "u_policy": ("convert", "error"),
            "internal_stop": ("error", "drop"),
            "layout": ("standard", "three-line"),
        }
        for name, allowed in choices.items():
            value = getattr(self, name)
            if value not in allowed:
                raise ConfigError(f"invalid {name} {value!r}; choose one of {list(allowed)}")


def read_fasta(
    path: str | Path,
    *,
    labels: bool = True,
    classes: Sequence[object] | int | str | None = None,
    task: str | None = None,
    positive_class: str | None = None,
    missing_labels: Literal["error", "drop"] = "error",
    **options: object,
) -> SequenceSet:
    """Read a whole FASTA file (plain or gzip) into a sequence set.

    Parameters
    ----------
    path : str or pathlib.Path
        FASTA file; gzip is detected from the magic bytes, not the name.
    labels : bool, default=True
        Encode labels when the header options name a label field.
    classes, task, positive_class, missing_labels
        Label settings, see :func:`bioseq.io.labels.encode_labels`.
    alphabet : {"auto", "dna", "rna", "protein"} or Alphabet, default="auto"
        "auto" guesses from the first records with :func:`bioseq.alphabet.guess_alphabet`.
    id_rule : {"first-token", "full-header"}, default="first-token"
    duplicates : {"error", "first", "last", "rename"}, default="error"
    empty : {"error", "drop"}, default="error"
        What a record without sequence does; dropped records are counted as ``empty_dropped``.
    blank_lines : {"error", "join"}, default="error"
        What a blank line inside a record does.
    comments : bool, default=False
        Skip lines that start with ``#`` or ``;`` (counted as ``comment_lines``).
    u_policy : {"convert", "error"}, default="convert"
        DNA: convert ``U`` to ``T`` or raise naming the record; RNA: the same for ``T``.
    internal_stop : {"error", "drop"}, default="error"
        Protein: what a ``*`` before the last residue does (``internal_stop_dropped``).
    keep_softmask : bool, default=False
        Fill ``SequenceSet.softmask`` (True where the residue was lowercase).
    layout : {"standard", "three-line"}, default="standard"
    header_sep : str or None, default=None
        Separator of positional header fields, for example ``"|"``.
    header_fields : list of str or None, default=None
        Names of the positional fields; a field named ``id`` becomes the record id.
    label_from : {"field", "key", "last-token", "header"} or None, default=None
        Where the label is in the header: a positional field, a ``key=value``
        token, the last whitespace token, or the whole header.
    label_field : str or None, default=None
        Field name (``label_from="field"``) or key (``label_from="key"``).
    split_field : str or None, default=None
        Positional field or key that contains the split or fold of each record.

    Returns
    -------
    SequenceSet

    Raises
    ------
    FastaFormatError
        For malformed input; the message names ``path:line`` and the record id.
    SequenceError
        For an invalid residue (file, record id, 1-based position, character).
    LabelError
        For a missing or unknown label.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "x.fa"
    >>> _ = path.write_text(">r1 depth>30m\\nACGT\\nac\\n>r2\\nGGCC\\n")
    >>> records = read_fasta(path, alphabet="dna")
    >>> records.ids.tolist(), records.sequence(0), records.transforms["uppercased"]
    (['r1', 'r2'], 'ACGTAC', 2)
    """
    opts = _make_options(options)
    blocks = list(_iter_blocks(Path(path), opts, whole=True))
    if not blocks:
        raise FastaFormatError(f"{path}: 0 FASTA records")
    records = concat_sets([block.records for block in blocks])
    header_lines = np.concatenate([block.header_lines for block in blocks])
    fields: dict[str, list[str]] = {}
    for block in blocks:
        for name, values in block.fields.items():
            fields.setdefault(name, []).extend(values)
    keep = _resolve_duplicates(records, header_lines, opts.duplicates, str(path))
    if keep is not None:
        records = records.subset(keep)
        header_lines = header_lines[keep]
        fields = {name: [values[i] for i in keep] for name, values in fields.items()}
    return _attach_fields(records, header_lines, fields, str(path), opts.header, labels,
                          classes, task, positive_class, missing_labels)


def iter_fasta(
    path: str | Path,
    chunk_size: int = 100_000,
    *,
    labels: bool = True,
    classes: Sequence[object] | int | str | None = None,
    task: str | None = None,
    positive_class: str | None = None,
    missing_labels: Literal["error", "drop"] = "error",
    **options: object,
) -> Iterator[SequenceSet]:
    """Stream a FASTA file as sequence sets of up to ``chunk_size`` records.

    Takes the options of :func:`read_fasta`. Duplicate ids are checked
    across chunks by 64-bit hash, about 16 bytes per record (see docs/io.md,
    "Streaming"). ``duplicates="last"`` needs the whole file and is rejected
    here. Labels from headers need declared ``classes`` (or
    ``task="regression"``), because a chunk cannot see the classes of later ones.

    Raises
    ------
    ConfigError
        For ``duplicates="last"`` or header labels without declared classes.
    """
    opts = _make_options(options)
    if chunk_size < 1:
        raise ConfigError(f"invalid chunk_size {chunk_size}; expected 1 or more")
    if opts.duplicates == "last":
        raise ConfigError("duplicates='last' needs the whole file; use read_fasta or another policy")
    wants_labels = labels and opts.header is not None and opts.header.label_from is not None
    if wants_labels and classes is None and task != "regression":
        raise ConfigError(
            f"{path}: labels from FASTA headers are read in a stream here, so the classes must "
            "be declared before the first record: pass --classes A,B (classes=['A', 'B'])"
        )
    seen = _SeenIds()
    pending: list[Block] = []
    n_pending = 0
    total: Counter = Counter()
    n_total = 0
    for block in _iter_blocks(Path(path), opts):
        keep = _check_streaming_duplicates(block, seen, opts.duplicates, str(path))
        if keep is not None:
            block = _subset_block(block, keep)
        pending.append(block)
        n_pending += len(block.records)
        while n_pending >= chunk_size:
            head, pending = _take(pending, chunk_size)
            n_pending -= chunk_size
            chunk = _attach_fields(head.records, head.header_lines, head.fields, str(path),
                                   opts.header, labels, classes, task, positive_class,
                                   missing_labels, log=False)
            total.update(chunk.transforms)
            n_total += len(chunk)
            yield chunk
    if n_pending:
        head, _ = _take(pending, n_pending)
        chunk = _attach_fields(head.records, head.header_lines, head.fields, str(path), opts.header,
                               labels, classes, task, positive_class, missing_labels, log=False)
        total.update(chunk.transforms)
        n_total += len(chunk)
        yield chunk
    else:
        # Blocks whose records were all dropped at the end of the file: count them in the summary.
        for block in pending:
            total.update(block.records.transforms)
    _log_summary(str(path), n_total, chunk.alphabet.name if n_total else "-", total)


def _make_options(options: dict[str, object]) -> FastaOptions:
    header_keys = ("header_sep", "header_fields", "label_from", "label_field", "split_field")
    header_args = {key: options.pop(key) for key in header_keys if key in options}
    allowed = set(FastaOptions.__dataclass_fields__) - {"header"}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ConfigError(
            f"unknown FASTA option(s) {unknown}; allowed: {sorted(allowed | set(header_keys))}"
        )
    header = HeaderFields.build(**header_args) if any(v is not None for v in header_args.values()) else None
    return FastaOptions(header=header, **options)  # type: ignore[arg-type]


def _truncated(path: Path, n_records: int, error: TruncatedInputError) -> TruncatedInputError:
    return TruncatedInputError(
        f"{path}: compressed data ended early (unexpected end of stream or CRC mismatch) after "
        f"{n_records} complete records; the file is truncated or corrupt, download or copy it again"
    )


def _read_whole(stream: BinaryIO, path: Path) -> bytes | mmap.mmap:
    """Read the rest of a stream in one call; on truncation, report how many records were complete.

    A plain file is mapped into memory instead of copied: the kernel reads it
    once either way, and mapping skips a copy of the whole file.
    """
    if isinstance(stream, io.BufferedReader) and stream.tell() == 0:
        try:
            if os.fstat(stream.fileno()).st_size > 0:
                return mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):  # not mappable (a pipe, say): read it instead
            pass
    try:
        return read_block(stream, -1, path)
    except TruncatedInputError as error:
        raise _truncated(path, _complete_records(path), error) from error.__cause__


def _complete_records(path: Path) -> int:
    """Count the records before the point where a compressed file breaks off."""
    headers = 0
    previous = b"\n"  # so that a header on line 1 is counted like the others
    with open_binary(path) as stream:
        while True:
            try:
                # Small reads, so that the data before the break is counted.
                block = read_block(stream, 1 << 16, path)
            except TruncatedInputError:
                break
            if not block:
                break
            headers += (previous + block).count(b"\n>")
            previous = block[-1:]
    # The record that the last header opens may be cut, so it is not counted.
    return max(headers - 1, 0)


def _iter_blocks(path: Path, opts: FastaOptions, whole: bool = False) -> Iterator[Block]:
    """Parse the file in blocks that end at record boundaries, or in one piece if ``whole``."""
    if not path.exists():
        raise FileNotFoundError(f"FASTA file not found: {path}")
    n_records = 0
    n_dropped = 0
    n_bytes = 0
    first_line = 1
    alphabet: Alphabet = get_alphabet("dna")
    with open_binary(path) as stream:
        pending = b""
        first = True
        while True:
            if whole:
                block = _read_whole(stream, path) if first else b""
            else:
                try:
                    block = read_block(stream, BLOCK_BYTES, path)
                except TruncatedInputError as error:
                    # The block that failed is lost with the error, so the records before the
                    # break are counted again in small reads.
                    complete = max(n_records, _complete_records(path))
                    raise _truncated(path, complete, error) from error.__cause__
            n_bytes += len(block)
            data = pending + block if pending else block
            transforms: Counter = Counter()
            if first:
                if not data and not block:
                    raise FastaFormatError(f"{path}: empty file (0 bytes); expected FASTA records")
                if len(data) < HEAD_BYTES and block and not whole:
                    pending = data
                    continue
                first = False
                if data[: len(UTF8_BOM)] == UTF8_BOM:
                    data = memoryview(data)[len(UTF8_BOM):]
                    transforms["bom_removed"] += 1
                alphabet = _prepare(path, data, opts)
            if block and not whole:
                cut = data.rfind(b"\n>")
                if cut < 0:
                    pending = data
                    continue
                # A view, not a copy: only the short tail after the last header is copied.
                part, pending = memoryview(data)[: cut + 1], data[cut + 1:]
            else:
                part, pending = data, b""
            if part:
                parsed, n_lines = parse_block(path, part, first_line, alphabet, opts, transforms)
                first_line += n_lines
                n_records += len(parsed.records)
                n_dropped += sum(parsed.records.transforms[name] for name in _DROP_COUNTERS)
                if len(parsed.records):
                    yield parsed
            if not block or whole:
                break
    if n_records == 0 and n_dropped:
        raise FastaFormatError(f"{path}: no records left after dropping {n_dropped} of them")
    if n_records == 0:
        raise FastaFormatError(f"{path}: 0 FASTA records in {n_bytes} bytes")


def _prepare(path: Path, head: bytes | memoryview | mmap.mmap, opts: FastaOptions) -> Alphabet:
    """Check the layout and choose the alphabet from the first records."""
    records = head_records(bytes(head[:HEAD_BYTES]))
    if opts.layout == "standard" and looks_three_line(records):
        raise FastaFormatError(
            f"{path}: every record has a sequence line and a second line of the same length "
            "with other letters (a per-residue annotation, as in SignalP 6.0 training data); "
            "reading it as FASTA would glue the annotation to the sequence. "
            "Read it with layout='three-line' (--fasta-layout three-line)"
        )
    if opts.alphabet != "auto":
        return get_alphabet(opts.alphabet)
    sample = residue_sample(records, opts.layout == "three-line")
    alphabet = guess_alphabet(sample)
    logger.info("%s: alphabet guessed as %s from the first records", path.name, alphabet.name)
    return alphabet


def _duplicate_message(path: str, name: str, first_line: int, line: int) -> str:
    headers = _read_lines(Path(path), {first_line, line})
    return (
        f"{path}:{line}: duplicate record id {name!r}: header line {first_line} "
        f"{headers.get(first_line, '')!r} and header line {line} {headers.get(line, '')!r}. "
        "Ids are the first word of the header; use id_rule='full-header' (--id-rule full-header) "
        "if the whole header names the record, or duplicates='first', 'last' or 'rename' "
        "(--duplicates) to keep one or rename"
    )


def _read_lines(path: Path, line_numbers: set[int]) -> dict[int, str]:
    """Read the text of a few lines again, for an error message."""
    found: dict[int, str] = {}
    last = max(line_numbers)
    with open_binary(path) as stream:
        for number, raw in enumerate(stream, start=1):
            if number in line_numbers:
                text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                found[number] = text.removeprefix("\ufeff")
            if number >= last:
                break
    return found


def _resolve_duplicates(
    records: SequenceSet, header_lines: np.ndarray, policy: str, path: str
) -> np.ndarray | None:
    """Apply the duplicate-id policy to a whole file; return the records to keep, or None for all."""

    def describe(first: int, repeat: int) -> str:
        return _duplicate_message(path, str(records.ids[repeat]), int(header_lines[first]),
                                  int(header_lines[repeat]))

    keep, ids = duplicate_keep(records.ids, policy, path, describe, records.transforms)
    records.ids = ids
    return keep


class _SeenIds:
    """Ids of the records streamed so far, kept as 64-bit hashes with the line of each.

    The hashes live in sorted ``uint64`` runs with an ``int64`` header line
    beside each entry, about 16 bytes per record. Each new block adds a run.
    Runs of similar size are merged, so there are at most about log2(n) runs
    and each hash is copied about log2(n) times in all. A merge allocates only
    its output, so the peak is about 32 bytes per record while the two
    largest runs merge.
    """

    def __init__(self) -> None:
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []

    def find(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return which ``hashes`` were seen before and the header line of each (0 if not)."""
        found = np.zeros(len(hashes), dtype=bool)
        lines = np.zeros(len(hashes), dtype=np.int64)
        if not self.runs or not len(hashes):
            return found, lines
        # Sorted queries walk each run in order: numpy's search starts from the previous
        # key's position, so the large runs are read almost sequentially, not at random.
        order = np.argsort(hashes)
        queries = hashes[order]
        for run_hashes, run_lines in self.runs:
            position = np.searchsorted(run_hashes, queries)
            np.minimum(position, len(run_hashes) - 1, out=position)
            hit = run_hashes[position] == queries
            lines[order[hit]] = run_lines[position[hit]]
            found[order[hit]] = True
        return found, lines

    def contains(self, value: int) -> bool:
        return bool(self.find(np.array([value], dtype=np.uint64))[0][0])

    def add(self, hashes: np.ndarray, lines: np.ndarray) -> None:
        """Add a run of hashes; the caller passes only hashes that are not in the set yet."""
        if not len(hashes):
            return
        order = np.argsort(hashes, kind="stable")
        self.runs.append((hashes[order], lines[order].astype(np.int64)))
        while len(self.runs) > 1 and len(self.runs[-2][0]) <= 2 * len(self.runs[-1][0]):
            (h1, l1), (h2, l2) = self.runs.pop(-2), self.runs.pop(-1)
            hashes = np.empty(len(h1) + len(h2), dtype=np.uint64)
            lines = np.empty(len(hashes), dtype=np.int64)
            merge_sorted(h1, l1, h2, l2, hashes, lines)
            del h1, l1, h2, l2
            self.runs.append((hashes, lines))


def _check_streaming_duplicates(
    block: Block, seen: _SeenIds, policy: str, path: str
) -> np.ndarray | None:
    """Check ids against earlier blocks; return the records to keep, or None for all.

    Ids of earlier blocks are compared by 64-bit hash (see :class:`_SeenIds`);
    ids inside the block are compared as text.
    """
    records = block.records
    ids = records.ids.tolist()
    hashes = hash_strings(ids)
    lines = block.header_lines.astype(np.int64)
    earlier, earlier_lines = seen.find(hashes)
    repeated = np.zeros(len(ids), dtype=bool)
    if len(ids) > 1:
        order = np.argsort(hashes, kind="stable")
        same = hashes[order][1:] == hashes[order][:-1]
        repeated[order[1:][same]] = True
    if not earlier.any() and not repeated.any():
        seen.add(hashes, lines)
        return None
    # Slow path, only for blocks with a repeated id: walk the records in file order.
    keep = np.ones(len(ids), dtype=bool)
    new_ids = records.ids.copy()
    local: dict[int, tuple[int, str]] = {}
    for index, name in enumerate(ids):
        value = int(hashes[index])
        line = int(lines[index])
        first_line = None
        if earlier[index]:
            first_line = int(earlier_lines[index])
        elif value in local and local[value][1] == name:
            first_line = local[value][0]
        if first_line is None:
            local.setdefault(value, (line, name))
            continue
        if policy == "error":
            raise FastaFormatError(_duplicate_message(path, name, first_line, line))
        records.transforms[f"duplicates_{policy}"] += 1
        if policy == "first":
            keep[index] = False
            continue
        suffix = 2
        while True:
            candidate = f"{name}_{suffix}"
            candidate_hash = int(hash_strings([candidate])[0])
            if candidate_hash not in local and not seen.contains(candidate_hash):
                break
            suffix += 1
        new_ids[index] = candidate
        local[candidate_hash] = (line, candidate)
    if policy == "rename":
        records.ids = new_ids
    seen.add(np.fromiter(local.keys(), dtype=np.uint64, count=len(local)),
             np.fromiter((line for line, _ in local.values()), dtype=np.int64, count=len(local)))
    return None if keep.all() else np.flatnonzero(keep)


def _subset_block(block: Block, keep: np.ndarray) -> Block:
    return Block(
        records=block.records.subset(keep),
        header_lines=block.header_lines[keep],
        fields={name: [values[i] for i in keep] for name, values in block.fields.items()},
    )


def _range_block(block: Block, start: int, stop: int) -> Block:
    # Views, not copies: the kernel gives every block fresh arrays, and a chunk made of
    # several parts is copied into one set by concat_sets.
    return Block(
        records=block.records.take_range(start, stop),
        header_lines=block.header_lines[start:stop],
        fields={name: values[start:stop] for name, values in block.fields.items()},
    )


def _take(blocks: list[Block], count: int) -> tuple[Block, list[Block]]:
    """Split the first ``count`` records off a list of blocks."""
    selected: list[Block] = []
    rest = list(blocks)
    needed = count
    while needed:
        block = rest.pop(0)
        size = len(block.records)
        if size <= needed:
            selected.append(block)
            needed -= size
        else:
            selected.append(_range_block(block, 0, needed))
            remainder = _range_block(block, needed, size)
            # The first part already carries the block's counts and flags.
            remainder.records.transforms = Counter()
            remainder.records.flagged = {}
            rest.insert(0, remainder)
            needed = 0
    records = concat_sets([block.records for block in selected])
    fields: dict[str, list[str]] = {}
    for block in selected:
        for name, values in block.fields.items():
            fields.setdefault(name, []).extend(values)
    lines = np.concatenate([block.header_lines for block in selected])
    return Block(records, lines, fields), rest


def _attach_fields(
    records: SequenceSet,
    header_lines: np.ndarray,
    fields: dict[str, list[str]],
    path: str,
    header: HeaderFields | None,
    labels: bool,
    classes: Sequence[object] | int | str | None,
    task: str | None,
    positive_class: str | None,
    missing_labels: str,
    log: bool = True,
) -> SequenceSet:
    """Encode header labels and splits, log the transformations (if ``log``) and return the set."""
    if "split" in fields:
        records.splits = np.array([normalize_split(value) for value in fields["split"]], dtype=object)
    if labels and "label" in fields:
        raw = RawLabels(
            values=np.array(fields["label"], dtype=object),
            lines=header_lines.astype(np.int64),
            sources=np.full(len(records), Path(path).name, dtype=object),
        )
        encoded, names, task_name, keep = encode_labels(
            raw, task=task, classes=classes, positive_class=positive_class, missing=missing_labels)  # type: ignore[arg-type]
        if not keep.all():
            records.transforms["missing_label_dropped"] += int((~keep).sum())
            records = records.subset(np.flatnonzero(keep))
        records.labels = encoded
        records.class_names = names
        records.task = task_name  # type: ignore[assignment]
    if log:
        _log_summary(path, len(records), records.alphabet.name, records.transforms)
    return records


def _log_summary(path: str, n_records: int, alphabet: str, transforms: Counter) -> None:
    """Log how many records were read from ``path`` and every transformation counted."""
    counts = ", ".join(f"{name}={count}" for name, count in sorted(transforms.items()))
    logger.info("%s: read %d records (%s)%s", Path(path).name, n_records, alphabet,
                f"; transformations: {counts}" if counts else "")
