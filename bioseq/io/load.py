"""Load sequences from any supported input through one function.

:func:`load_sequences` takes one or more sources and returns one
:class:`~bioseq.sequences.SequenceSet` with labels encoded over all of them.
A source is a path, optionally prefixed with a split and a class::

    data/train.csv                  a table or FASTA file with its own labels
    enhancer=data/enh.fa            every record of the file has class "enhancer"
    test:data/test.csv              every record belongs to split "test"
    valid:AMP=AMP.eval.fa           both

A string that names an existing file is always read as a plain path. The
format comes from the content, not the name: HDF5 stores by their signature,
FASTA by a ``>`` (or ``@``, which the FASTA reader reports as FASTQ) as the
first character after a byte order mark and blank lines, gzip by its magic
bytes. Other files are read as FASTA when their name (without ``.gz``) ends
in a FASTA extension and as CSV/TSV tables otherwise.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from bioseq.alphabet import Alphabet
from bioseq.errors import ConfigError, FormatError, LabelError
from bioseq.io._combine import concat_sets
from bioseq.io.compression import (
    HDF5_MAGIC,
    UTF8_BOM,
    open_binary,
    read_block,
    read_magic,
)
from bioseq.io.labels import natural_key, numeric_collisions, parse_classes
from bioseq.io.splits import SPLIT_NAMES, normalize_split
from bioseq.sequences import SequenceSet

logger = logging.getLogger(__name__)

InputFormat = Literal["auto", "fasta", "table", "csv", "tsv", "store"]
FORMATS = ("auto", "fasta", "table", "csv", "tsv", "store")
FASTA_EXTENSIONS = (".fa", ".fasta", ".fna", ".faa", ".ffn", ".frn", ".fas", ".seq", ".mfa")
FASTA_ONLY = ("id_rule", "blank_lines", "comments", "layout", "header_sep", "header_fields",
              "label_from", "label_field", "split_field")
TABLE_ONLY = ("sequence_column", "id_column", "label_columns", "split_column", "sep")
SHARED = ("alphabet", "duplicates", "empty", "u_policy", "internal_stop", "keep_softmask",
          "missing_labels", "task")
_SOURCE = re.compile(r"^(?:(?P<split>[A-Za-z0-9_]+):)?(?:(?P<label>[^=/\\]+)=)?(?P<path>.+)$")


@dataclass(frozen=True)
class DataSource:
    """One input file with an optional class for all its records and an optional split.

    Examples
    --------
    >>> DataSource.parse("valid:AMP=data/AMP.eval.fa")
    DataSource(path=PosixPath('data/AMP.eval.fa'), class_name='AMP', split='valid')
    """

    path: Path
    class_name: str | None = None
    split: str | None = None

    @classmethod
    def parse(cls, spec: str | Path | DataSource) -> DataSource:
        """Read ``[SPLIT:][CLASS=]PATH``; an existing file's name is taken as it is."""
        if isinstance(spec, DataSource):
            return spec
        if isinstance(spec, Path) or Path(spec).exists():
            return cls(Path(spec))
        match = _SOURCE.match(spec)
        if match is None:  # pragma: no cover - the pattern matches every non-empty string
            raise ConfigError(f"invalid data source {spec!r}; expected [SPLIT:][CLASS=]PATH")
        split = match["split"]
        if split is not None:
            split = normalize_split(split)
            if split not in ("train", "valid", "test"):
                raise ConfigError(
                    f"invalid split {match['split']!r} in data source {spec!r}; "
                    "use train, valid or test (or give no split)"
                )
        label = match["label"].strip() if match["label"] else None
        return cls(Path(match["path"]), label, split)


