"""k-mer tokens for transformer models, from ``uint8`` codes.

The vocabulary is ``[PAD]`` (id 0), ``[CLS]`` (1), ``[UNK]`` (2), ``[MASK]``
(3), then every k-mer in :func:`bioseq.encode.kmer.kmer_names` order from id
4. The k-mer rules are those of :mod:`bioseq.encode.kmer`: starts at every
``stride``-th position, case ignored, and a k-mer containing an ambiguity
code becomes ``[UNK]``.
"""

from __future__ import annotations

import logging
import warnings
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
from numba import prange

from bioseq.alphabet import Alphabet, get_alphabet
from bioseq.encode._parallel import sized_kernel
from bioseq.encode.kmer import _as_set, _check_k, _window_indices, kmer_names
from bioseq.errors import BioseqWarning, SequenceError
from bioseq.sequences import SequenceSet

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

UnknownPolicy = Literal["warn", "error", "ignore"]

SPECIAL_TOKENS: tuple[str, ...] = ("[PAD]", "[CLS]", "[UNK]", "[MASK]")
PAD_TOKEN, CLS_TOKEN, UNK_TOKEN, MASK_TOKEN = range(4)
N_SPECIAL_TOKENS = len(SPECIAL_TOKENS)
_MAX_LISTED = 5

@sized_kernel
def _tokens(codes, offsets, k, stride, n_letters, add_cls, out, n_unknown):  # pragma: no cover
    size = n_letters**k
    first = 1 if add_cls else 0
    for i in prange(out.shape[0]):
        start = offsets[i]
        n = offsets[i + 1] - start
        for t in range(out.shape[1]):
            out[i, t] = 0
        if add_cls:
            out[i, 0] = 1
        index = 0
        run = 0
        next_end = k - 1
        t = first
        unknown = 0
        for p in range(n):
            code = codes[start + p]
            if code >= n_letters:
                run = 0
                code = 0
            else:
                run += 1
            index = (index * n_letters + code) % size
            if p == next_end:
                next_end += stride
                if run >= k:
                    out[i, t] = 4 + index
                else:
                    out[i, t] = 2
                    unknown += 1
                t += 1
        n_unknown[i] = unknown


@sized_kernel
def _count_unknown(codes, offsets, k, stride, n_letters, n_unknown):  # pragma: no cover
    for i in prange(len(offsets) - 1):
        start = offsets[i]
        run = 0
        next_end = k - 1
        unknown = 0
        for p in range(offsets[i + 1] - start):
            if codes[start + p] >= n_letters:
                run = 0
            else:
                run += 1
            if p == next_end:
                next_end += stride
                if run < k:
                    unknown += 1
        n_unknown[i] = unknown


