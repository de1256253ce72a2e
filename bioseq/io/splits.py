"""Names of data splits as read from files.

Split values are kept as text. The usual spellings of the three standard
splits are normalised (``training`` to ``train``, ``val``, ``validation`` and
``dev`` to ``valid``, ``testing`` to ``test``, in any case); any other value,
such as a cross-validation fold number, is kept as written.
"""

from __future__ import annotations

SPLIT_NAMES = ("train", "valid", "test")
_SYNONYMS = {
    "train": "train",
    "training": "train",
    "valid": "valid",
    "val": "valid",
    "validation": "valid",
    "dev": "valid",
    "tune": "valid",
    "test": "test",
    "testing": "test",
}


def normalize_split(value: str) -> str:
    """Map a split name to ``train``, ``valid`` or ``test`` where it is one of their spellings.

    Examples
    --------
    >>> [normalize_split(v) for v in ["Training", "val", "2"]]
    ['train', 'valid', '2']
    """
    text = str(value).strip()
    return _SYNONYMS.get(text.lower(), text)
