"""k-mer counts, frequencies and tokens from ``uint8`` codes.

Column and token order: k-mer ``s`` has index
``sum(code(s[j]) * A ** (k - 1 - j))``, so columns follow the alphabet's
letter order (``AAA``, ``AAC``, ... for DNA); :func:`kmer_names` lists them.

Rules shared by the counters and the tokenizer:

- A k-mer is read at every ``stride``-th start: ``0, stride, 2 * stride``.
  With ``stride=1`` a record of length ``n >= k`` has ``n - k + 1`` k-mers.
- A k-mer that contains an ambiguity code (N, R, X, ...) is skipped by the
  counters and becomes ``[UNK]`` in the tokenizer. The counters report how
  many were skipped (``kmers_skipped_ambiguous``).
- Case never matters because ``a`` and ``A`` share a code.
- A record shorter than ``k`` has no k-mer. The counters give it an all-zero
  row and warn with its id (``short="warn"``, the default) or raise
  (``short="error"``).
- ``canonical=True`` (DNA or RNA) counts a k-mer and its reverse complement
  in the column of whichever of the two comes first; the other column stays
  zero, so the width is still ``A ** k``.
"""

from __future__ import annotations

import itertools
import logging
import warnings
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
from numba import njit, prange
from numba.cpython.unsafe.numbers import trailing_zeros
from scipy import sparse as sp

from bioseq.alphabet import Alphabet, get_alphabet
from bioseq.encode._parallel import sized_kernel
from bioseq.errors import BioseqWarning, SequenceError
from bioseq.sequences import SequenceSet

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

ShortPolicy = Literal["warn", "error"]

#: Largest ``A ** k`` of a dense count matrix; larger vocabularies need ``sparse=True``.
MAX_DENSE_FEATURES = 4**8
#: Largest ``A ** k`` for which sparse counting uses a per-thread dense scratch row.
_MAX_SCRATCH_FEATURES = 4**10
_MAX_LISTED = 5


def _as_set(data: SequenceSet | str | Sequence[str], alphabet: str | Alphabet) -> SequenceSet:
    if isinstance(data, SequenceSet):
        return data
    texts = [data] if isinstance(data, str) else list(data)
    return SequenceSet.from_strings(texts, alphabet=alphabet)


def _check_k(k: int, stride: int, alpha: Alphabet, canonical: bool) -> None:
    if not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"invalid k {k!r}; expected a positive integer")
    if alpha.size ** k >= 2**62:
        raise ValueError(f"k={k} is too large for the {alpha.name} alphabet "
                         f"({alpha.size}**{k} k-mers do not fit in 62 bits)")
    if not isinstance(stride, int | np.integer) or stride < 1:
        raise ValueError(f"invalid stride {stride!r}; expected a positive integer")
    if canonical and not alpha.is_nucleic:
        raise ValueError("canonical k-mers need a DNA or RNA alphabet, not protein")


def kmer_names(k: int, alphabet: str | Alphabet = "dna") -> list[str]:
    """List the k-mers in column order.

    Examples
    --------
    >>> kmer_names(2)[:5]
    ['AA', 'AC', 'AG', 'AT', 'CA']
    """
    alpha = get_alphabet(alphabet)
    return ["".join(letters) for letters in itertools.product(alpha.letters, repeat=k)]


