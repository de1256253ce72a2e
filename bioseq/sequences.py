"""The in-memory sequence set that every reader returns and every step reads.

A :class:`SequenceSet` stores N sequences of any length as one flat ``uint8``
code array plus ``N + 1`` offsets (sequence ``i`` is
``codes[offsets[i]:offsets[i + 1]]``), with ids, labels, class names, split
membership and a count of every transformation the reader applied.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from bioseq.alphabet import Alphabet, get_alphabet

Task = Literal["binary", "multiclass", "multilabel", "regression"]
TASKS: tuple[str, ...] = ("binary", "multiclass", "multilabel", "regression")


@dataclass
class SequenceSet:
    """Sequences as ``uint8`` codes with their ids, labels and provenance.

    Parameters
    ----------
    ids : numpy.ndarray of shape (N,), dtype object
        Record ids as ``str``.
    codes : numpy.ndarray of shape (total,), dtype uint8
        All sequences' codes, one after another.
    offsets : numpy.ndarray of shape (N + 1,), dtype int64
        Start of each sequence in ``codes``; ``offsets[-1] == len(codes)``.
    alphabet : Alphabet
        Alphabet that produced the codes.
    labels : numpy.ndarray or None, default=None
        ``(N,)`` int64 class indices for binary and multiclass tasks,
        ``(N, K)`` float32 0/1 for multilabel, ``(N,)`` or ``(N, K)`` float32
        for regression; None for unlabelled data.
    class_names : list of str or None, default=None
        Name of each class index (or label column, for multilabel and
        multi-target regression).
    task : {"binary", "multiclass", "multilabel", "regression"} or None
        Task the labels describe; None for unlabelled data.
    splits : numpy.ndarray of shape (N,), dtype object, or None
        Split name of each record (``"train"``, ``"valid"``, ``"test"``).
    transforms : collections.Counter
        Count of each transformation applied while reading, such as
        ``uppercased`` (residues), ``u_to_t`` (residues) or
        ``terminal_stop_removed`` (records).
    flagged : dict of str to list of str
        Record ids worth a look, by reason (for example ``mixed_t_u``).
    sources : list of str
        Files the records came from.
    descriptions : numpy.ndarray of shape (N,), dtype object, or None
        FASTA header text after the id, when read from FASTA.
    softmask : numpy.ndarray of shape (total,), dtype bool, or None
        True where the input residue was lowercase; kept only on request.
    """

    ids: np.ndarray
    codes: np.ndarray
    offsets: np.ndarray
    alphabet: Alphabet
    labels: np.ndarray | None = None
    class_names: list[str] | None = None
    task: Task | None = None
    splits: np.ndarray | None = None
    transforms: Counter = field(default_factory=Counter)
    flagged: dict[str, list[str]] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    descriptions: np.ndarray | None = None
    softmask: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.alphabet = get_alphabet(self.alphabet)
        self.ids = np.asarray(self.ids, dtype=object)
        self.codes = np.ascontiguousarray(self.codes, dtype=np.uint8)
        self.offsets = np.ascontiguousarray(self.offsets, dtype=np.int64)
        if self.offsets.shape != (len(self.ids) + 1,):
            raise ValueError(
                f"offsets must have shape ({len(self.ids) + 1},) for {len(self.ids)} ids, "
                f"got {self.offsets.shape}"
            )
        if self.offsets[-1] != self.codes.shape[0]:
            raise ValueError(
                f"offsets end at {int(self.offsets[-1])} but codes hold {self.codes.shape[0]} residues"
            )
        if self.labels is not None and len(self.labels) != len(self.ids):
            raise ValueError(f"{len(self.labels)} labels for {len(self.ids)} sequences")
        if self.splits is not None:
            self.splits = np.asarray(self.splits, dtype=object)
        if self.descriptions is not None:
            self.descriptions = np.asarray(self.descriptions, dtype=object)
        if not isinstance(self.transforms, Counter):
            self.transforms = Counter(self.transforms)

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        lengths = self.lengths
        span = f"{int(lengths.min())}-{int(lengths.max())}" if len(self) else "-"
        return (
            f"SequenceSet(n={len(self)}, alphabet={self.alphabet.name}, lengths={span}, "
            f"task={self.task}, classes={self.class_names})"
        )

    @property
    def lengths(self) -> np.ndarray:
        """Length of each sequence, ``(N,)`` int64."""
        return np.diff(self.offsets)

    @classmethod
    def from_strings(
        cls,
        sequences: list[str],
        *,
        alphabet: str | Alphabet = "dna",
        ids: list[str] | None = None,
        **fields: object,
    ) -> SequenceSet:
        """Build a set from Python strings (small data, tests, notebooks).

        Examples
        --------
        >>> s = SequenceSet.from_strings(["ACGT", "gg"])
        >>> s.lengths.tolist(), s.sequence(1)
        ([4, 2], 'GG')
        """
        alpha = get_alphabet(alphabet)
        arrays = [alpha.encode(text) for text in sequences]
        lengths = np.array([len(a) for a in arrays], dtype=np.int64)
        offsets = np.zeros(len(arrays) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        codes = np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.uint8)
        if ids is None:
            ids = [f"seq{i}" for i in range(len(arrays))]
        return cls(ids=np.asarray(ids, dtype=object), codes=codes, offsets=offsets,
                   alphabet=alpha, **fields)  # type: ignore[arg-type]

    def codes_of(self, index: int) -> np.ndarray:
        """Return the codes of sequence ``index`` (a view, not a copy)."""
        return self.codes[self.offsets[index] : self.offsets[index + 1]]

    def sequence(self, index: int) -> str:
        """Decode sequence ``index`` back to an uppercase string."""
        return self.alphabet.decode(self.codes_of(index))

    def subset(self, indices: np.ndarray | list[int]) -> SequenceSet:
        """Return a new set with the records at ``indices``, in that order.

        A boolean mask of length N is accepted too.
        """
        index = np.asarray(indices)
        if index.dtype == bool:
            index = np.flatnonzero(index)
        index = index.astype(np.int64)
        starts = self.offsets[index]
        lengths = self.offsets[index + 1] - starts
        offsets = np.zeros(len(index) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        # Gather each selected run of codes into one new flat array.
        positions = np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1])
        return replace(
            self,
            ids=self.ids[index],
            codes=self.codes[positions],
            offsets=offsets,
            labels=None if self.labels is None else self.labels[index],
            splits=None if self.splits is None else self.splits[index],
            descriptions=None if self.descriptions is None else self.descriptions[index],
            softmask=None if self.softmask is None else self.softmask[positions],
            transforms=Counter(self.transforms),
            flagged={key: list(value) for key, value in self.flagged.items()},
            sources=list(self.sources),
        )

    def take_range(self, start: int, stop: int) -> SequenceSet:
        """Return records ``start`` to ``stop - 1`` as views of this set's arrays (no copy).

        Writing to the result's arrays writes to this set's arrays.
        """
        first, last = int(self.offsets[start]), int(self.offsets[stop])

        def rows(values: np.ndarray | None) -> np.ndarray | None:
            return None if values is None else values[start:stop]

        return replace(
            self,
            ids=self.ids[start:stop],
            codes=self.codes[first:last],
            offsets=self.offsets[start : stop + 1] - first,
            labels=rows(self.labels),
            splits=rows(self.splits),
            descriptions=rows(self.descriptions),
            softmask=None if self.softmask is None else self.softmask[first:last],
            transforms=Counter(self.transforms),
            flagged={key: list(value) for key, value in self.flagged.items()},
            sources=list(self.sources),
        )

    def split(self, name: str) -> SequenceSet:
        """Return the records whose split is ``name``.

        Raises
        ------
        ValueError
            If the set has no split column or no record in that split.
        """
        if self.splits is None:
            raise ValueError("this sequence set has no split membership")
        mask = self.splits == name
        if not mask.any():
            present = sorted(set(self.splits.tolist()))
            raise ValueError(f"no records in split {name!r}; splits present: {present}")
        return self.subset(mask)