def detect_format(path: str | Path) -> Literal["fasta", "table", "store"]:
    """Tell FASTA, CSV/TSV table and HDF5 store apart by content.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    """
    path = Path(path)
    if path.is_dir():
        raise ConfigError(folder_message(path))
    if not path.exists():
        raise FileNotFoundError(f"input file not found: {path}")
    if read_magic(path, len(HDF5_MAGIC)) == HDF5_MAGIC:
        return "store"
    if path.suffix.lower() in STORE_EXTENSIONS:
        from bioseq.errors import StoreError

        size = path.stat().st_size
        raise StoreError(
            f"{path} is named like an HDF5 store but is not one ({size} bytes, no HDF5 "
            "signature); it may be an incomplete copy: copy it again or rebuild it with "
            "bioseq preprocess"
        )
    with open_binary(path) as stream:
        head = read_block(stream, 4096, path)
    if head.startswith(UTF8_BOM):
        head = head[len(UTF8_BOM):]
    start = head.lstrip(b" \t\r\n")
    if start[:1] in (b">", b"@"):
        return "fasta"
    name = path.name.lower()
    for suffix in (".gz", ".bgz"):
        name = name.removesuffix(suffix)
    if name.endswith(FASTA_EXTENSIONS):
        return "fasta"
    first_line = start.split(b"\n", 1)[0]
    if name.endswith(".txt") and not any(sep in first_line for sep in (b"\t", b",", b";")):
        return "fasta"
    return "table"


#: File name endings of HDF5 stores; such a file without the HDF5 signature is a damaged store.
STORE_EXTENSIONS = (".h5", ".hdf5", ".hdf")


def folder_message(path: Path) -> str:
    """Describe a folder given as an input, with a few of the files it contains."""
    files = sorted(child.name for child in path.iterdir() if child.is_file())
    shown = ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
    inside = f" (it contains {shown})" if files else " (it contains no files)"
    return (
        f"input {path} is a folder, not a file{inside}; pass each file with its own --data, "
        f"for example --data {path / (files[0] if files else 'train.csv')}, or "
        f"--data CLASS={path}/FILE for one file per class"
    )


def automatic_id_prefixes(paths: Sequence[Path]) -> list[str]:
    """Name each file by the fewest trailing path parts that distinguish it from the others.

    Tables without an id column get the ids ``PREFIX:LINE``. The prefix is the
    file name unless another source has the same name, as in ``a/x.csv`` and
    ``b/x.csv``, so that the ids of different files never collide. The same
    file given twice keeps its name, and its ids collide as they should.

    Examples
    --------
    >>> from pathlib import Path
    >>> automatic_id_prefixes([Path("a/x.csv"), Path("b/x.csv"), Path("b/y.csv")])
    ['a/x.csv', 'b/x.csv', 'y.csv']
    """
    parts = {path.absolute(): path.absolute().parts for path in paths}
    depth = dict.fromkeys(parts, 1)
    while True:
        names = {path: "/".join(parts[path][-depth[path]:]) for path in parts}
        counts = Counter(names.values())
        deeper = [path for path in parts if counts[names[path]] > 1 and depth[path] < len(parts[path])]
        if not deeper:
            return [names[path.absolute()] for path in paths]
        for path in deeper:
            depth[path] += 1


def parse_split_map(split_map: str | Sequence[str] | Mapping[object, object] | None) -> dict[str, str] | None:
    """Read a mapping from split values in files to ``train``, ``valid`` or ``test``.

    Accepts ``"0=test,1=valid,2=train"``, a list of such strings, or a dict.

    Raises
    ------
    ConfigError
        For an item without ``=``, a repeated value, or a target that is not
        a split name.

    Examples
    --------
    >>> parse_split_map("0=test, 1=valid,2=train")
    {'0': 'test', '1': 'valid', '2': 'train'}
    """
    if split_map is None:
        return None
    if isinstance(split_map, Mapping):
        pairs = [(str(key).strip(), str(value).strip()) for key, value in split_map.items()]
    else:
        texts = [split_map] if isinstance(split_map, str) else list(split_map)
        pairs = []
        for item in (part.strip() for text in texts for part in str(text).split(",")):
            if not item:
                continue
            if "=" not in item:
                raise ConfigError(
                    f"invalid split map item {item!r}; expected VALUE=SPLIT, for example 0=test"
                )
            key, value = item.split("=", 1)
            pairs.append((key.strip(), value.strip()))
    mapping: dict[str, str] = {}
    for key, value in pairs:
        split = normalize_split(value)
        if split not in SPLIT_NAMES:
            raise ConfigError(
                f"invalid split map target {value!r} for value {key!r}; use train, valid or test"
            )
        if key in mapping:
            raise ConfigError(f"split map gives value {key!r} twice; give each value once")
        mapping[key] = split
    if not mapping:
        raise ConfigError("the split map is empty; give VALUE=SPLIT pairs, for example 0=test,1=valid,2=train")
    return mapping


