"""Duplicate ids when a FASTA file is streamed in many blocks."""

from __future__ import annotations

import numpy as np
import pytest

import bioseq.io.fasta as fasta
from bioseq.errors import FastaFormatError
from bioseq.io._fasta_kernel import hash_strings
from bioseq.io.fasta import iter_fasta, read_fasta


def _duplicated_file(tmp_path, tail=("end",)):
    # Ids repeat far apart (other blocks) and next to each other (same block).
    names = [f"r{i}" for i in range(300)] + ["r3", "r250", "r3", "r299", "r299", *tail]
    content = "".join(f">{name} note\nACGT{'A' * (i % 7)}\n" for i, name in enumerate(names))
    path = tmp_path / "dup.fa"
    path.write_text(content)
    return path


@pytest.mark.parametrize("policy", ["first", "rename"])
def test_streamed_duplicates_match_whole_file(tmp_path, monkeypatch, policy):
    path = _duplicated_file(tmp_path)
    whole = read_fasta(path, alphabet="dna", duplicates=policy)
    monkeypatch.setattr(fasta, "BLOCK_BYTES", 300)
    monkeypatch.setattr(fasta, "HEAD_BYTES", 200)
    chunks = list(iter_fasta(path, chunk_size=50, alphabet="dna", duplicates=policy))
    assert np.concatenate([c.ids for c in chunks]).tolist() == whole.ids.tolist()
    assert np.concatenate([c.codes for c in chunks]).tobytes() == whole.codes.tobytes()
    counted = sum(c.transforms[f"duplicates_{policy}"] for c in chunks)
    assert counted == whole.transforms[f"duplicates_{policy}"] == 5


def test_streamed_first_counts_a_dropped_last_block(tmp_path, monkeypatch, caplog):
    path = _duplicated_file(tmp_path, tail=())
    monkeypatch.setattr(fasta, "BLOCK_BYTES", 300)
    monkeypatch.setattr(fasta, "HEAD_BYTES", 200)
    with caplog.at_level("INFO", logger="bioseq.io.fasta"):
        chunks = list(iter_fasta(path, chunk_size=50, alphabet="dna", duplicates="first"))
    assert sum(len(c) for c in chunks) == 300
    assert "duplicates_first=5" in caplog.text


def test_streamed_duplicate_in_a_later_block_names_both_lines(tmp_path, monkeypatch):
    path = _duplicated_file(tmp_path)
    monkeypatch.setattr(fasta, "BLOCK_BYTES", 300)
    monkeypatch.setattr(fasta, "HEAD_BYTES", 200)
    # "r3" is on line 7 and again on line 601, many blocks later.
    with pytest.raises(FastaFormatError, match=r"dup\.fa:601: duplicate record id 'r3': header line 7 "
                                                r"'>r3 note' and header line 601 '>r3 note'"):
        list(iter_fasta(path, alphabet="dna"))


def test_streamed_rename_keeps_ids_unique(tmp_path, monkeypatch):
    # A later record is named like an earlier renamed one; it is renamed in turn.
    names = [f"r{i}" for i in range(200)] + ["r3", "r3_2", "r3"]
    path = tmp_path / "names.fa"
    path.write_text("".join(f">{name}\nACGT\n" for name in names))
    monkeypatch.setattr(fasta, "BLOCK_BYTES", 256)
    monkeypatch.setattr(fasta, "HEAD_BYTES", 200)
    chunks = list(iter_fasta(path, chunk_size=64, alphabet="dna", duplicates="rename"))
    ids = np.concatenate([c.ids for c in chunks]).tolist()
    assert ids[200:] == ["r3_2", "r3_2_2", "r3_3"]
    assert len(set(ids)) == len(names)


def test_id_hashes_are_stable_and_distinct():
    ids = [f"seq{i}" for i in range(50_000)] + ["é", ""]
    hashes = hash_strings(ids)
    assert hashes.dtype == np.uint64
    assert len(np.unique(hashes)) == len(ids)
    assert np.array_equal(hash_strings(ids[::-1]), hashes[::-1])
    assert hash_strings(["ab"])[0] != hash_strings(["ba"])[0]
