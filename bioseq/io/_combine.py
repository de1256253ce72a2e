"""Join several sequence sets into one, keeping every per-record field aligned."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from bioseq.sequences import SequenceSet


def concat_sets(parts: Sequence[SequenceSet]) -> SequenceSet:
    """Concatenate sequence sets that share one alphabet, in order.

    Labels, splits and soft masks are kept only when every part has them.
    Descriptions are kept when any part has them, and records of the other
    parts get ``""``, which is what a FASTA header without one gives. Class
    names and task come from the first part, so callers encode labels after
    concatenating when the parts may differ.
    """
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    lengths = np.concatenate([part.lengths for part in parts])
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    transforms: Counter = Counter()
    flagged: dict[str, list[str]] = {}
    sources: list[str] = []
    for part in parts:
        transforms.update(part.transforms)
        for reason, ids in part.flagged.items():
            flagged.setdefault(reason, []).extend(ids)
        sources.extend(source for source in part.sources if source not in sources)

    def joined(name: str) -> np.ndarray | None:
        arrays = [getattr(part, name) for part in parts]
        if any(array is None for array in arrays):
            return None
        return np.concatenate(arrays)

    return SequenceSet(
        ids=np.concatenate([part.ids for part in parts]),
        codes=np.concatenate([part.codes for part in parts]),
        offsets=offsets,
        alphabet=first.alphabet,
        labels=joined("labels"),
        class_names=first.class_names,
        task=first.task,
        splits=joined("splits"),
        transforms=transforms,
        flagged=flagged,
        sources=sources,
        descriptions=_joined_descriptions(parts),
        softmask=joined("softmask"),
    )


def _joined_descriptions(parts: Sequence[SequenceSet]) -> np.ndarray | None:
    if all(part.descriptions is None for part in parts):
        return None
    return np.concatenate([
        part.descriptions if part.descriptions is not None else np.full(len(part), "", dtype=object)
        for part in parts
    ])
