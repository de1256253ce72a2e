"""Streaming a store chunk by chunk: the same records as a whole read, bounded chunks."""

from __future__ import annotations

import numpy as np
import pytest

from bioseq.errors import StoreError
from bioseq.io.store import read_store, write_store
from bioseq.io.store_stream import find_single_store, iter_store
from bioseq.sequences import SequenceSet


@pytest.fixture
def store(tmp_path):
    rng = np.random.default_rng(0)
    texts = ["".join(rng.choice(list("ACGT"), rng.integers(1, 200))) for _ in range(90)]
    data = SequenceSet.from_strings(texts, ids=[f"r{i}" for i in range(90)],
                                    labels=(np.arange(90) % 2).astype(np.int64),
                                    class_names=["a", "b"], task="binary",
                                    splits=["train", "valid", "test"] * 30,
                                    transforms={"uppercased": 3})
    path = tmp_path / "enc.h5"
    write_store(path, [data])
    return path


def test_chunks_equal_whole_read(store):
    whole = read_store(store)
    chunks = list(iter_store(store, 16))
    assert [len(chunk) for chunk in chunks] == [16] * 5 + [10]
    assert np.concatenate([chunk.ids for chunk in chunks]).tolist() == whole.ids.tolist()
    assert np.array_equal(np.concatenate([chunk.codes for chunk in chunks]), whole.codes)
    assert np.array_equal(np.concatenate([chunk.labels for chunk in chunks]), whole.labels)
    assert np.concatenate([chunk.splits for chunk in chunks]).tolist() == whole.splits.tolist()
    assert sum((chunk.transforms for chunk in chunks), start=whole.transforms.__class__()) \
        == whole.transforms


def test_chunks_end_at_residue_budget(store):
    chunks = list(iter_store(store, 1000, max_residues=500))
    assert len(chunks) > 1
    for chunk in chunks:
        assert len(chunk) == 1 or len(chunk.codes) <= 500


def test_unlabelled_chunks(store):
    chunk = next(iter_store(store, 10, labels=False))
    assert chunk.labels is None
    assert chunk.task is None


def test_corrupt_codes_raise_after_last_chunk(store):
    import json

    import h5py

    # A recorded checksum that the codes no longer match, as after a flipped bit.
    with h5py.File(store, "r+") as handle:
        checksums = json.loads(handle.attrs["checksums"])
        checksums["codes"] = f"{int(checksums['codes'], 16) ^ 1:08x}"
        handle.attrs["checksums"] = json.dumps(checksums)
    chunks = iter_store(store, 30)
    seen = [next(chunks) for _ in range(3)]
    assert len(seen) == 3
    with pytest.raises(StoreError, match="dataset codes does not match its checksum"):
        next(chunks)


def test_single_store_detection(store, tmp_path):
    csv = tmp_path / "x.csv"
    csv.write_text("sequence,label\nACGT,a\n")
    assert find_single_store([str(store)]) == (store, None)
    assert find_single_store([str(csv)]) == (None, None)
    path, reason = find_single_store([str(store), str(csv)])
    assert path is None
    assert reason.startswith("2 sources (1 HDF5 stores)")
    assert find_single_store([f"a={store}"])[1] == "the store has a CLASS= prefix"
    assert find_single_store([str(store)], "fasta")[1] == "format 'fasta' was requested"
