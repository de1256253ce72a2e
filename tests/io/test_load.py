"""load_sequences: format detection, CLASS=PATH sources, splits, streaming."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from bioseq.errors import ConfigError, FastaFormatError, FormatError, LabelError
from bioseq.io.load import DataSource, detect_format, iter_sequences, load_sequences


def write(folder: Path, name: str, content: bytes | str) -> Path:
    path = folder / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def test_detect_format_by_content(tmp_path):
    assert detect_format(write(tmp_path, "a.csv", ">r\nACGT\n")) == "fasta"
    assert detect_format(write(tmp_path, "b.fa", "id,sequence\nr,AC\n")) == "fasta"
    assert detect_format(write(tmp_path, "c.dat", "id,sequence\nr,AC\n")) == "table"
    assert detect_format(write(tmp_path, "d", gzip.compress(b"\xef\xbb\xbf\n>r\nAC\n"))) == "fasta"
    assert detect_format(write(tmp_path, "e.txt", "ACGT\n")) == "fasta"
    assert detect_format(write(tmp_path, "f.h5", b"\x89HDF\r\n\x1a\n" + b"\0" * 16)) == "store"


def test_fasta_errors_reach_the_loader(tmp_path):
    with pytest.raises(FastaFormatError, match=r"x\.fa:1: expected '>' header"):
        load_sequences(write(tmp_path, "x.fa", "ACGTACGT\nGGCC\n"))


def test_class_per_file(tmp_path):
    write(tmp_path, "pos.fa", ">p1\nACGT\n>p2\nACGG\n")
    write(tmp_path, "neg.fa", ">n1\nTTTT\n")
    records = load_sequences([f"yes={tmp_path}/pos.fa", f"no={tmp_path}/neg.fa"], positive_class="yes")
    assert records.class_names == ["no", "yes"]
    assert records.labels.tolist() == [1, 1, 0]
    assert records.task == "binary"
    assert records.sources == [str(tmp_path / "pos.fa"), str(tmp_path / "neg.fa")]


def test_split_per_file(tmp_path):
    write(tmp_path, "tr.csv", "sequence,label\nAC,a\nGG,b\n")
    write(tmp_path, "te.csv", "sequence,label\nTT,b\n")
    records = load_sequences([f"train:{tmp_path}/tr.csv", f"test:{tmp_path}/te.csv"])
    assert records.splits.tolist() == ["train", "train", "test"]
    assert records.class_names == ["a", "b"]
    assert records.labels.tolist() == [0, 1, 1]


def test_classes_merged_across_files(tmp_path):
    write(tmp_path, "a.csv", "sequence,label\nAC,2\nGG,10\n")
    write(tmp_path, "b.csv", "sequence,label\nTT,1\n")
    records = load_sequences([tmp_path / "a.csv", tmp_path / "b.csv"])
    assert records.class_names == ["1", "2", "10"]
    assert records.labels.tolist() == [1, 2, 0]


def test_mixed_split_sources_rejected(tmp_path):
    write(tmp_path, "a.fa", ">a\nAC\n")
    write(tmp_path, "b.fa", ">b\nGG\n")
    with pytest.raises(ConfigError, match=r"some sources have splits"):
        load_sequences([f"train:x={tmp_path}/a.fa", f"y={tmp_path}/b.fa"])


def test_unlabelled_source_among_labelled(tmp_path):
    write(tmp_path, "a.fa", ">a\nAC\n")
    write(tmp_path, "b.fa", ">b\nGG\n")
    with pytest.raises(LabelError, match=r"sources without labels: b\.fa"):
        load_sequences([f"x={tmp_path}/a.fa", f"{tmp_path}/b.fa"])


def test_ids_repeated_across_files(tmp_path):
    write(tmp_path, "a.fa", ">r\nAC\n")
    write(tmp_path, "b.fa", ">r\nGG\n")
    with pytest.raises(FormatError, match=r"occur in more than one source \(first: 'r'\)"):
        load_sequences([tmp_path / "a.fa", tmp_path / "b.fa"])
    renamed = load_sequences([tmp_path / "a.fa", tmp_path / "b.fa"], duplicates="rename")
    assert renamed.ids.tolist() == ["r", "r_2"]


def test_alphabet_guessed_once(tmp_path):
    write(tmp_path, "a.fa", ">a\nACGTACGTAC\n")
    write(tmp_path, "b.fa", ">b\nAAAA\n")
    records = load_sequences([tmp_path / "a.fa", tmp_path / "b.fa"])
    assert records.alphabet.name == "dna"


def test_unknown_option(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown loader option\(s\) \['colour'\]"):
        load_sequences(write(tmp_path, "a.fa", ">a\nAC\n"), colour="red")


def test_source_spec_parsing(tmp_path):
    existing = write(tmp_path, "x=y.fa", ">a\nAC\n")
    assert DataSource.parse(str(existing)) == DataSource(existing)
    assert DataSource.parse("test:neg=data/n.fa") == DataSource(Path("data/n.fa"), "neg", "test")
    with pytest.raises(ConfigError, match=r"invalid split 'fold1'"):
        DataSource.parse("fold1:data/n.fa")


def test_iter_sequences_class_sources(tmp_path):
    write(tmp_path, "pos.fa", "".join(f">p{i}\nACGT\n" for i in range(5)))
    write(tmp_path, "neg.fa", "".join(f">n{i}\nTTTT\n" for i in range(3)))
    chunks = list(iter_sequences([f"pos={tmp_path}/pos.fa", f"neg={tmp_path}/neg.fa"], chunk_size=2))
    labels = np.concatenate([chunk.labels for chunk in chunks])
    assert [len(chunk) for chunk in chunks] == [2, 2, 1, 2, 1]
    assert chunks[0].class_names == ["neg", "pos"]
    assert labels.tolist() == [1, 1, 1, 1, 1, 0, 0, 0]


def test_iter_sequences_header_labels_need_classes(tmp_path):
    path = write(tmp_path, "k.fa", ">a class=x\nAC\n")
    with pytest.raises(ConfigError, match=r"classes must be declared before the first record: pass --classes"):
        list(iter_sequences(path, label_field="class"))
    chunks = list(iter_sequences(path, label_field="class", classes="x,y"))
    assert chunks[0].labels.tolist() == [0]


def test_iter_sequences_positive_class(tmp_path):
    write(tmp_path, "a.fa", ">a1\nACGT\n")
    write(tmp_path, "b.fa", ">b1\nTTTT\n")
    chunks = list(iter_sequences([f"a={tmp_path}/a.fa", f"b={tmp_path}/b.fa"], positive_class="a"))
    assert chunks[0].class_names == ["b", "a"]
    assert np.concatenate([c.labels for c in chunks]).tolist() == [1, 0]


def test_iter_sequences_tables_infer_classes_over_all_files(tmp_path):
    write(tmp_path, "a.csv", "sequence,label\nAC,x\nGG,x\n")
    write(tmp_path, "b.csv", "sequence,label\nTT,w\n")
    chunks = list(iter_sequences([tmp_path / "a.csv", tmp_path / "b.csv"], chunk_size=2))
    assert all(chunk.class_names == ["w", "x"] for chunk in chunks)
    assert np.concatenate([c.labels for c in chunks]).tolist() == [1, 1, 0]


def test_gzip_cut_in_header_names_file(tmp_path):
    path = write(tmp_path, "tiny.fa.gz", gzip.compress(b">r1\nACGT\n" * 50)[:15])
    with pytest.raises(EOFError, match=r"tiny\.fa\.gz: compressed data is truncated or corrupt"):
        load_sequences(path)


def test_iter_sequences_streams_unlabelled_fasta(tmp_path, monkeypatch):
    import bioseq.io.load as load

    path = write(tmp_path, "big.fa", "".join(f">r{i}\nACGT\n" for i in range(20)))
    # Streaming must not fall back to reading everything for FASTA without labels.
    monkeypatch.setattr(load, "load_sequences", None)
    chunks = list(iter_sequences(path, chunk_size=8))
    assert [len(chunk) for chunk in chunks] == [8, 8, 4]
    assert chunks[0].labels is None
