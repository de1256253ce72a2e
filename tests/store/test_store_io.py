"""Writing and reading stores: round trips, ids as str, classes, splits, atomic output."""

from __future__ import annotations

import hashlib
import logging
import re
import socket
import zlib
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from bioseq.errors import StoreError
from bioseq.io.store import (
    FORMAT_VERSION,
    StoreWriter,
    find_partial_files,
    open_store,
    read_store,
    read_text,
    validate_store,
    write_store,
)
from bioseq.sequences import SequenceSet


def test_round_trip_keeps_every_field(small_store):
    path, expected = small_store
    back = read_store(path)
    assert back.ids.tolist() == expected.ids.tolist()
    assert np.array_equal(back.offsets, expected.offsets)
    assert np.array_equal(back.codes, expected.codes)
    assert np.array_equal(back.labels, expected.labels)
    assert back.splits.tolist() == expected.splits.tolist()
    assert back.class_names == ["neg", "pos"]
    assert back.task == "binary"
    assert back.alphabet.name == "dna"
    assert back.transforms["uppercased"] == 15


def test_round_trip_spans_many_code_chunks(tmp_path, make_set):
    # 3 x 1500 records of up to 1 kb exceed the 1 MiB code chunk several times.
    parts = [make_set(1500, seed=s, prefix=f"p{s}_", min_length=500, max_length=1000)
             for s in range(3)]
    write_store(tmp_path / "big.h5", parts)
    back = read_store(tmp_path / "big.h5")
    assert back.codes.nbytes > 3 * (1 << 20)
    assert np.array_equal(back.codes, np.concatenate([p.codes for p in parts]))
    assert back.sequence(4499) == parts[2].sequence(1499)


def test_ids_come_back_as_str_and_join_labels(tmp_path, caplog):
    data = SequenceSet.from_strings(["ACGT", "GGA"], ids=["s1", "s2"])
    write_store(tmp_path / "enc.h5", [data])
    table = tmp_path / "labels.csv"
    table.write_text("id,label\ns1,0\ns2,1\n")

    back = read_store(tmp_path / "enc.h5")
    assert all(type(name) is str for name in back.ids)
    labels = pd.read_csv(table, dtype={"id": str})
    joined = pd.DataFrame({"id": back.ids.tolist()}).merge(labels, on="id", how="inner")
    assert len(joined) == 2
    assert joined["label"].tolist() == [0, 1]

    with caplog.at_level(logging.INFO, logger="bioseq"), open_store(tmp_path / "enc.h5") as store:
        found = store.index_of(["s2", "s1", "s9"])
    assert found.tolist() == [1, 0, -1]
    assert "matched 2 of 3 ids; 1 not in the store; 0 store records not listed" in caplog.text


def test_unicode_ids_round_trip(tmp_path):
    data = SequenceSet.from_strings(["AC", "GT"], ids=["séq-α", "配列2"])
    write_store(tmp_path / "u.h5", [data])
    assert read_store(tmp_path / "u.h5").ids.tolist() == ["séq-α", "配列2"]


def test_batches_with_different_class_lists_are_merged(tmp_path):
    first = SequenceSet.from_strings(["AA", "CC"], ids=["a", "b"], labels=[0, 1],
                                     class_names=["pos", "neg"], task="binary")
    second = SequenceSet.from_strings(["GG"], ids=["c"], labels=[0],
                                      class_names=["neg"], task="binary")
    write_store(tmp_path / "m.h5", [first, second])
    back = read_store(tmp_path / "m.h5")
    assert back.class_names == ["neg", "pos"]
    names = [back.class_names[i] for i in back.labels]
    assert names == ["pos", "neg", "neg"]


def test_declared_class_order_is_kept(tmp_path):
    parts = [SequenceSet.from_strings(["AA"], ids=[f"r{i}"], labels=[1],
                                      class_names=["z", "a"], task="binary") for i in range(2)]
    write_store(tmp_path / "d.h5", parts)
    assert read_store(tmp_path / "d.h5").class_names == ["z", "a"]