def _map_splits(records: SequenceSet, mapping: dict[str, str] | None, path: Path) -> None:
    """Replace split values through ``mapping``; values neither mapped nor split names are an error."""
    if mapping is None or records.splits is None:
        return
    values = [str(value) for value in records.splits.tolist()]
    unmapped = sorted({v for v in values if v not in mapping and v not in SPLIT_NAMES}, key=natural_key)
    if unmapped:
        raise ConfigError(
            f"{path}: split value(s) {unmapped} are not in the split map {mapping}; "
            "add them (--split-map VALUE=SPLIT)"
        )
    records.splits = np.array([mapping.get(v, v) for v in values], dtype=object)
    records.transforms["split_mapped"] += sum(v in mapping for v in values)


def _split_options(kind: str, options: dict[str, object], source: DataSource) -> dict[str, object]:
    """Pick the options that apply to one reader."""
    picked = {key: value for key, value in options.items() if value is not None}
    if kind == "fasta":
        picked = {k: v for k, v in picked.items() if k not in TABLE_ONLY}
    else:
        picked = {k: v for k, v in picked.items() if k not in FASTA_ONLY}
    if source.class_name is not None:
        # The class comes from the source, so the file's own labels are ignored.
        picked = {k: v for k, v in picked.items()
                  if k not in ("label_from", "label_field", "label_columns")}
    return picked


def _check_options(options: dict[str, object]) -> None:
    allowed = set(FASTA_ONLY) | set(TABLE_ONLY) | set(SHARED)
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ConfigError(f"unknown loader option(s) {unknown}; allowed: {sorted(allowed)}")


def _read_one(
    source: DataSource, fmt: str, options: dict[str, object], labels: bool,
    classes: list[str] | int | None, id_prefix: str | None = None,
) -> SequenceSet:
    from bioseq.io.fasta import read_fasta
    from bioseq.io.tables import read_table

    kind = detect_format(source.path) if fmt == "auto" else fmt
    if kind in ("csv", "tsv"):
        options = {**options, "sep": "," if kind == "csv" else "\t"}
        kind = "table"
    use_labels = labels and source.class_name is None
    picked = _split_options(kind, options, source)
    if kind == "store":
        if source.class_name is not None:
            raise ConfigError(f"{source.path}: CLASS=PATH applies to FASTA and tables, not to HDF5 stores")
        from bioseq.io.store import read_store

        alphabet = options.get("alphabet")
        records = read_store(source.path, alphabet=None if alphabet in (None, "auto") else alphabet)  # type: ignore[arg-type]
        if not use_labels:
            records.labels, records.class_names, records.task = None, None, None
        return records
    if kind == "fasta":
        records = read_fasta(source.path, labels=use_labels, classes=classes, **picked)
        return records
    return read_table(source.path, labels=use_labels, classes=classes, id_prefix=id_prefix,  # type: ignore[arg-type]
                      **picked)


