"""Fixed-length code arrays: padding, truncation and tiling of ``uint8`` codes.

Readers store each sequence at its own length. Models with a fixed input
length ``L`` need a ``(N, L)`` array, and this module builds it. The policy
is strict by default:

- A sequence longer than ``L`` raises :class:`~bioseq.errors.SequenceError`
  naming the record, its length and the limit. Truncation (``left``,
  ``right`` or ``center``) or tiling happen only on request.
- A sequence shorter than a fixed ``L`` raises the same way. Padding
  (``right``, ``left`` or ``both``) happens only on request.
- With ``length=None`` every sequence is padded on the right to the longest
  one, which is the usual batch layout and needs no request.

Truncate sides name the end that is cut: ``"right"`` keeps the first ``L``
residues, ``"left"`` keeps the last ``L`` and ``"center"`` keeps the middle
``L`` (an odd surplus residue is cut from the right). Pad sides name where
the padding goes; ``"both"`` splits it, with an odd extra position on the
right. Padding positions hold ``pad_code`` (:data:`~bioseq.alphabet.PAD_CODE`
by default, an all-zero one-hot column) and are False in the mask.

Every change is counted in the ``transforms`` counter when one is passed:
``truncated_records``, ``truncated_residues``, ``padded_records``,
``padded_positions`` and ``tiles``.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numba import prange

from bioseq.alphabet import PAD_CODE
from bioseq.encode._parallel import sized_kernel
from bioseq.errors import SequenceError
from bioseq.sequences import SequenceSet

logger = logging.getLogger(__name__)

PadSide = Literal["right", "left", "both"]
TruncateSide = Literal["right", "left", "center"]
PAD_SIDES: tuple[str, ...] = ("right", "left", "both")
TRUNCATE_SIDES: tuple[str, ...] = ("right", "left", "center")

#: How many offending records an error message lists by id.
_MAX_LISTED = 5


@dataclass(frozen=True)
class LayoutPlan:
    """Placement of each record's residues in a fixed-length row.

    Row ``i`` copies ``n_copy[i]`` residues starting at residue
    ``src_start[i]`` of record ``i`` into columns starting at
    ``dst_start[i]``; every other column is padding.
    """

    length: int
    src_start: np.ndarray
    dst_start: np.ndarray
    n_copy: np.ndarray
    n_truncated: int
    n_truncated_residues: int
    n_padded: int
    n_padded_positions: int


def check_side(value: str | None, allowed: tuple[str, ...], option: str) -> None:
    """Raise ``ValueError`` when ``value`` is neither None nor one of ``allowed``."""
    if value is not None and value not in allowed:
        raise ValueError(f"invalid {option} {value!r}; expected one of {list(allowed)} or None")


def _first_record(ids: np.ndarray, lengths: np.ndarray, rows: np.ndarray) -> str:
    return f"record {ids[rows[0]]!r} is {int(lengths[rows[0]])}"


def _others(ids: np.ndarray, lengths: np.ndarray, rows: np.ndarray) -> str:
    """List the records after the first as ``'id' (length)``, or nothing for one record."""
    if len(rows) < 2:
        return ""
    listed = ", ".join(f"{ids[i]!r} ({int(lengths[i])})" for i in rows[1 : _MAX_LISTED + 1])
    more = len(rows) - 1 - _MAX_LISTED
    return f" ({len(rows)} such records; also {listed}" + (f" and {more} more)" if more > 0 else ")")


def plan_layout(
    lengths: np.ndarray,
    length: int | None,
    *,
    ids: np.ndarray | None = None,
    pad: PadSide | None = None,
    truncate: TruncateSide | None = None,
) -> LayoutPlan:
    """Plan how sequences of the given lengths fit into rows of one length.

    Parameters
    ----------
    lengths : numpy.ndarray of shape (N,), dtype int64
        Length of each record.
    length : int or None
        Fixed row length ``L``; None pads to the longest record.
    ids : numpy.ndarray of shape (N,) or None, default=None
        Record ids for error messages; row numbers are used without them.
    pad : {"right", "left", "both"} or None, default=None
        Where shorter records are padded; None makes them an error when
        ``length`` is set.
    truncate : {"right", "left", "center"} or None, default=None
        Which end of longer records is cut; None makes them an error.

    Returns
    -------
    LayoutPlan

    Raises
    ------
    SequenceError
        If a record is longer than ``length`` and ``truncate`` is None, or
        shorter and ``pad`` is None. The message lists the records.
    """
    check_side(pad, PAD_SIDES, "pad side")
    check_side(truncate, TRUNCATE_SIDES, "truncate side")
    lengths = np.asarray(lengths, dtype=np.int64)
    if ids is None:
        ids = np.array([f"row {i}" for i in range(len(lengths))], dtype=object)
    if length is None:
        target = int(lengths.max()) if len(lengths) else 0
        pad_side: str = "right"
    else:
        if int(length) < 1:
            raise ValueError(f"invalid length {length}; expected a positive number of positions")
        target = int(length)
        pad_side = pad or "right"

    too_long = np.flatnonzero(lengths > target)
    too_short = np.flatnonzero(lengths < target)
    if too_long.size and truncate is None:
        raise SequenceError(
            f"{_first_record(ids, lengths, too_long)} residues long, more than the input length "
            f"{target}{_others(ids, lengths, too_long)}; pass truncate='right', 'left' or "
            "'center' (CLI --truncate) to cut such records"
        )
    if too_short.size and length is not None and pad is None:
        raise SequenceError(
            f"{_first_record(ids, lengths, too_short)} residues long, less than the fixed input "
            f"length {target}{_others(ids, lengths, too_short)}; pass pad='right', 'left' or "
            "'both' (CLI --pad) to pad such records"
        )

    n_copy = np.minimum(lengths, target)
    surplus = np.maximum(lengths - target, 0)
    if truncate == "left":
        src_start = surplus
    elif truncate == "center":
        src_start = surplus // 2
    else:
        src_start = np.zeros_like(surplus)
    shortfall = target - n_copy
    if pad_side == "left":
        dst_start = shortfall
    elif pad_side == "both":
        dst_start = shortfall // 2
    else:
        dst_start = np.zeros_like(shortfall)
    return LayoutPlan(
        length=target,
        src_start=src_start.astype(np.int64),
        dst_start=dst_start.astype(np.int64),
        n_copy=n_copy.astype(np.int64),
        n_truncated=int(too_long.size),
        n_truncated_residues=int(surplus.sum()),
        n_padded=int(too_short.size),
        n_padded_positions=int(shortfall.sum()),
    )


def record_plan(plan: LayoutPlan, transforms: Counter | None, fixed: bool) -> None:
    """Log a plan's truncation and padding and add them to ``transforms``.

    Padding to the longest record (``fixed=False``) is the batch layout and
    is logged at debug level only.
    """
    if plan.n_truncated:
        logger.info("truncated %d record(s) to %d positions (%d residues cut)",
                    plan.n_truncated, plan.length, plan.n_truncated_residues)
    if plan.n_padded:
        log = logger.info if fixed else logger.debug
        log("padded %d record(s) to %d positions (%d padding positions)",
            plan.n_padded, plan.length, plan.n_padded_positions)
    if transforms is not None:
        transforms["truncated_records"] += plan.n_truncated
        transforms["truncated_residues"] += plan.n_truncated_residues
        if fixed:
            transforms["padded_records"] += plan.n_padded
            transforms["padded_positions"] += plan.n_padded_positions


@sized_kernel
def _fill_rows(codes, offsets, src_start, dst_start, n_copy, pad_code, out, mask):  # pragma: no cover
    n_rows, width = out.shape
    for i in prange(n_rows):
        first = dst_start[i]
        last = first + n_copy[i]
        source = offsets[i] + src_start[i]
        for j in range(first):
            out[i, j] = pad_code
            mask[i, j] = False
        for j in range(n_copy[i]):
            out[i, first + j] = codes[source + j]
            mask[i, first + j] = True
        for j in range(last, width):
            out[i, j] = pad_code
            mask[i, j] = False


def to_fixed_length(
    seqs: SequenceSet,
    length: int | None = None,
    *,
    pad: PadSide | None = None,
    truncate: TruncateSide | None = None,
    pad_code: int = PAD_CODE,
    transforms: Counter | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Lay out every sequence in a row of one length, with a mask of residues.

    Parameters
    ----------
    seqs : SequenceSet
        Sequences as flat codes.
    length : int or None, default=None
        Fixed row length ``L``; None pads on the right to the longest record.
    pad : {"right", "left", "both"} or None, default=None
        Where records shorter than a fixed ``length`` are padded; None makes
        them an error.
    truncate : {"right", "left", "center"} or None, default=None
        Which end of records longer than ``length`` is cut; None makes them
        an error.
    pad_code : int, default=PAD_CODE
        Code written at padding positions. ``PAD_CODE`` expands to an
        all-zero one-hot column; ``seqs.alphabet.unknown_code`` pads with N.
    transforms : collections.Counter or None, default=None
        Counter that receives ``truncated_records``, ``truncated_residues``,
        ``padded_records`` and ``padded_positions`` (padding counts only for
        a fixed ``length``).

    Returns
    -------
    codes : numpy.ndarray of shape (N, L), dtype uint8
    mask : numpy.ndarray of shape (N, L), dtype bool
        True at residues, False at padding.

    Raises
    ------
    SequenceError
        If a record is longer than ``length`` without ``truncate``, or
        shorter than a fixed ``length`` without ``pad``; the message names
        the records, their lengths and the limit.

    Examples
    --------
    >>> s = SequenceSet.from_strings(["ACGTAC", "GG"], ids=["long", "short"])
    >>> codes, mask = to_fixed_length(s, 4, pad="right", truncate="center")
    >>> s.alphabet.decode(codes[0]), s.alphabet.decode(codes[1]), mask[1].tolist()
    ('CGTA', 'GG--', [True, True, False, False])
    """
    plan = plan_layout(seqs.lengths, length, ids=seqs.ids, pad=pad, truncate=truncate)
    record_plan(plan, transforms, fixed=length is not None)
    out = np.empty((len(seqs), plan.length), dtype=np.uint8)
    mask = np.empty((len(seqs), plan.length), dtype=bool)
    if len(seqs):
        _fill_rows.run(out.size, seqs.codes, seqs.offsets, plan.src_start, plan.dst_start, plan.n_copy,
                   np.uint8(pad_code), out, mask)
    return out, mask