def test_multilabel_and_regression_labels(tmp_path):
    multi = SequenceSet.from_strings(["AA", "CC"], ids=["a", "b"],
                                     labels=np.array([[1, 0], [1, 1]], dtype=np.float32),
                                     class_names=["x", "y"], task="multilabel")
    write_store(tmp_path / "ml.h5", [multi])
    back = read_store(tmp_path / "ml.h5")
    assert back.labels.dtype == np.float32
    assert back.labels.tolist() == [[1.0, 0.0], [1.0, 1.0]]

    reg = SequenceSet.from_strings(["AA"], ids=["a"], labels=np.array([0.5], dtype=np.float32),
                                   task="regression")
    write_store(tmp_path / "r.h5", [reg])
    assert read_store(tmp_path / "r.h5").labels.tolist() == [0.5]


def test_split_selection(small_store):
    path, expected = small_store
    valid = read_store(path, split="valid")
    assert len(valid) == int((expected.splits == "valid").sum())
    assert set(valid.splits.tolist()) == {"valid"}
    with pytest.raises(StoreError, match="no records in split 'holdout'"):
        read_store(path, split="holdout")


def test_mixed_labelled_and_unlabelled_batches_rejected(tmp_path, make_set):
    labelled = make_set(3, seed=1)
    bare = SequenceSet.from_strings(["AC"], ids=["x"], splits=["train"])
    with pytest.raises(StoreError, match="label every input or none"):
        write_store(tmp_path / "x.h5", [labelled, bare])
    assert not (tmp_path / "x.h5").exists()
    assert find_partial_files(tmp_path / "x.h5") == []


def test_attributes_record_format_and_sources(tmp_path):
    source = tmp_path / "in.fa"
    source.write_text(">a\nACGT\n")
    data = SequenceSet.from_strings(["ACGT"], ids=["a"])
    summary = write_store(tmp_path / "a.h5", [data], sources=[source])
    with h5py.File(tmp_path / "a.h5", "r") as handle:
        assert handle.attrs["format_version"] == FORMAT_VERSION
        assert bool(handle.attrs["complete"]) is True
        assert handle["codes"].compression == "gzip"
    record = summary["sources"][0]
    assert record["size"] == len(b">a\nACGT\n")
    assert record["crc32"] == format(zlib.crc32(b">a\nACGT\n"), "08x")
    assert "sha256" not in record


def test_sha256_source_digest_on_request(tmp_path):
    source = tmp_path / "in.fa"
    source.write_text(">a\nACGT\n")
    data = SequenceSet.from_strings(["ACGT"], ids=["a"])
    summary = write_store(tmp_path / "a.h5", [data], sources=[source], source_digest="sha256")
    record = summary["sources"][0]
    assert record["sha256"] == hashlib.sha256(b">a\nACGT\n").hexdigest()
    assert "crc32" not in record
    # A changed source is found through the digest the store recorded.
    source.write_text(">a\nACGA\n")
    with pytest.raises(StoreError, match=r"in\.fa \(size 8 -> 8 bytes, sha256 changed\)"):
        open_store(tmp_path / "a.h5").close()


def test_existing_store_rejected_without_overwrite(tmp_path):
    data = SequenceSet.from_strings(["ACGT"], ids=["a"])
    write_store(tmp_path / "enc.h5", [data])
    with pytest.raises(StoreError, match=r"enc\.h5 already exists; pass --overwrite"):
        write_store(tmp_path / "enc.h5", [data])


def test_overwrite_leaves_open_reader_intact(tmp_path):
    path = tmp_path / "enc.h5"
    write_store(path, [SequenceSet.from_strings(["AAAA"], ids=["old"])])
    with h5py.File(path, "r") as reader:
        old_inode = path.stat().st_ino
        write_store(path, [SequenceSet.from_strings(["CCCCCC"], ids=["new"])], overwrite=True)
        # The old file was replaced by a rename, never truncated, so the open reader still works.
        assert reader["id_text"][...].tobytes() == b"old\0"
        assert reader["codes"][...].tolist() == [0, 0, 0, 0]
    assert path.stat().st_ino != old_inode
    assert read_store(path).ids.tolist() == ["new"]