def load_sequences(
    sources: str | Path | DataSource | Iterable[str | Path | DataSource],
    *,
    format: InputFormat = "auto",
    labels: bool = True,
    classes: Sequence[object] | int | str | None = None,
    positive_class: str | None = None,
    split_map: str | Sequence[str] | Mapping[object, object] | None = None,
    **options: object,
) -> SequenceSet:
    """Read one or more inputs into one sequence set with labels encoded over all of them.

    Parameters
    ----------
    sources : path, DataSource, or a list of them
        Inputs in ``[SPLIT:][CLASS=]PATH`` form (see the module docstring).
    format : {"auto", "fasta", "table", "csv", "tsv", "store"}, default="auto"
        "auto" detects each file's format from its content.
    labels : bool, default=True
        Read labels; False returns unlabelled sequences (for prediction).
    classes : list of str, int or None, default=None
        Declared classes (kept in this order) or a class count; None infers
        the classes in natural order from all sources.
    positive_class : str or None, default=None
        Binary tasks: the class that becomes index 1 (default: the second class).
    split_map : str, list of str, dict or None, default=None
        Split values in the files mapped to ``train``, ``valid`` or ``test``,
        as ``"0=test,1=valid,2=train"`` or a dict; it applies to split
        columns, FASTA split fields and the splits of HDF5 stores (for
        example the homology partitions of SignalP 6.0). A value that is
        neither mapped nor a split name is an error.
    **options
        Reader options: those of :func:`bioseq.io.fasta.read_fasta` and
        :func:`bioseq.io.tables.read_table`, plus ``task`` and
        ``missing_labels``. Options of one format are ignored for files of
        the other. Tables without an id column get the ids ``FILE:LINE``,
        where FILE is the file name, or the shortest trailing path that
        distinguishes sources with the same name (``a/x.csv:2`` and ``b/x.csv:2``).

    Returns
    -------
    SequenceSet

    Raises
    ------
    ConfigError
        For an unknown option or format, or sources that mix labelled and
        unlabelled or split and unsplit inputs.
    LabelError
        For labels outside the declared classes (naming file and line).
    FormatError, SequenceError
        From the readers.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "pos.fa").write_text(">p1\\nACGT\\n>p2\\nACGG\\n")
    >>> _ = (folder / "neg.fa").write_text(">n1\\nTTTT\\n")
    >>> data = load_sequences([f"yes={folder}/pos.fa", f"no={folder}/neg.fa"])
    >>> data.class_names, data.labels.tolist(), data.task
    (['no', 'yes'], [1, 1, 0], 'binary')
    """
    if format not in FORMATS:
        raise ConfigError(f"invalid format {format!r}; choose one of {list(FORMATS)}")
    _check_options(options)
    items = [sources] if isinstance(sources, (str, Path, DataSource)) else list(sources)
    if not items:
        raise ConfigError("no data sources given; pass at least one file")
    parsed = [DataSource.parse(item) for item in items]
    _check_stores_first(parsed)
    declared = parse_classes(classes)
    mapping = parse_split_map(split_map)
    prefixes = automatic_id_prefixes([source.path for source in parsed])
    parts: list[SequenceSet] = []
    alphabet = options.get("alphabet", "auto")
    for source, prefix in zip(parsed, prefixes, strict=True):
        reader_options = {**options, "alphabet": alphabet}
        records = _read_one(source, format, reader_options, labels, declared, prefix)
        _map_splits(records, mapping, source.path)
        if alphabet in (None, "auto"):
            # Later files use the alphabet guessed for the first one.
            alphabet = records.alphabet
        elif isinstance(alphabet, (str, Alphabet)) and records.alphabet.name != _name(alphabet):
            raise ConfigError(
                f"{source.path}: alphabet {records.alphabet.name} differs from {_name(alphabet)}"
            )
        if source.split is not None:
            records.splits = np.full(len(records), source.split, dtype=object)
        parts.append(records)
    _check_splits(parsed, parts)
    combined = concat_sets(parts) if len(parts) > 1 else parts[0]
    if labels:
        _merge_labels(combined, parsed, parts, declared, positive_class, options.get("task"))
        if declared is not None and combined.task in ("binary", "multiclass"):
            _warn_single_class(np.unique(combined.labels).tolist(), len(combined), combined.class_names)
    if len(parts) > 1:
        _check_unique_ids(combined, options.get("duplicates", "error"))
    logger.info("loaded %d records from %d sources", len(combined), len(parts))
    return combined


def _check_stores_first(sources: list[DataSource]) -> None:
    """Check every HDF5 store among several sources before reading, listing all bad ones."""
    from bioseq.io.store import check_stores, is_store_file

    stores = [source.path for source in sources if is_store_file(source.path)]
    if len(stores) > 1:
        check_stores(stores)


def _name(alphabet: str | Alphabet) -> str:
    return alphabet.name if isinstance(alphabet, Alphabet) else str(alphabet).lower()