def warn_short(seqs: SequenceSet, k: int, short: ShortPolicy = "warn",
               transforms: Counter | None = None) -> np.ndarray:
    """Report records shorter than ``k`` by id and return their row numbers.

    Raises
    ------
    SequenceError
        If any record is shorter than ``k`` and ``short="error"``.
    """
    if short not in ("warn", "error"):
        raise ValueError(f"invalid short-record policy {short!r}; expected 'warn' or 'error'")
    rows = np.flatnonzero(seqs.lengths < k)
    if not rows.size:
        return rows
    listed = ", ".join(f"{seqs.ids[i]!r} ({int(seqs.lengths[i])})" for i in rows[:_MAX_LISTED])
    more = f" and {rows.size - _MAX_LISTED} more" if rows.size > _MAX_LISTED else ""
    if short == "error":
        raise SequenceError(
            f"{rows.size} record(s) shorter than k={k} have no k-mers: {listed}{more}; "
            "remove them, lower k, or pass short='warn' (CLI --short warn) for all-zero rows"
        )
    message = (f"{rows.size} record(s) shorter than k={k} have no k-mers and get all-zero "
               f"rows: {listed}{more}")
    logger.warning(message)
    warnings.warn(message, BioseqWarning, stacklevel=3)
    seqs.flagged.setdefault(f"shorter_than_k{k}", []).extend(str(seqs.ids[i]) for i in rows)
    if transforms is not None:
        transforms["records_shorter_than_k"] += int(rows.size)
    return rows


@njit(inline="always")
def _next_index(index, rc, code, k, n_letters, size, rc_shift):  # pragma: no cover
    """Roll the forward and reverse-complement k-mer indices by one residue."""
    if n_letters == 4:
        index = ((index << 2) | code) & (size - 1)
        rc = (rc >> 2) | ((3 - code) << rc_shift)
    else:
        index = (index * n_letters + code) % size
    return index, rc


@sized_kernel
def _count_dense(codes, offsets, k, stride, n_letters, canonical, out, n_skipped):  # pragma: no cover
    size = out.shape[1]
    rc_shift = 2 * (k - 1)
    for i in prange(out.shape[0]):
        start = offsets[i]
        n = offsets[i + 1] - start
        index = 0
        rc = 0
        run = 0
        next_end = k - 1
        skipped = 0
        for p in range(n):
            code = codes[start + p]
            if code >= n_letters:
                run = 0
                code = 0
            else:
                run += 1
            index, rc = _next_index(index, rc, code, k, n_letters, size, rc_shift)
            if p == next_end:
                next_end += stride
                if run >= k:
                    column = min(index, rc) if canonical else index
                    out[i, column] += 1
                else:
                    skipped += 1
        n_skipped[i] = skipped