def test_failed_write_keeps_old_store(tmp_path):
    path = tmp_path / "enc.h5"
    write_store(path, [SequenceSet.from_strings(["AAAA"], ids=["old"])])

    def batches():
        yield SequenceSet.from_strings(["CC"], ids=["new"])
        raise RuntimeError("input broke")

    with pytest.raises(RuntimeError, match="input broke"):
        write_store(path, batches(), overwrite=True)
    assert read_store(path).ids.tolist() == ["old"]
    assert find_partial_files(path) == []


def test_reader_during_write_reports_incomplete(tmp_path):
    path = tmp_path / "enc.h5"
    with StoreWriter(path, alphabet="dna") as writer:
        writer.append(SequenceSet.from_strings(["ACGT"], ids=["a"]))
        with pytest.raises(StoreError, match=r"enc\.h5 is being written \(incomplete\)"):
            read_store(path)
    assert read_store(path).ids.tolist() == ["a"]


def test_second_writer_rejected_while_first_runs(tmp_path):
    path = tmp_path / "enc.h5"
    with StoreWriter(path, alphabet="dna") as writer:
        writer.append(SequenceSet.from_strings(["ACGT"], ids=["a"]))
        with pytest.raises(StoreError, match="being written by another process"):
            StoreWriter(path, alphabet="dna", overwrite=True)


def test_leftover_of_dead_writer_is_removed(tmp_path):
    path = tmp_path / "enc.h5"
    leftover = tmp_path / f".enc.h5.{socket.gethostname()}.999999999.part"
    leftover.write_bytes(b"partial")
    with pytest.raises(StoreError, match="interrupted bioseq preprocess left"):
        read_store(path)
    write_store(path, [SequenceSet.from_strings(["ACGT"], ids=["a"])])
    assert not leftover.exists()


def test_empty_input_writes_empty_store(tmp_path: Path):
    write_store(tmp_path / "e.h5", [])
    back = read_store(tmp_path / "e.h5")
    assert len(back) == 0


@pytest.mark.parametrize("level", [0, 1, 3, 6, 9])
def test_every_compression_level_round_trips(tmp_path, make_set, level):
    data = make_set(300, seed=level, min_length=900, max_length=1000)
    write_store(tmp_path / "l.h5", [data], compression_level=level)
    assert np.array_equal(read_store(tmp_path / "l.h5").codes, data.codes)


@pytest.mark.parametrize("level", [0, 1])
def test_read_codes_matches_hdf5_slices(tmp_path, make_set, level):
    from bioseq.io.store import read_codes

    data = make_set(3000, seed=7, min_length=900, max_length=1000)
    write_store(tmp_path / "r.h5", [data], compression_level=level)
    with h5py.File(tmp_path / "r.h5", "r") as handle:
        codes = handle["codes"]
        total = codes.shape[0]
        for start, stop in [(0, total), (5, 17), (1048570, 1048590), (2_000_000, total), (9, 9)]:
            expected = codes[start:stop]
            assert np.array_equal(read_codes(tmp_path / "r.h5", codes, start, stop), expected)


def test_descriptions_stay_aligned_across_batches(tmp_path):
    described = SequenceSet.from_strings(["AC"], ids=["a"], descriptions=["first one"])
    bare = SequenceSet.from_strings(["GT", "TT"], ids=["b", "c"])
    write_store(tmp_path / "d.h5", [bare, described, bare.subset([0])])
    back = read_store(tmp_path / "d.h5")
    assert back.descriptions.tolist() == ["", "", "first one", ""]
    assert validate_store(tmp_path / "d.h5") == []