def _check_splits(sources: list[DataSource], parts: list[SequenceSet]) -> None:
    with_split = [s.path.name for s, p in zip(sources, parts, strict=True) if p.splits is not None]
    without = [s.path.name for s, p in zip(sources, parts, strict=True) if p.splits is None]
    if with_split and without:
        raise ConfigError(
            f"some sources have splits ({', '.join(with_split)}) and some do not "
            f"({', '.join(without)}); give every source a split (SPLIT:PATH) or none"
        )


def _merge_labels(
    combined: SequenceSet, sources: list[DataSource], parts: list[SequenceSet],
    declared: list[str] | int | None, positive_class: str | None, task: object,
) -> None:
    """Encode labels over all parts: class names from files, from CLASS=PATH, or declared."""
    labelled = [p.labels is not None or s.class_name is not None for s, p in zip(sources, parts, strict=True)]
    if not any(labelled):
        return
    if not all(labelled):
        missing = [s.path.name for s, ok in zip(sources, labelled, strict=True) if not ok]
        raise LabelError(
            f"sources without labels: {', '.join(missing)}; give them labels (CLASS=PATH or a "
            "label column) or load them separately"
        )
    tasks = {p.task for p in parts if p.labels is not None}
    if tasks & {"multilabel", "regression"}:
        names = {tuple(p.class_names or ()) for p in parts}
        if len(names) > 1 or any(s.class_name for s in sources):
            raise LabelError(f"label columns differ between sources: {sorted(names)}")
        combined.task = parts[0].task
        combined.class_names = parts[0].class_names
        return
    texts: list[np.ndarray] = []
    for source, part in zip(sources, parts, strict=True):
        if source.class_name is not None:
            if isinstance(declared, list) and source.class_name not in declared:
                raise LabelError(
                    f"{source.path}: class {source.class_name!r} not in classes [{','.join(declared)}]"
                )
            texts.append(np.full(len(part), source.class_name, dtype=object))
        else:
            texts.append(np.asarray(part.class_names, dtype=object)[part.labels])
    values = np.concatenate(texts)
    if isinstance(declared, int):
        names = [str(i) for i in range(declared)]
    elif declared is not None:
        names = list(declared)
    else:
        names = sorted({str(v) for v in values}, key=natural_key)
        _check_source_spellings(names, sources, texts)
    for source, text in zip(sources, texts, strict=True):
        unknown = sorted({str(v) for v in text.tolist()} - set(names), key=natural_key)
        if unknown:
            raise LabelError(f"{source.path}: label(s) {unknown} not in classes [{','.join(names)}]; "
                             "add them to --classes or drop those records")
    if task is not None:
        task_name = task
    elif len(names) <= 2:
        task_name = "binary"
    else:
        task_name = "multiclass"
    if task_name == "binary" and len(names) > 2:
        raise LabelError(f"task 'binary' needs 2 classes, found {len(names)}: [{','.join(names)}]")
    if positive_class is not None:
        if task_name != "binary":
            raise LabelError(f"positive_class applies to binary tasks only, not {task_name!r}")
        positive = str(positive_class).strip()
        if positive not in names:
            raise LabelError(f"positive class {positive!r} is not one of the classes [{','.join(names)}]")
        names = [name for name in names if name != positive] + [positive]
    index = {name: code for code, name in enumerate(names)}
    combined.labels = np.fromiter((index[str(v)] for v in values), dtype=np.int64, count=len(values))
    combined.class_names = names
    combined.task = task_name  # type: ignore[assignment]


def _check_source_spellings(
    names: list[str], sources: list[DataSource], texts: list[np.ndarray]
) -> None:
    """Reject classes of several sources that spell one number in several ways (``1``, ``1.0``)."""
    collisions = numeric_collisions(names)
    if not collisions:
        return
    details = []
    for group in collisions:
        for name in group:
            files = [str(s.path) for s, text in zip(sources, texts, strict=True) if np.any(text == name)]
            details.append(f"{name!r} in {', '.join(files)}")
    raise LabelError(
        f"labels spell the same number in several ways across sources ({'; '.join(details)}), "
        "which would make them different classes; write each class one way in every file"
    )