class KmerTokenizer:
    """Split sequences into k-mer tokens for transformer models.

    The vocabulary is ``[PAD]`` (id 0), ``[CLS]`` (1), ``[UNK]`` (2),
    ``[MASK]`` (3), then every k-mer in :func:`kmer_names` order from id 4.
    A k-mer containing an ambiguity code becomes ``[UNK]``. Lowercase input gives
    the same tokens as uppercase. With ``stride < k`` tokens overlap; with
    ``stride == k`` they do not, and residues after the last whole k-mer
    are not tokenized.

    Parameters
    ----------
    k : int
    alphabet : str or Alphabet, default="dna"
    stride : int, default=1
    add_cls : bool, default=False
        Start every token sequence with ``[CLS]``.
    max_unknown_fraction : float, default=0.1
        A record whose share of ``[UNK]`` tokens exceeds this is reported.
    on_unknown : {"warn", "error", "ignore"}, default="warn"
        Warn with the record ids and counts, raise, or accept.

    Examples
    --------
    >>> tokenizer = KmerTokenizer(3, stride=3)
    >>> tokenizer.tokenize("atgaaatga")
    ['ATG', 'AAA', 'TGA']
    >>> ids, mask = tokenizer.encode(["atgaaatga", "ATGAAATGA"])
    >>> ids[0].tolist() == ids[1].tolist()
    True
    """

    def __init__(
        self,
        k: int,
        *,
        alphabet: str | Alphabet = "dna",
        stride: int = 1,
        add_cls: bool = False,
        max_unknown_fraction: float = 0.1,
        on_unknown: UnknownPolicy = "warn",
    ) -> None:
        self.alphabet = get_alphabet(alphabet)
        _check_k(k, stride, self.alphabet, canonical=False)
        if self.alphabet.size**k > 2**31 - N_SPECIAL_TOKENS:
            raise ValueError(f"k={k} gives more than 2**31 {self.alphabet.name} tokens")
        if on_unknown not in ("warn", "error", "ignore"):
            raise ValueError(
                f"invalid on_unknown {on_unknown!r}; expected 'warn', 'error' or 'ignore'"
            )
        if not 0.0 <= max_unknown_fraction <= 1.0:
            raise ValueError(
                f"invalid max_unknown_fraction {max_unknown_fraction}; expected 0 to 1"
            )
        self.k = int(k)
        self.stride = int(stride)
        self.add_cls = add_cls
        self.max_unknown_fraction = max_unknown_fraction
        self.on_unknown = on_unknown

    @property
    def vocab_size(self) -> int:
        """Number of token ids: four special tokens plus ``A ** k`` k-mers."""
        return N_SPECIAL_TOKENS + self.alphabet.size**self.k

    @property
    def vocabulary(self) -> list[str]:
        """Every token in id order."""
        return [*SPECIAL_TOKENS, *kmer_names(self.k, self.alphabet)]

    def token_of(self, token_id: int) -> str:
        """Return the token string of one id."""
        if token_id < N_SPECIAL_TOKENS:
            return SPECIAL_TOKENS[token_id]
        index = token_id - N_SPECIAL_TOKENS
        size = self.alphabet.size
        letters = []
        for _ in range(self.k):
            index, code = divmod(index, size)
            letters.append(self.alphabet.letters[code])
        return "".join(reversed(letters))

    def n_tokens(self, length: int) -> int:
        """Token positions for a sequence of ``length`` residues."""
        windows = (length - self.k) // self.stride + 1 if length >= self.k else 0
        return windows + int(self.add_cls)

    def _n_tokens_per_record(self, lengths: np.ndarray) -> np.ndarray:
        windows = np.where(lengths >= self.k, (lengths - self.k) // self.stride + 1, 0)
        return windows.astype(np.int64) + int(self.add_cls)

    def encode(
        self, data: SequenceSet | str | Sequence[str], *, transforms: Counter | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Encode sequences as token ids, right-padded with ``[PAD]``.

        Returns
        -------
        ids : numpy.ndarray of shape (N, T), dtype int64
        mask : numpy.ndarray of shape (N, T), dtype bool
            True at real tokens (``[CLS]`` included).

        Raises
        ------
        SequenceError
            If a record has too many ``[UNK]`` tokens and
            ``on_unknown="error"``.
        """
        seqs = _as_set(data, self.alphabet)
        n_per_row = self._n_tokens_per_record(seqs.lengths)
        width = int(n_per_row.max()) if len(seqs) else 0
        ids = np.empty((len(seqs), width), dtype=np.int64)
        n_unknown = np.zeros(len(seqs), dtype=np.int64)
        if len(seqs):
            _tokens.run(ids.size, seqs.codes, seqs.offsets, self.k, self.stride, self.alphabet.size,
                    self.add_cls, ids, n_unknown)
        self._report_unknown(seqs, n_per_row - int(self.add_cls), n_unknown)
        lengths = seqs.lengths
        covered = np.where(lengths >= self.k, (n_per_row - int(self.add_cls) - 1) * self.stride
                           + self.k, 0)
        untokenized = int((lengths - covered).sum())
        if untokenized:
            logger.info("%d residue(s) after the last whole k-mer were not tokenized", untokenized)
        if transforms is not None:
            transforms["residues_not_tokenized"] += untokenized
            transforms["unknown_tokens"] += int(n_unknown.sum())
        mask = np.arange(width)[None, :] < n_per_row[:, None]
        return ids, mask

    def tokenize(self, sequence: str) -> list[str]:
        """Split one sequence into token strings (without ``[CLS]``)."""
        ids, mask = self.encode([sequence])
        return [self.token_of(int(i)) for i in ids[0][mask[0]] if i != CLS_TOKEN]

    def check_unknown(self, seqs: SequenceSet) -> np.ndarray:
        """Count ``[UNK]`` tokens per record and report records over the limit.

        Uses the ``on_unknown`` policy without building the token matrix, so
        it suits whole data sets.

        Returns
        -------
        numpy.ndarray of shape (N,), dtype int64

        Raises
        ------
        SequenceError
            If a record is over the limit and ``on_unknown="error"``.
        """
        n_unknown = np.zeros(len(seqs), dtype=np.int64)
        if len(seqs):
            _count_unknown.run(len(seqs.codes), seqs.codes, seqs.offsets, self.k, self.stride, self.alphabet.size,
                           n_unknown)
        n_windows = self._n_tokens_per_record(seqs.lengths) - int(self.add_cls)
        self._report_unknown(seqs, n_windows, n_unknown)
        return n_unknown

    def _report_unknown(self, seqs: SequenceSet, n_windows: np.ndarray,
                        n_unknown: np.ndarray) -> None:
        if self.on_unknown == "ignore":
            return
        limit = self.max_unknown_fraction * n_windows
        rows = np.flatnonzero((n_unknown > limit) & (n_unknown > 0))
        if not rows.size:
            return
        listed = ", ".join(f"{seqs.ids[i]!r} ({int(n_unknown[i])} of {int(n_windows[i])})"
                           for i in rows[:_MAX_LISTED])
        more = f" and {rows.size - _MAX_LISTED} more" if rows.size > _MAX_LISTED else ""
        message = (f"{rows.size} record(s) have more than {self.max_unknown_fraction:.0%} [UNK] "
                   f"tokens (k-mers with ambiguity codes): {listed}{more}")
        if self.on_unknown == "error":
            raise SequenceError(message + "; clean the records or pass on_unknown='warn'")
        logger.warning(message)
        warnings.warn(message, BioseqWarning, stacklevel=3)

    def decode(self, ids: np.ndarray) -> list[list[str]]:
        """Map token ids back to token strings, dropping ``[PAD]``."""
        return [[self.token_of(int(i)) for i in row if i != PAD_TOKEN]
                for row in np.atleast_2d(np.asarray(ids))]

    def encode_torch(self, codes: torch.Tensor,
                     mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Compute token ids from a batch of codes on its device.

        See :func:`kmer_tokens_torch`; the batch has no ids, so ``[UNK]`` is
        not checked here (use :meth:`check_unknown` on the data set).
        """
        return kmer_tokens_torch(codes, mask, k=self.k, stride=self.stride,
                                 n_letters=self.alphabet.size, add_cls=self.add_cls)


def kmer_tokens_torch(
    codes: torch.Tensor,
    mask: torch.Tensor,
    *,
    k: int,
    stride: int = 1,
    n_letters: int = 4,
    add_cls: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Compute k-mer token ids from a batch of codes on its device.

    Parameters
    ----------
    codes : torch.Tensor of shape (N, L), dtype uint8
    mask : torch.Tensor of shape (N, L), dtype bool
        True at residues. A window that is not entirely residues is ``[PAD]``.
    k, stride, n_letters, add_cls
        As in :class:`KmerTokenizer`; ``n_letters`` is the alphabet size ``A``.

    Returns
    -------
    ids : torch.Tensor of shape (N, T), dtype int64
    mask : torch.Tensor of shape (N, T), dtype bool
    """
    import torch

    n_rows, width = codes.shape
    if width < k:
        ids = codes.new_zeros((n_rows, 0), dtype=torch.long)
        token_mask = torch.zeros((n_rows, 0), dtype=torch.bool, device=codes.device)
    else:
        index, inside, unambiguous = _window_indices(codes, mask, k, stride, n_letters)
        ids = torch.where(unambiguous, index + N_SPECIAL_TOKENS, torch.full_like(index, UNK_TOKEN))
        ids = torch.where(inside, ids, torch.full_like(ids, PAD_TOKEN))
        token_mask = inside
    if add_cls:
        cls_column = torch.full((n_rows, 1), CLS_TOKEN, dtype=torch.long, device=codes.device)
        ids = torch.cat([cls_column, ids], dim=1)
        token_mask = torch.cat([torch.ones_like(cls_column, dtype=torch.bool), token_mask], dim=1)
    return ids, token_mask