def tile_codes(
    seqs: SequenceSet,
    length: int,
    *,
    stride: int | None = None,
    pad: PadSide | None = None,
    pad_code: int = PAD_CODE,
    transforms: Counter | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut every sequence into windows of ``length`` residues.

    Windows start at ``0, stride, 2 * stride, ...``; a record's last window
    is moved left to end at the record's end, so no residue is lost and no
    window runs past the end. A record shorter than ``length`` yields one
    window, padded as ``pad`` says.

    Parameters
    ----------
    seqs : SequenceSet
    length : int
        Window length ``L``.
    stride : int or None, default=None
        Step between window starts; None means ``length`` (no overlap).
    pad : {"right", "left", "both"} or None, default=None
        Padding of records shorter than ``length``; None makes them an error.
    pad_code : int, default=PAD_CODE
    transforms : collections.Counter or None, default=None
        Receives ``tiled_records`` (records cut into more than one window),
        ``tiles`` (windows written) and the padding counts.

    Returns
    -------
    codes : numpy.ndarray of shape (M, L), dtype uint8
    mask : numpy.ndarray of shape (M, L), dtype bool
    record : numpy.ndarray of shape (M,), dtype int64
        Index of the record each window came from.

    Examples
    --------
    >>> s = SequenceSet.from_strings(["AACCGGT"])
    >>> codes, mask, record = tile_codes(s, 3)
    >>> [s.alphabet.decode(row) for row in codes], record.tolist()
    (['AAC', 'CGG', 'GGT'], [0, 0, 0])
    """
    stride = length if stride is None else int(stride)
    if stride < 1:
        raise ValueError(f"invalid stride {stride}; expected a positive number of residues")
    lengths = seqs.lengths
    # Number of windows: enough starts to reach the end, at least one.
    n_windows = np.maximum(1, -(-(np.maximum(lengths, length) - length) // stride) + 1)
    record = np.repeat(np.arange(len(seqs), dtype=np.int64), n_windows)
    first_window = np.repeat(np.cumsum(n_windows) - n_windows, n_windows)
    window_index = np.arange(len(record), dtype=np.int64) - first_window
    window_lengths = np.minimum(lengths[record], length)
    src_start = np.minimum(window_index * stride, lengths[record] - window_lengths)

    plan = plan_layout(window_lengths, length, ids=seqs.ids[record], pad=pad, truncate=None)
    record_plan(plan, transforms, fixed=True)
    n_tiled = int((n_windows > 1).sum())
    if n_tiled:
        logger.info("tiled %d record(s) into %d windows of %d positions (stride %d)",
                    n_tiled, int(n_windows[n_windows > 1].sum()), length, stride)
    if transforms is not None:
        transforms["tiled_records"] += n_tiled
        transforms["tiles"] += len(record)

    out = np.empty((len(record), length), dtype=np.uint8)
    mask = np.empty((len(record), length), dtype=bool)
    if len(record):
        offsets = seqs.offsets[record]
        _fill_rows.run(out.size, seqs.codes, offsets, src_start, plan.dst_start, plan.n_copy,
                   np.uint8(pad_code), out, mask)
    return out, mask, record