def _warn_single_class(present: Iterable[int], n_records: int, class_names: list[str] | None) -> None:
    """Warn when the class indices present in the whole data set are fewer than two.

    With declared classes the readers leave this check to the loader,
    because a streamed chunk or one file of several may hold one class.
    """
    codes = sorted(present)
    if class_names is None or len(codes) >= 2:
        return
    logger.warning("the labels of all %d records hold a single class %s; a classifier needs two or more",
                   n_records, [class_names[code] for code in codes])


def _check_unique_ids(combined: SequenceSet, policy: object) -> None:
    """Reject ids repeated across sources, or rename them with ``duplicates="rename"``."""
    names = combined.ids.tolist()
    if len(set(names)) == len(names):
        return
    seen: set[str] = set()
    repeated = [name for name in names if name in seen or seen.add(name)]
    if policy == "rename":
        from bioseq.io._records import rename_duplicates

        combined.ids = rename_duplicates(names)
        combined.transforms["duplicates_rename"] += len(repeated)
        logger.warning("renamed %d record ids that occur in more than one source (first: %s)",
                       len(repeated), repeated[0])
        return
    raise FormatError(
        f"{len(repeated)} record ids occur in more than one source (first: {repeated[0]!r}); "
        "make ids unique across files or pass duplicates='rename' (--duplicates rename)"
    )


def iter_sequences(
    sources: str | Path | DataSource | Iterable[str | Path | DataSource],
    chunk_size: int = 100_000,
    *,
    format: InputFormat = "auto",
    labels: bool = True,
    classes: Sequence[object] | int | str | None = None,
    positive_class: str | None = None,
    split_map: str | Sequence[str] | Mapping[object, object] | None = None,
    **options: object,
) -> Iterator[SequenceSet]:
    """Stream one or more inputs as sequence sets of up to ``chunk_size`` records.

    Every chunk has the same ``class_names``. They are the declared
    ``classes``, or the class names of ``CLASS=PATH`` sources in natural
    order. FASTA and HDF5 stores are read in bounded memory. Tables are read
    whole and then cut into chunks, and so are all inputs when their classes
    must be inferred from labels in tables or stores. Labels in FASTA headers need
    declared classes. ``split_map`` and the automatic ids of tables work as
    in :func:`load_sequences`. When the stream ends with every label in one
    class, one warning says so (never one per chunk).

    Raises
    ------
    ConfigError
        For FASTA header labels without declared classes.
    """
    from bioseq.io.fasta import iter_fasta
    from bioseq.io.tables import iter_table

    _check_options(options)
    items = [sources] if isinstance(sources, (str, Path, DataSource)) else list(sources)
    parsed = [DataSource.parse(item) for item in items]
    _check_stores_first(parsed)
    declared = parse_classes(classes)
    if declared is None and labels and parsed and all(s.class_name for s in parsed):
        declared = sorted({s.class_name for s in parsed}, key=natural_key)  # type: ignore[arg-type]
    kinds = [_kind(source, format) for source in parsed]
    # Tables and stores may hold labels, and their classes must be seen in full before indices
    # can be given. They are read whole anyway, so reading everything first costs little.
    labelled_tables = [
        source for source, kind in zip(parsed, kinds, strict=True)
        if kind != "fasta" and source.class_name is None
    ]
    if declared is None and labels and labelled_tables and options.get("task") not in (
        "regression", "multilabel"
    ):
        whole = load_sequences(parsed, format=format, labels=labels, positive_class=positive_class,
                               split_map=split_map, **options)
        yield from _chunks(whole, chunk_size)
        return
    names = [str(i) for i in range(declared)] if isinstance(declared, int) else declared
    final = _ordered_names(names, positive_class)
    mapping = parse_split_map(split_map)
    prefixes = automatic_id_prefixes([source.path for source in parsed])
    alphabet = options.get("alphabet", "auto")
    seen_codes: set[int] = set()
    n_labelled = 0
    last_names: list[str] | None = None
    for source, kind, prefix in zip(parsed, kinds, prefixes, strict=True):
        reader_options = {**options, "alphabet": alphabet}
        if kind in ("csv", "tsv"):
            reader_options["sep"] = "," if kind == "csv" else "\t"
            kind = "table"
        picked = _split_options(kind, reader_options, source)
        use_labels = labels and source.class_name is None
        if kind == "fasta":
            chunks = iter_fasta(source.path, chunk_size, labels=use_labels, classes=declared, **picked)
        elif kind == "store":
            chunks = _store_chunks(source, reader_options, use_labels, final, chunk_size)
        else:
            chunks = iter_table(source.path, chunk_size, labels=use_labels, classes=declared,
                                id_prefix=prefix, **picked)
        for chunk in chunks:
            _map_splits(chunk, mapping, source.path)
            alphabet = chunk.alphabet
            if source.split is not None:
                chunk.splits = np.full(len(chunk), source.split, dtype=object)
            if labels and source.class_name is not None:
                if final is None or source.class_name not in final:
                    raise LabelError(f"{source.path}: class {source.class_name!r} not in classes {names}")
                chunk.labels = np.full(len(chunk), final.index(source.class_name), dtype=np.int64)
                chunk.class_names = list(final)
                chunk.task = "binary" if len(final) <= 2 else "multiclass"  # type: ignore[assignment]
            elif chunk.labels is not None and final is not None and chunk.task in ("binary", "multiclass"):
                order = {name: code for code, name in enumerate(final)}
                remap = np.array([order[name] for name in chunk.class_names or []], dtype=np.int64)
                chunk.labels = remap[chunk.labels]
                chunk.class_names = list(final)
                chunk.task = "binary" if len(final) <= 2 else "multiclass"  # type: ignore[assignment]
            if chunk.labels is not None and chunk.task in ("binary", "multiclass"):
                seen_codes.update(np.unique(chunk.labels).tolist())
                n_labelled += len(chunk)
                last_names = chunk.class_names
            yield chunk
    if n_labelled and len(seen_codes) < 2:
        _warn_single_class(seen_codes, n_labelled, last_names)


