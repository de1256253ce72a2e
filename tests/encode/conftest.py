"""Helpers for the encoder tests: small FASTA files written on the fly."""

from __future__ import annotations

from pathlib import Path

import pytest

from bioseq.io.fasta import read_fasta
from bioseq.sequences import SequenceSet


@pytest.fixture
def fasta(tmp_path: Path):
    """Return a function that writes FASTA text to a file and reads it back."""

    def read(text: str, name: str = "input.fa", **options: object) -> SequenceSet:
        path = tmp_path / name
        path.write_text(text)
        return read_fasta(path, alphabet=options.pop("alphabet", "dna"), **options)

    return read