def test_zero_length_record_sets_min_length(tmp_path):
    data = SequenceSet.from_strings(["ACGT", "", "GG"], ids=["a", "b", "c"])
    summary = write_store(tmp_path / "z.h5", [data])
    assert summary["min_length"] == 0
    assert summary["max_length"] == 4


def test_text_columns_are_zero_terminated_utf8_with_offsets(tmp_path):
    ids = ["a", "βeta", "x1", "c"]
    data = SequenceSet.from_strings(["AC", "G", "TT", "A"], ids=ids,
                                    descriptions=["", "two words", "", "é"])
    write_store(tmp_path / "t.h5", [data.subset([0, 1]), data.subset([2, 3])])
    with h5py.File(tmp_path / "t.h5", "r") as handle:
        text = handle["id_text"][...].tobytes()
        offsets = handle["id_offsets"][...]
        described = handle["description_text"][...].tobytes().split(b"\0")[:-1]
    assert text == "".join(f"{name}\0" for name in ids).encode()
    # Plain h5py reads id i as the bytes between two offsets, less the zero byte.
    assert [text[offsets[i] : offsets[i + 1] - 1].decode() for i in range(len(ids))] == ids
    assert [value.decode() for value in described] == ["", "two words", "", "é"]


def test_text_slices_match_whole_column(tmp_path):
    ids = [f"r{i}" * (i % 5 + 1) for i in range(300)]
    data = SequenceSet.from_strings(["ACGT"] * 300, ids=ids)
    write_store(tmp_path / "s.h5", [data.subset(np.arange(i, min(i + 70, 300)))
                                    for i in range(0, 300, 70)])
    with open_store(tmp_path / "s.h5") as store:
        for start, stop in [(0, 300), (0, 1), (1, 2), (17, 181), (299, 300), (300, 300)]:
            assert read_text(store.path, store.handle, "ids", start, stop).tolist() == ids[start:stop]


@pytest.mark.parametrize(("bad_id", "problem"), [("a\0b", "NUL character"),
                                                 ("a\udcffb", "lone surrogate")])
def test_id_the_store_cannot_hold_is_named(tmp_path, bad_id, problem):
    data = SequenceSet.from_strings(["AC", "GT", "TT"], ids=["ok1", bad_id, "ok2"])
    with pytest.raises(StoreError, match=f"record {re.escape(repr(bad_id))}.*its id .*{problem}"):
        write_store(tmp_path / "bad.h5", [data])
    assert not (tmp_path / "bad.h5").exists()
    assert find_partial_files(tmp_path / "bad.h5") == []


def test_per_record_datasets_span_many_chunks(tmp_path):
    # More records than one chunk of offsets holds, and labels wide enough for small chunks.
    n, width = 70_000, 300
    rng = np.random.default_rng(5)
    lengths = rng.integers(1, 6, n)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    data = SequenceSet(
        ids=np.array([f"id{i}" for i in range(n)], dtype=object),
        codes=rng.integers(0, 4, int(offsets[-1]), dtype=np.uint8), offsets=offsets,
        alphabet="dna", labels=(rng.random((n, width)) < 0.1).astype(np.float32),
        class_names=[f"label{j}" for j in range(width)], task="multilabel",
        descriptions=np.array([f"d{i}" if i > 40_000 else "" for i in range(n)], dtype=object),
    )
    batches = [data.subset(np.arange(start, min(start + 9_000, n))) for start in range(0, n, 9_000)]
    write_store(tmp_path / "many.h5", batches)
    assert validate_store(tmp_path / "many.h5") == []
    back = read_store(tmp_path / "many.h5")
    assert back.ids.tolist() == data.ids.tolist()
    assert back.descriptions.tolist() == data.descriptions.tolist()
    assert np.array_equal(back.offsets, data.offsets)
    assert np.array_equal(back.labels, data.labels)
    with h5py.File(tmp_path / "many.h5", "r") as handle:
        assert handle["labels"].chunks[0] < 1000
        assert np.array_equal(handle["id_offsets"][...][-3:],
                              np.cumsum([len(f"id{i}") + 1 for i in range(n)])[-3:])
