"""bioseq: deep-learning sequence classification for DNA, RNA and protein.

Heavy modules (torch, Lightning) load only when their names are first used,
so ``import bioseq`` and ``bioseq --help`` stay fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# Public name -> module that defines it; resolved on first attribute access.
_EXPORTS: dict[str, str] = {
    "Alphabet": "bioseq.alphabet",
    "DNA": "bioseq.alphabet",
    "RNA": "bioseq.alphabet",
    "PROTEIN": "bioseq.alphabet",
    "SequenceSet": "bioseq.sequences",
    "BioseqError": "bioseq.errors",
    "read_fasta": "bioseq.io.fasta",
    "read_table": "bioseq.io.tables",
    "load_sequences": "bioseq.io.load",
    "encode_onehot": "bioseq.encode.onehot",
    "kmer_counts": "bioseq.encode.kmer",
    "KmerTokenizer": "bioseq.encode.kmer",
    "get_model": "bioseq.models.registry",
    "load_model": "bioseq.models.modelfile",
    "SequenceClassifier": "bioseq.api",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'bioseq' has no attribute {name!r}")