def _store_chunks(source: DataSource, options: dict[str, object], labels: bool,
                  classes: list[str] | None, chunk_size: int) -> Iterator[SequenceSet]:
    """Stream a store chunk by chunk, so its codes are never in memory whole."""
    from bioseq.io.store_stream import iter_store

    if source.class_name is not None:
        raise ConfigError(f"{source.path}: CLASS=PATH applies to FASTA and tables, not to HDF5 stores")
    alphabet = options.get("alphabet")
    for chunk in iter_store(source.path, chunk_size, labels=labels,
                            alphabet=None if alphabet in (None, "auto") else alphabet):  # type: ignore[arg-type]
        if classes is not None and chunk.labels is not None and chunk.task in ("binary", "multiclass"):
            present = [str(chunk.class_names[code]) for code in np.unique(chunk.labels)]  # type: ignore[index]
            unknown = [name for name in present if name not in classes]
            if unknown:
                raise LabelError(f"{source.path}: label(s) {unknown} not in classes [{','.join(classes)}]")
            order = {name: code for code, name in enumerate(classes)}
            remap = np.array([order.get(str(name), -1) for name in chunk.class_names or []], dtype=np.int64)
            chunk.labels = remap[chunk.labels]
            chunk.class_names = list(classes)
        yield chunk


def _kind(source: DataSource, format: str) -> str:
    return detect_format(source.path) if format == "auto" else format


def _ordered_names(names: list[str] | None, positive_class: str | None) -> list[str] | None:
    """Move the positive class to index 1 of a two-class list."""
    if names is None or positive_class is None:
        return names
    positive = str(positive_class).strip()
    if positive not in names:
        raise LabelError(f"positive class {positive!r} is not one of the classes [{','.join(names)}]")
    if len(names) != 2:
        raise LabelError(f"positive_class applies to binary tasks only, not to {len(names)} classes")
    return [name for name in names if name != positive] + [positive]


def _chunks(records: SequenceSet, chunk_size: int) -> Iterator[SequenceSet]:
    for start in range(0, len(records), chunk_size):
        yield records.subset(np.arange(start, min(start + chunk_size, len(records))))
