"""StoreRecords: a store's per-record arrays and content hashes, read without its codes."""

from __future__ import annotations

import numpy as np
import pytest

from bioseq.data.store_records import hash_record_codes, read_store_records
from bioseq.errors import LabelError
from bioseq.io.load import load_sequences
from bioseq.io.store import write_store
from bioseq.sequences import SequenceSet


def labelled(texts, labels, names, splits=None):
    return SequenceSet.from_strings(texts, ids=[f"s{i}" for i in range(len(texts))],
                                    labels=np.asarray(labels, dtype=np.int64),
                                    class_names=names,
                                    task="binary" if len(names) == 2 else "multiclass",
                                    splits=splits)


def test_hash_equal_codes_equal_keys():
    data = SequenceSet.from_strings(["ACGT", "ACGT", "ACGA", "", "ACG", "ACGTA"])
    keys = hash_record_codes(data.codes, data.offsets)
    assert keys.shape == (6, 2)
    assert keys.dtype == np.uint64
    assert (keys[0] == keys[1]).all()
    distinct = {key.tobytes() for key in keys[1:]}
    assert len(distinct) == 5


def test_hash_blocks_match_whole(tmp_path):
    rng = np.random.default_rng(1)
    texts = ["".join(rng.choice(list("ACGT"), rng.integers(1, 300))) for _ in range(200)]
    data = labelled(texts, np.arange(200) % 2, ["a", "b"])
    path = tmp_path / "enc.h5"
    write_store(path, [data])
    small_blocks = read_store_records(path, block_residues=500)
    whole = hash_record_codes(data.codes, data.offsets)
    assert np.array_equal(small_blocks.content_keys, whole)
    assert np.array_equal(small_blocks.lengths, data.lengths)


@pytest.mark.parametrize("options", [
    {},
    {"classes": ["c", "b", "a"]},
    {"positive_class": "a", "classes": ["a", "b"]},
    {"split_map": "one=train,two=valid,three=test"},
])
def test_records_match_load_sequences(tmp_path, options):
    names = ["a", "b", "c"] if "positive_class" not in options else ["a", "b"]
    labels = np.arange(12) % len(names)
    splits = np.array(["one", "two", "three"] * 4, dtype=object)
    path = tmp_path / "enc.h5"
    write_store(path, [labelled(["ACGT", "GGA", "TTTA"] * 4, labels, names,
                                splits if "split_map" in options else None)])
    records = read_store_records(path, **options)
    loaded = load_sequences([str(path)], **options)
    assert records.class_names == loaded.class_names
    assert records.task == loaded.task
    assert np.array_equal(records.labels, loaded.labels)
    assert records.ids.tolist() == loaded.ids.tolist()
    if loaded.splits is None:
        assert records.splits is None
    else:
        assert records.splits.tolist() == loaded.splits.tolist()


def test_label_outside_classes_lists_unknown(tmp_path):
    path = tmp_path / "enc.h5"
    write_store(path, [labelled(["ACGT", "GGA", "TTTA"], [0, 1, 2], ["x", "y", "z"])])
    with pytest.raises(LabelError, match=r"label\(s\) \['y', 'z'\] not in classes \[x,w\]"):
        read_store_records(path, classes=["x", "w"])


def test_subset_keeps_rows_and_keys(tmp_path):
    path = tmp_path / "enc.h5"
    write_store(path, [labelled(["ACGT", "GGA", "TTTA", "CC"], [0, 1, 0, 1], ["a", "b"],
                                ["train", "test", "train", "valid"])])
    records = read_store_records(path)
    train = records.split("train")
    assert train.rows.tolist() == [0, 2]
    assert train.ids.tolist() == ["s0", "s2"]
    assert np.array_equal(train.content_keys, records.content_keys[[0, 2]])
    assert train.n_store == 4
    with pytest.raises(ValueError, match="no records in split 'other'"):
        records.split("other")
