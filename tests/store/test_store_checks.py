"""Stores that are truncated, corrupt, foreign, locked or stale get a StoreError naming them."""

from __future__ import annotations

import os
import shutil
import warnings

import h5py
import numpy as np
import pytest

from bioseq.errors import BioseqWarning, StoreError
from bioseq.io.fasta import read_fasta
from bioseq.io.store import (
    FORMAT_VERSION,
    check_stores,
    open_store,
    read_store,
    validate_store,
    write_store,
)
from bioseq.sequences import SequenceSet


def test_truncated_store_named(small_store):
    path, _ = small_store
    bad = path.with_name("bad.h5")
    bad.write_bytes(path.read_bytes()[:2048])
    with pytest.raises(StoreError, match=r"bad\.h5 is truncated or corrupt"):
        read_store(bad)


def test_validate_lists_every_bad_store(small_store, tmp_path):
    path, _ = small_store
    first = tmp_path / "bad1.h5"
    second = tmp_path / "bad2.h5"
    first.write_bytes(path.read_bytes()[:2048])
    second.write_bytes(b"not a store at all")
    problems = validate_store(path)
    assert problems == []
    with pytest.raises(StoreError) as caught:
        check_stores([path, first, second])
    message = str(caught.value)
    assert "2 problem(s) in 3 store(s)" in message
    assert "bad1.h5 is truncated or corrupt" in message
    assert "bad2.h5 is not an HDF5 file" in message


def test_corrupt_code_chunk_found_by_deep_check(tmp_path, make_set):
    path = tmp_path / "c.h5"
    write_store(path, [make_set(2000, seed=4, min_length=900, max_length=1000)])
    with h5py.File(path, "r") as handle:
        chunk_offset = handle["codes"].id.get_chunk_info(1).byte_offset
    raw = bytearray(path.read_bytes())
    for position in range(chunk_offset + 100, chunk_offset + 400):
        raw[position] ^= 0xFF
    path.write_bytes(bytes(raw))
    assert validate_store(path, deep=False) == []
    problems = validate_store(path, deep=True)
    assert len(problems) == 1
    assert "c.h5 is corrupt: reading dataset codes (the chunk at residue 1048576)" in problems[0]


def test_other_format_version_rejected(small_store):
    path, _ = small_store
    with h5py.File(path, "r+") as handle:
        handle.attrs["format_version"] = 99
    with pytest.raises(StoreError, match=rf"store format version 99 .* reads version {FORMAT_VERSION}"):
        read_store(path)


def test_wrong_alphabet_rejected(small_store):
    path, _ = small_store
    with pytest.raises(StoreError, match="contains dna sequences but protein was expected"):
        read_store(path, alphabet="protein")


def test_incomplete_attribute_rejected(small_store):
    path, _ = small_store
    with h5py.File(path, "r+") as handle:
        handle.attrs["complete"] = False
    with pytest.raises(StoreError, match=r"enc\.h5 is incomplete"):
        read_store(path)


def test_foreign_hdf5_rejected(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as handle:
        handle["x"] = np.arange(3)
    with pytest.raises(StoreError, match=r"other\.h5 is an HDF5 file but not a bioseq store"):
        read_store(path)


def test_missing_store_named(tmp_path):
    with pytest.raises(StoreError, match=r"nowhere\.h5 not found"):
        read_store(tmp_path / "nowhere.h5")


def test_lock_refused_by_file_system(small_store, monkeypatch):
    path, _ = small_store

    def raise_lock_error(*args, **kwargs):
        raise OSError(
            "[Errno 37] Unable to synchronously open file (unable to lock file, errno = 37, "
            "error message = 'No locks available')"
        )

    # h5py is not under test here: this reproduces the failure NFS gives.
    monkeypatch.setattr(h5py._hl.files, "make_fid", raise_lock_error)
    with pytest.raises(StoreError) as caught:
        read_store(path)
    message = str(caught.value)
    assert str(path) in message
    assert "file system refused the HDF5 file lock" in message
    assert "HDF5_USE_FILE_LOCKING=FALSE" in message
    assert "locking=False" in message


def test_read_without_locking(small_store):
    path, expected = small_store
    back = read_store(path, locking=False)
    assert back.ids.tolist() == expected.ids.tolist()


def write_fasta_store(fasta, store, overwrite=False):
    records = read_fasta(fasta, alphabet="dna")
    write_store(store, [records], sources=[fasta], overwrite=overwrite)


def test_stale_store_detected_and_rebuilt(tmp_path):
    fasta = tmp_path / "t.fa"
    store = tmp_path / "t.h5"
    fasta.write_text(">c1\nGGGG\n>c2\nAAATTT\n")
    write_fasta_store(fasta, store)
    fasta.write_text(">c1 v2\nGGGG\n>c2\nAAATTT\n")

    with pytest.raises(StoreError, match=r"t\.h5 is stale: .*t\.fa \(size 20 -> 23 bytes"):
        read_store(store)
    with pytest.warns(BioseqWarning, match="is stale"):
        read_store(store, on_stale="warn")
    assert validate_store(store)[0].startswith(f"{store} is stale")

    write_fasta_store(fasta, store, overwrite=True)
    rebuilt = read_store(store)
    c2 = rebuilt.ids.tolist().index("c2")
    assert rebuilt.sequence(c2) == "AAATTT"


def test_touched_source_with_same_content_is_fresh(tmp_path):
    fasta = tmp_path / "t.fa"
    store = tmp_path / "t.h5"
    fasta.write_text(">c1\nGGGG\n")
    write_fasta_store(fasta, store)
    stamp = fasta.stat().st_mtime_ns + 5_000_000_000
    os.utime(fasta, ns=(stamp, stamp))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_store(store).sequence(0) == "GGGG"


def test_moved_store_finds_source_beside_it(tmp_path):
    first = tmp_path / "a"
    first.mkdir()
    (first / "t.fa").write_text(">c1\nGGGG\n")
    write_fasta_store(first / "t.fa", first / "t.h5")
    moved = tmp_path / "b"
    shutil.move(first, moved)
    (moved / "t.fa").write_text(">c1\nCCCCC\n")
    with pytest.raises(StoreError, match="is stale"):
        open_store(moved / "t.h5")


def test_missing_source_is_not_stale(tmp_path):
    fasta = tmp_path / "t.fa"
    fasta.write_text(">c1\nGGGG\n")
    write_store(tmp_path / "t.h5", [SequenceSet.from_strings(["GGGG"], ids=["c1"])],
                sources=[fasta])
    fasta.unlink()
    assert read_store(tmp_path / "t.h5").sequence(0) == "GGGG"