@sized_kernel
def _count_sparse(codes, offsets, k, stride, n_letters, size, canonical, buffer_start,
                  columns, counts, n_unique, n_skipped, n_blocks, use_scratch):  # pragma: no cover
    """Write each block's rows of sorted distinct k-mers and counts, packed, into the buffers.

    Rows are split into ``n_blocks`` blocks of consecutive rows. A block's
    rows are written one after the other from the buffer start of its first
    row, so only the blocks, not the rows, need moving afterwards. The number
    of entries of each row goes to ``n_unique``. A row never needs more than
    its own buffer part (``buffer_start[i]`` to ``buffer_start[i + 1]``), and
    it starts at or before that part, so it never overwrites a later row.

    With a scratch row (``use_scratch``), counts accumulate there. When the
    row has more windows than ``size / 4``, the whole scratch row is scanned
    in order. With fewer windows, but more than ``size / 256``, a bit set of
    the touched columns is walked in order. Otherwise the touched columns
    are sorted. Without a scratch row every k-mer is written out, sorted and
    merged. Each row's buffer part has one slack slot for the scan.
    """
    n_rows = len(offsets) - 1
    rc_shift = 2 * (k - 1)
    per_block = (n_rows + n_blocks - 1) // n_blocks
    n_words = (size + 63) // 64
    bit = np.uint64(1)
    for block in prange(n_blocks):
        scratch = np.zeros(size if use_scratch else 1, dtype=np.int32)
        bits = np.zeros(n_words if use_scratch else 1, dtype=np.uint64)
        first_row = block * per_block
        cursor = buffer_start[min(first_row, n_rows)]
        for i in range(first_row, min(n_rows, (block + 1) * per_block)):
            start = offsets[i]
            n = offsets[i + 1] - start
            base = cursor
            n_slots = buffer_start[i + 1] - buffer_start[i]
            use_scan = use_scratch and size <= 4 * n_slots
            use_bits = use_scratch and not use_scan and n_words <= 4 * n_slots
            index = 0
            rc = 0
            run = 0
            next_end = k - 1
            skipped = 0
            found = 0
            for p in range(n):
                code = codes[start + p]
                if code >= n_letters:
                    run = 0
                    code = 0
                else:
                    run += 1
                index, rc = _next_index(index, rc, code, k, n_letters, size, rc_shift)
                if p == next_end:
                    next_end += stride
                    if run >= k:
                        column = min(index, rc) if canonical else index
                        if use_scan:
                            scratch[column] += 1
                        elif use_bits:
                            scratch[column] += 1
                            bits[column >> 6] |= bit << np.uint64(column & 63)
                        elif use_scratch:
                            if scratch[column] == 0:
                                columns[base + found] = column
                                found += 1
                            scratch[column] += 1
                        else:
                            columns[base + found] = column
                            found += 1
                    else:
                        skipped += 1
            n_skipped[i] = skipped
            unique = 0
            if use_scan:
                # Branch-free: every column is written at `unique`, which advances only
                # for a non-zero count, so the last write may land in the slack slot.
                for column in range(size):
                    value = scratch[column]
                    columns[base + unique] = column
                    counts[base + unique] = value
                    unique += value != 0
                    scratch[column] = 0
            elif use_bits:
                for word_index in range(n_words):
                    word = bits[word_index]
                    while word:
                        column = word_index * 64 + np.int64(trailing_zeros(word))
                        columns[base + unique] = column
                        counts[base + unique] = scratch[column]
                        scratch[column] = 0
                        unique += 1
                        word &= word - bit
                    bits[word_index] = 0
            elif use_scratch:
                row = columns[base : base + found]
                row.sort()
                for j in range(found):
                    counts[base + j] = scratch[row[j]]
                    scratch[row[j]] = 0
                unique = found
            else:
                row = columns[base : base + found]
                row.sort()
                for j in range(found):
                    column = row[j]
                    if unique > 0 and row[unique - 1] == column:
                        counts[base + unique - 1] += 1
                    else:
                        row[unique] = column
                        counts[base + unique] = 1
                        unique += 1
            n_unique[i] = unique
            cursor += unique


@njit(cache=True)
def _compact_blocks(columns, counts, buffer_start, indptr, per_block):  # pragma: no cover
    """Move each block's packed entries left so the rows become contiguous CSR arrays.

    A block never starts later in the CSR arrays than in the buffers
    (``indptr[first] <= buffer_start[first]``), so a left-to-right pass is safe.
    """
    n_rows = len(indptr) - 1
    for first in range(0, n_rows, per_block):
        last = min(n_rows, first + per_block)
        source = buffer_start[first]
        target = indptr[first]
        if source == target:
            continue
        for j in range(indptr[last] - target):
            columns[target + j] = columns[source + j]
            counts[target + j] = counts[source + j]


