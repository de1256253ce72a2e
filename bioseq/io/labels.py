"""Turn label text read from files into class indices, 0/1 matrices or values.

Readers collect labels as text together with the file and line each came
from (:class:`RawLabels`); :func:`encode_labels` then infers or checks the
classes and builds the ``labels`` array of a :class:`~bioseq.sequences.SequenceSet`.

Rules:

- Class order is natural: numeric class names sort by value (``2`` before
  ``10``), then the others alphabetically. Declared classes keep the order in
  which they were declared.
- A binary task's positive class is ``class_names[1]``. By default that is the
  second class in the order above; ``positive_class`` moves the named class
  there.
- Labels are compared as text after stripping surrounding whitespace, so the
  classes read from ``0`` and ``1`` stay ``"0"`` and ``"1"``. Inferred
  classes that spell one number in several ways (``1`` and ``1.0``) are an
  error that lists the spellings and their rows, because they would become
  separate classes.
- A blank label is an error naming the file and line, unless
  ``missing="drop"``, which drops the record and counts it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from bioseq.errors import LabelError

logger = logging.getLogger(__name__)

MissingPolicy = Literal["error", "drop"]
MISSING_POLICIES = ("error", "drop")
#: Above this many inferred classes, a numeric column is probably a regression target.
MANY_CLASSES_WARNING = 100


@dataclass
class RawLabels:
    """Label text of N records with the file and line each came from.

    Parameters
    ----------
    values : numpy.ndarray of shape (N,) or (N, K), dtype object
        Label text; ``""`` marks a missing label. ``K`` columns for
        multilabel or multi-target regression.
    lines : numpy.ndarray of shape (N,), dtype int64
        1-based line of each record in its file (table row or FASTA header).
    sources : numpy.ndarray of shape (N,), dtype object
        File name of each record, for messages.
    columns : list of str or None
        Column names when ``values`` has K columns.
    """

    values: np.ndarray
    lines: np.ndarray
    sources: np.ndarray
    columns: list[str] | None = None
    fixed_classes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.lines)

    def where(self, index: int) -> str:
        """Return ``file:line`` of record ``index``."""
        return f"{self.sources[index]}:{int(self.lines[index])}"


def concat_raw_labels(parts: Sequence[RawLabels]) -> RawLabels:
    """Join the raw labels of several files in order.

    Raises
    ------
    LabelError
        If the parts have different label columns.
    """
    columns = parts[0].columns
    for part in parts[1:]:
        if part.columns != columns:
            raise LabelError(
                f"label columns differ between inputs: {columns} in {parts[0].sources[:1].tolist()} "
                f"and {part.columns} in {part.sources[:1].tolist()}; use the same label columns in every file"
            )
    fixed: list[str] = []
    for part in parts:
        fixed.extend(name for name in part.fixed_classes if name not in fixed)
    return RawLabels(
        values=np.concatenate([part.values for part in parts]),
        lines=np.concatenate([part.lines for part in parts]),
        sources=np.concatenate([part.sources for part in parts]),
        columns=columns,
        fixed_classes=fixed,
    )


def natural_key(name: str) -> tuple[int, float, str]:
    """Sort key that orders numeric class names by value and puts them first.

    Examples
    --------
    >>> sorted(["10", "2", "b", "a", "1.5"], key=natural_key)
    ['1.5', '2', '10', 'a', 'b']
    """
    try:
        value = float(name)
    except ValueError:
        return (1, 0.0, name)
    if math.isnan(value):
        return (1, 0.0, name)
    return (0, value, name)


def numeric_collisions(names: Sequence[str]) -> list[list[str]]:
    """Group class names that are different spellings of the same number.

    Examples
    --------
    >>> numeric_collisions(["0", "0.0", "1", "1.0", "2", "a"])
    [['0', '0.0'], ['1', '1.0']]
    """
    groups: dict[float, list[str]] = {}
    for name in names:
        key = natural_key(name)
        if key[0] == 0:
            groups.setdefault(key[1], []).append(name)
    return [sorted(group, key=natural_key) for _, group in sorted(groups.items()) if len(group) > 1]


def parse_classes(classes: Sequence[object] | int | str | None) -> list[str] | int | None:
    """Normalise declared classes: a list of names, a class count, or None.

    A string is split on commas (the command-line form ``0,1,2``), except
    that a string of one whole number is a class count (``"3"`` means the
    classes ``0``, ``1`` and ``2``, because one declared class is never useful).
    Numbers in a list become their text (``0`` becomes ``"0"``).

    Examples
    --------
    >>> parse_classes("a, b")
    ['a', 'b']
    >>> parse_classes([0, 1, 2])
    ['0', '1', '2']
    >>> parse_classes(3), parse_classes("3")
    (3, 3)
    """
    if classes is None:
        return None
    if isinstance(classes, bool):
        raise LabelError(f"invalid classes {classes!r}; give a list of class names or a class count")
    if isinstance(classes, int):
        if classes < 1:
            raise LabelError(f"invalid class count {classes}; expected 1 or more")
        return classes
    if isinstance(classes, str) and classes.strip().isdigit():
        return parse_classes(int(classes.strip()))
    if isinstance(classes, str):
        items: list[object] = [item for item in classes.split(",")]
    else:
        items = list(classes)
    names = [_class_text(item) for item in items]
    names = [name for name in names if name != ""]
    if not names:
        raise LabelError(f"invalid classes {classes!r}: no class names given")
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise LabelError(f"declared classes repeat {duplicates}; list each class once")
    return names


def _class_text(item: object) -> str:
    if isinstance(item, float) and item.is_integer():
        return str(int(item))
    return str(item).strip()


def _format_classes(names: Sequence[str]) -> str:
    return "[" + ",".join(names) + "]"


def _describe_rows(raw: RawLabels, rows: np.ndarray, limit: int = 5) -> str:
    shown = ", ".join(raw.where(int(row)) for row in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return shown + more


def encode_labels(
    raw: RawLabels,
    *,
    task: str | None = None,
    classes: Sequence[object] | int | str | None = None,
    positive_class: str | None = None,
    missing: MissingPolicy = "error",
) -> tuple[np.ndarray, list[str], str, np.ndarray]:
    """Infer or check the classes and encode label text as arrays.

    Parameters
    ----------
    raw : RawLabels
        Label text with file and line of each record.
    task : {"binary", "multiclass", "multilabel", "regression"} or None, default=None
        None infers it: several label columns give multilabel (values 0/1);
        one column gives binary for up to two classes, multiclass otherwise.
    classes : list of str, int or None, default=None
        Declared classes (in this order) or a class count K, which allows
        the integer labels ``0`` to ``K-1``. None infers the classes from the
        labels in natural order.
    positive_class : str or None, default=None
        Binary only: the class that becomes index 1.
    missing : {"error", "drop"}, default="error"
        What a blank label does.

    Returns
    -------
    labels : numpy.ndarray
        ``(N',)`` int64 class indices, ``(N', K)`` float32 for multilabel, or
        float32 values for regression; N' counts the records kept.
    class_names : list of str
        Class of each index (label column names for multilabel and
        regression).
    task : str
        The task, inferred or as given.
    keep : numpy.ndarray of shape (N,), dtype bool
        Records kept (False where ``missing="drop"`` removed a blank label).

    Raises
    ------
    LabelError
        For a blank label (``file:line: missing label``), a label outside
        the declared classes (listing every unknown value), an integer label
        out of range for a class count, or a value that is not 0/1 or numeric
        where the task needs it.

    Examples
    --------
    >>> raw = RawLabels(np.array(["b", "a", "b"], dtype=object), np.array([2, 3, 4]),
    ...                 np.array(["t.csv"] * 3, dtype=object))
    >>> labels, names, task, keep = encode_labels(raw)
    >>> labels.tolist(), names, task
    ([1, 0, 1], ['a', 'b'], 'binary')
    """
    if missing not in MISSING_POLICIES:
        raise LabelError(f"invalid missing-label policy {missing!r}; choose one of {list(MISSING_POLICIES)}")
    values = np.asarray(raw.values, dtype=object)
    values = np.vectorize(lambda text: str(text).strip(), otypes=[object])(values) if values.size else values
    blank = values == "" if values.ndim == 1 else (values == "").any(axis=1)
    keep = ~blank
    if blank.any():
        rows = np.flatnonzero(blank)
        if missing == "error":
            raise LabelError(
                f"{raw.where(int(rows[0]))}: missing label ({len(rows)} records without a label: "
                f"{_describe_rows(raw, rows)}); fill them in or drop them with "
                "missing_labels='drop' (--drop-missing-labels)"
            )
        logger.info("dropped %d records without a label (first at %s)", len(rows), raw.where(int(rows[0])))
    kept_rows = np.flatnonzero(keep)
    values = values[keep]

    multi = values.ndim == 2 and values.shape[1] > 1
    if values.ndim == 2 and not multi:
        values = values[:, 0]
    if task is None:
        task = "multilabel" if multi else None
    if task == "regression":
        return _encode_regression(raw, values, kept_rows), _value_names(raw, values), task, keep
    if task == "multilabel":
        return _encode_multilabel(raw, values, kept_rows), _value_names(raw, values), task, keep
    if multi:
        raise LabelError(
            f"task {task!r} takes one label column, got {values.shape[1]} ({raw.columns}); "
            "use task='multilabel' or 'regression' for several columns"
        )
    if task not in (None, "binary", "multiclass"):
        raise LabelError(
            f"unknown task {task!r}; choose one of ['binary', 'multiclass', 'multilabel', 'regression']"
        )
    return _encode_classes(raw, values, kept_rows, task, classes, positive_class, keep)


def _value_names(raw: RawLabels, values: np.ndarray) -> list[str]:
    if raw.columns:
        return list(raw.columns)
    return ["value"] if values.ndim == 1 else [f"value{i}" for i in range(values.shape[1])]


def _encode_regression(raw: RawLabels, values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    out = np.empty(values.shape, dtype=np.float32)
    flat_in = values.reshape(len(values), -1)
    flat_out = out.reshape(len(values), -1)
    for i in range(flat_in.shape[0]):
        for j in range(flat_in.shape[1]):
            text = flat_in[i, j]
            try:
                flat_out[i, j] = float(text)
            except ValueError:
                column = f" in column {raw.columns[j]!r}" if raw.columns else ""
                raise LabelError(
                    f"{raw.where(int(rows[i]))}: regression target {text!r}{column} is not a number"
                ) from None
    return out


def _encode_multilabel(raw: RawLabels, values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    if values.ndim == 1:
        values = values[:, None]
    out = np.zeros(values.shape, dtype=np.float32)
    for j in range(values.shape[1]):
        column = values[:, j]
        ones = np.isin(column, ["1", "1.0", "true", "True", "TRUE"])
        zeros = np.isin(column, ["0", "0.0", "false", "False", "FALSE"])
        bad = np.flatnonzero(~(ones | zeros))
        if bad.size:
            name = raw.columns[j] if raw.columns else str(j)
            found = sorted({str(v) for v in column[bad]})[:5]
            raise LabelError(
                f"{raw.where(int(rows[bad[0]]))}: multilabel column {name!r} contains {found}; "
                "multilabel columns take 0 or 1"
            )
        out[:, j] = ones
    return out


def _encode_classes(
    raw: RawLabels,
    values: np.ndarray,
    rows: np.ndarray,
    task: str | None,
    classes: Sequence[object] | int | str | None,
    positive_class: str | None,
    keep: np.ndarray,
) -> tuple[np.ndarray, list[str], str, np.ndarray]:
    declared = parse_classes(classes)
    present = sorted({str(v) for v in values}, key=natural_key)
    if isinstance(declared, int):
        names = [str(i) for i in range(declared)]
        _check_known(raw, values, rows, names, f"0..{declared - 1} ({declared} classes)")
    elif declared is not None:
        names = list(declared)
        _check_known(raw, values, rows, names, _format_classes(names))
    else:
        names = sorted(set(present) | set(raw.fixed_classes), key=natural_key)
        _check_spellings(raw, values, rows, names)
        if len(names) > MANY_CLASSES_WARNING:
            logger.warning(
                "%d distinct labels found; if the labels are numeric targets, pass task='regression'",
                len(names),
            )
    if task is None:
        task = "binary" if len(names) <= 2 else "multiclass"
    if task == "binary" and len(names) > 2:
        raise LabelError(
            f"task 'binary' needs 2 classes, found {len(names)}: {_format_classes(names)}; "
            "use task='multiclass' or declare two classes"
        )
    if len(present) < 2 and declared is None:
        # With declared classes the caller may pass one chunk or one file of several, so the
        # loader checks the whole data set instead.
        logger.warning("the labels hold a single class %s", present)
    if positive_class is not None:
        positive = _class_text(positive_class)
        if task != "binary":
            raise LabelError(f"positive_class applies to binary tasks only, not {task!r}")
        if positive not in names:
            raise LabelError(
                f"positive class {positive!r} is not one of the classes {_format_classes(names)}"
            )
        names = [name for name in names if name != positive] + [positive]
    index = {name: code for code, name in enumerate(names)}
    labels = np.fromiter((index[str(v)] for v in values), dtype=np.int64, count=len(values))
    return labels, names, task, keep


def _check_spellings(raw: RawLabels, values: np.ndarray, rows: np.ndarray, names: list[str]) -> None:
    """Reject labels that spell one number in several ways, such as ``1`` and ``1.0``."""
    collisions = numeric_collisions(names)
    if not collisions:
        return
    details = []
    for group in collisions:
        for name in group:
            at = rows[values == name]
            details.append(f"{name!r} ({len(at)} records: {_describe_rows(raw, at, 3)})")
    spelled = "; ".join(" and ".join(repr(name) for name in group) for group in collisions)
    raise LabelError(
        f"labels spell the same number in several ways ({spelled}), which would make them "
        f"different classes: {'; '.join(details)}. Write each class one way in the files "
        "(for example 1 and 0, not also 1.0 and 0.0)"
    )


def _check_known(
    raw: RawLabels, values: np.ndarray, rows: np.ndarray, names: list[str], shown: str
) -> None:
    known = np.isin(values.astype(str), np.asarray(names, dtype=str))
    if known.all():
        return
    bad = np.flatnonzero(~known)
    unknown = sorted({str(v) for v in values[bad]}, key=natural_key)
    details = []
    for value in unknown:
        at = rows[bad[values[bad] == value]]
        details.append(f"{value!r} ({len(at)} records: {_describe_rows(raw, at, 3)})")
    first = int(rows[bad[0]])
    raise LabelError(
        f"{raw.where(first)}: label {str(values[bad[0]])!r} not in classes {shown}; "
        f"unknown labels: {'; '.join(details)}. Fix the labels or declare every class"
    )