def kmer_counts(
    data: SequenceSet | str | Sequence[str],
    k: int,
    *,
    alphabet: str | Alphabet = "dna",
    stride: int = 1,
    canonical: bool = False,
    sparse: bool = False,
    short: ShortPolicy = "warn",
    dtype: str | np.dtype = "int32",
    transforms: Counter | None = None,
) -> np.ndarray | sp.csr_matrix:
    """Count the k-mers of each sequence.

    Parameters
    ----------
    data : SequenceSet, str or sequence of str
        Sequences; strings are read with ``alphabet``.
    k : int
        k-mer size. Dense output allows ``A ** k`` up to 65,536 columns (k=8
        for DNA); sparse output allows any k with ``A ** k < 2 ** 62``.
    alphabet : str or Alphabet, default="dna"
        Alphabet of string input; a SequenceSet carries its own.
    stride : int, default=1
        Step between k-mer starts.
    canonical : bool, default=False
        Count each k-mer together with its reverse complement (DNA, RNA).
    sparse : bool, default=False
        Return a ``scipy.sparse.csr_matrix`` with sorted column indices.
    short : {"warn", "error"}, default="warn"
        Records shorter than ``k``: an all-zero row and a
        :class:`~bioseq.errors.BioseqWarning` naming them, or an error.
    dtype : str or numpy.dtype, default="int32"
        Count type.
    transforms : collections.Counter or None, default=None
        Receives ``kmers_skipped_ambiguous`` and ``records_shorter_than_k``.

    Returns
    -------
    numpy.ndarray or scipy.sparse.csr_matrix of shape (N, A ** k)

    Raises
    ------
    SequenceError
        For a record shorter than ``k`` with ``short="error"``.
    ValueError
        For an invalid ``k`` or ``stride``, canonical protein k-mers, or a
        dense matrix wider than 65,536 columns.

    Examples
    --------
    >>> kmer_counts("ACG", 1).tolist()
    [[1, 1, 1, 0]]
    >>> int(kmer_counts("ACGTA", 3).sum())
    3
    """
    seqs = _as_set(data, alphabet)
    alpha = seqs.alphabet
    _check_k(k, stride, alpha, canonical)
    size = alpha.size**k
    if not sparse and size > MAX_DENSE_FEATURES:
        raise ValueError(
            f"a dense count matrix for k={k} would have {size} columns (limit "
            f"{MAX_DENSE_FEATURES}); pass sparse=True (CLI --sparse) or a smaller k"
        )
    warn_short(seqs, k, short, transforms)
    n_rows = len(seqs)
    n_skipped = np.zeros(n_rows, dtype=np.int64)
    if not sparse:
        out = np.zeros((n_rows, size), dtype=dtype)
        if n_rows:
            _count_dense.run(len(seqs.codes), seqs.codes, seqs.offsets, k, stride, alpha.size, canonical, out,
                         n_skipped)
    else:
        out = _sparse_counts(seqs, k, stride, canonical, size, dtype, n_skipped)
    _report_skipped(n_skipped, transforms)
    return out


def _sparse_counts(seqs: SequenceSet, k: int, stride: int, canonical: bool, size: int,
                   dtype: str | np.dtype, n_skipped: np.ndarray) -> sp.csr_matrix:
    lengths = seqs.lengths
    n_windows = np.where(lengths >= k, (lengths - k) // stride + 1, 0)
    buffer_start = np.zeros(len(seqs) + 1, dtype=np.int64)
    # A row has at most min(windows, A**k) distinct k-mers, plus one slack slot.
    np.cumsum(np.minimum(n_windows, size) + 1, out=buffer_start[1:])
    n_entries = int(buffer_start[-1])
    index_dtype = np.int32 if size < 2**31 and n_entries < 2**31 else np.int64
    columns = np.empty(n_entries, dtype=index_dtype)
    counts = np.empty(n_entries, dtype=dtype)
    n_unique = np.zeros(len(seqs), dtype=np.int64)
    # One block on one thread packs every row in place; several threads need several blocks,
    # which are moved together afterwards.
    n_blocks = min(len(seqs), 64) if _count_sparse.is_parallel(len(seqs.codes)) else 1
    per_block = max(1, -(-len(seqs) // max(n_blocks, 1)))
    if len(seqs):
        _count_sparse.run(len(seqs.codes), seqs.codes, seqs.offsets, k, stride, seqs.alphabet.size,
                          size, canonical, buffer_start, columns, counts, n_unique, n_skipped,
                          n_blocks, size <= _MAX_SCRATCH_FEATURES)
    indptr = np.zeros(len(seqs) + 1, dtype=np.int64)
    np.cumsum(n_unique, out=indptr[1:])
    _compact_blocks(columns, counts, buffer_start, indptr, per_block)
    n_stored = int(indptr[-1])
    indices, data = columns[:n_stored], counts[:n_stored]
    if n_stored < 0.75 * n_entries:
        # Release the unused part of the buffers.
        indices, data = indices.copy(), data.copy()
    matrix = sp.csr_matrix((data, indices, indptr.astype(index_dtype)), shape=(len(seqs), size))
    matrix.has_sorted_indices = True
    return matrix


def _report_skipped(n_skipped: np.ndarray, transforms: Counter | None) -> None:
    total = int(n_skipped.sum())
    if total:
        logger.info("skipped %d k-mer(s) with ambiguity codes in %d record(s)",
                    total, int(np.count_nonzero(n_skipped)))
    if transforms is not None:
        transforms["kmers_skipped_ambiguous"] += total


def kmer_frequencies(
    data: SequenceSet | str | Sequence[str],
    k: int,
    **options: object,
) -> np.ndarray | sp.csr_matrix:
    """Compute k-mer frequencies: counts divided by each row's total.

    Takes the options of :func:`kmer_counts` (``dtype`` excepted) and
    returns float32. A row without k-mers stays all-zero.

    Examples
    --------
    >>> kmer_frequencies("AACG", 1).tolist()
    [[0.5, 0.25, 0.25, 0.0]]
    """
    counts = kmer_counts(data, k, dtype="float32", **options)  # type: ignore[arg-type]
    totals = np.asarray(counts.sum(axis=1), dtype=np.float32).reshape(-1)
    if sp.issparse(counts):
        scale = np.divide(1.0, totals, out=np.zeros_like(totals), where=totals > 0)
        return sp.csr_matrix(sp.diags(scale) @ counts, dtype=np.float32)
    np.divide(counts, totals[:, None], out=counts, where=totals[:, None] > 0)
    return counts


# --- Torch path used by encode_batch ------------------------------------------------------


def _window_indices(codes: torch.Tensor, mask: torch.Tensor, k: int, stride: int,
                    n_letters: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Return each window's k-mer index and two masks: within the residues, free of ambiguity codes."""
    import torch

    # (N, L) -> (N, W, k) windows of k codes, W = (L - k) // stride + 1.
    windows = codes.long().unfold(1, k, stride)
    inside = mask.unfold(1, k, stride).all(dim=-1)
    unambiguous = (windows < n_letters).all(dim=-1)
    powers = n_letters ** torch.arange(k - 1, -1, -1, device=codes.device)
    index = (windows.clamp(max=n_letters - 1) * powers).sum(dim=-1)
    return index, inside, unambiguous


def kmer_frequencies_torch(
    codes: torch.Tensor,
    *,
    k: int,
    stride: int = 1,
    n_letters: int = 4,
    canonical: bool = False,
) -> torch.Tensor:
    """Compute k-mer frequencies ``(N, A ** k)`` from a batch of codes on its device.

    Padding (``PAD_CODE``) and ambiguity codes are both codes ``>= A``, so
    the windows that touch them are skipped, as in :func:`kmer_frequencies`.

    Returns
    -------
    torch.Tensor of shape (N, A ** k), dtype float32
    """
    import torch

    n_rows, width = codes.shape
    size = n_letters**k
    counts = torch.zeros((n_rows, size), dtype=torch.float32, device=codes.device)
    if width < k:
        return counts
    residues = codes < n_letters
    index, _, unambiguous = _window_indices(codes, residues, k, stride, n_letters)
    if canonical:
        windows = codes.long().unfold(1, k, stride).clamp(max=n_letters - 1)
        powers = n_letters ** torch.arange(k - 1, -1, -1, device=codes.device)
        # Reverse complement: complement each code (a -> A - 1 - a), then reverse the window.
        reverse = ((n_letters - 1 - windows).flip(-1) * powers).sum(dim=-1)
        index = torch.minimum(index, reverse)
    counts.scatter_add_(1, index, unambiguous.float())
    totals = counts.sum(dim=1, keepdim=True).clamp(min=1.0)
    return counts / totals


def __getattr__(name: str) -> object:
    # The tokenizer lives in bioseq.encode.tokens and is also reachable here, its documented
    # home; importing it lazily avoids a circular import.
    if name in ("KmerTokenizer", "kmer_tokens_torch"):
        from bioseq.encode import tokens

        return getattr(tokens, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
