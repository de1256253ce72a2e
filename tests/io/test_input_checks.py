"""Inputs that a new user gets wrong: encodings, label spellings, folders, separators, splits."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bioseq.cli.options import loader_arguments
from bioseq.errors import ConfigError, FormatError, LabelError, TableFormatError
from bioseq.io.load import automatic_id_prefixes, iter_sequences, load_sequences

BIOSEQ = Path(sys.executable).parent / "bioseq"


def write(path: Path, content: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def run_bioseq(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIOSEQ), *arguments], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONWARNINGS": "ignore"})


# Text that is not UTF-8


def test_table_latin1_byte_position(tmp_path):
    path = write(tmp_path / "latin1.csv", b"id,sequence,label\nr1,ACGT,0\nr2,ACGA,caf\xe9\n")
    with pytest.raises(FormatError, match=r"latin1\.csv:3: not UTF-8 \(byte 0xe9 at column 12\); "
                                          r"re-save the file as UTF-8"):
        load_sequences(path)


def test_table_latin1_preprocess_cli(tmp_path):
    write(tmp_path / "latin1.csv", b"id,sequence,label\nr\xe9,ACGT,0\nr2,ACGA,1\n")
    done = run_bioseq("preprocess", "--data", "latin1.csv", "--out", "o.h5", cwd=tmp_path)
    assert done.returncode == 1
    assert "latin1.csv:2: not UTF-8 (byte 0xe9 at column 2)" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "o.h5").exists()


def test_fasta_header_latin1_byte(tmp_path):
    path = write(tmp_path / "h.fa", b">r1 ok\nACGT\n>r2 caf\xe9\nACGA\n")
    with pytest.raises(FormatError, match=r"h\.fa:3: not UTF-8 \(byte 0xe9 at column 8\)"):
        load_sequences(path)


def test_fasta_header_latin1_streaming(tmp_path):
    path = write(tmp_path / "h.fa", b">r1\nACGT\n>r\xe9\nACGA\n")
    with pytest.raises(FormatError, match=r"h\.fa:3: not UTF-8 \(byte 0xe9 at column 3\)"):
        list(iter_sequences(path, chunk_size=1, labels=False))


def test_fasta_valid_replacement_character_kept(tmp_path):
    path = write(tmp_path / "ok.fa", ">r1 \ufffd\nACGT\n")
    records = load_sequences(path, labels=False)
    assert records.ids.tolist() == ["r1"]


# Label spellings


def test_labels_mixed_spellings_rejected(tmp_path):
    path = write(tmp_path / "mixed.csv", "sequence,label\nACGT,1\nACGA,0\nAAAA,1.0\nCCCC,0.0\n")
    with pytest.raises(LabelError, match=r"'1' and '1\.0'") as caught:
        load_sequences(path)
    message = str(caught.value)
    assert "'0' and '0.0'" in message
    assert "'1.0' (1 records: mixed.csv:4)" in message
    assert "'0.0' (1 records: mixed.csv:5)" in message


def test_labels_spellings_differ_across_files(tmp_path):
    write(tmp_path / "a.csv", "sequence,label\nACGT,1\nACGA,0\n")
    write(tmp_path / "b.csv", "sequence,label\nAAAA,1.0\nCCCC,0.0\n")
    with pytest.raises(LabelError, match=r"'1\.0' in .*b\.csv"):
        load_sequences([tmp_path / "a.csv", tmp_path / "b.csv"])


def test_labels_float_spelling_loads(tmp_path):
    path = write(tmp_path / "floats.csv", "sequence,label\nACGT,1.0\nACGA,0.0\n")
    records = load_sequences(path)
    assert records.class_names == ["0.0", "1.0"]
    assert records.task == "binary"


# Automatic ids


def test_automatic_ids_differ_across_folders(tmp_path):
    write(tmp_path / "a" / "x.csv", "sequence,label\nACGT,1\nACGA,0\n")
    write(tmp_path / "b" / "x.csv", "sequence,label\nAAAA,1\nCCCC,0\n")
    records = load_sequences([f"train:{tmp_path}/a/x.csv", f"test:{tmp_path}/b/x.csv"])
    assert records.ids.tolist() == ["a/x.csv:2", "a/x.csv:3", "b/x.csv:2", "b/x.csv:3"]
    assert records.splits.tolist() == ["train", "train", "test", "test"]


def test_automatic_ids_differ_when_streaming(tmp_path):
    write(tmp_path / "a" / "x.csv", "sequence,label\nACGT,1\nACGA,0\n")
    write(tmp_path / "b" / "x.csv", "sequence,label\nAAAA,1\nCCCC,0\n")
    chunks = list(iter_sequences([tmp_path / "a" / "x.csv", tmp_path / "b" / "x.csv"],
                                 chunk_size=10, classes="0,1"))
    ids = [name for chunk in chunks for name in chunk.ids.tolist()]
    assert ids == ["a/x.csv:2", "a/x.csv:3", "b/x.csv:2", "b/x.csv:3"]


def test_automatic_ids_keep_file_name_when_unique(tmp_path):
    write(tmp_path / "a" / "x.csv", "sequence,label\nACGT,1\nACGA,0\n")
    write(tmp_path / "b" / "y.csv", "sequence,label\nAAAA,1\nCCCC,0\n")
    records = load_sequences([tmp_path / "a" / "x.csv", tmp_path / "b" / "y.csv"])
    assert records.ids.tolist() == ["x.csv:2", "x.csv:3", "y.csv:2", "y.csv:3"]


def test_automatic_ids_same_file_twice_collide(tmp_path):
    path = write(tmp_path / "x.csv", "sequence,label\nACGT,1\nACGA,0\n")
    with pytest.raises(FormatError, match=r"2 record ids occur in more than one source"):
        load_sequences([f"train:{path}", f"test:{path}"])


def test_automatic_id_prefixes_deeper_paths():
    prefixes = automatic_id_prefixes([Path("r/a/data/x.csv"), Path("r/b/data/x.csv")])
    assert prefixes == ["a/data/x.csv", "b/data/x.csv"]


# Folders as inputs


def test_folder_input_names_the_files_inside(tmp_path):
    write(tmp_path / "adir" / "train.csv", "sequence,label\nACGT,1\nACGA,0\n")
    with pytest.raises(ConfigError, match=r"adir is a folder, not a file \(it contains train\.csv\)"):
        load_sequences(tmp_path / "adir")


def test_folder_input_in_preprocess_cli(tmp_path):
    write(tmp_path / "adir" / "train.csv", "sequence,label\nACGT,1\nACGA,0\n")
    done = run_bioseq("preprocess", "--data", "adir", "--out", "o.h5", cwd=tmp_path)
    assert done.returncode == 1
    assert "input adir is a folder, not a file" in done.stderr
    assert "--data adir/train.csv" in done.stderr
    assert "not found" not in done.stderr


# Separators


def test_semicolon_csv_hints_at_sep(tmp_path):
    path = write(tmp_path / "semi.csv", "id;sequence;label\nr1;ACGT;1\nr2;ACGA;0\n")
    with pytest.raises(TableFormatError, match=r"probably ';'-separated: pass sep=';' \(--sep ';'\)"):
        load_sequences(path)


def test_semicolon_csv_reads_with_sep(tmp_path):
    path = write(tmp_path / "semi.csv", "id;sequence;label\nr1;ACGT;1\nr2;ACGA;0\n")
    records = load_sequences(path, sep=";")
    assert records.ids.tolist() == ["r1", "r2"]


def test_tab_in_csv_header_hints_at_tab(tmp_path):
    path = write(tmp_path / "tabs.csv", "id\tsequence\tlabel\nr1\tACGT\t1\n")
    with pytest.raises(TableFormatError, match=r"probably tab-separated"):
        load_sequences(path, sequence_column="sequence")


# Single-class warning over streamed chunks

HEADER_LABELS = {"header_sep": "|", "header_fields": "id,type", "label_field": "type"}


def single_class_warnings(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records
            if record.levelno == logging.WARNING and "single class" in record.getMessage()]


def test_streamed_two_classes_no_warning(tmp_path, caplog):
    records = "".join(f">r{i}|{'A' if i < 4 else 'B'}\nACGT\n" for i in range(8))
    path = write(tmp_path / "two.fa", records)
    with caplog.at_level(logging.WARNING):
        chunks = list(iter_sequences(path, chunk_size=2, classes="A,B", **HEADER_LABELS))
    assert len(chunks) == 4
    assert single_class_warnings(caplog) == []


def test_streamed_single_class_warns_once(tmp_path, caplog):
    path = write(tmp_path / "one.fa", "".join(f">r{i}|A\nACGT\n" for i in range(6)))
    with caplog.at_level(logging.WARNING):
        chunks = list(iter_sequences(path, chunk_size=2, classes="A,B", **HEADER_LABELS))
    assert len(chunks) == 3
    warnings = single_class_warnings(caplog)
    assert len(warnings) == 1
    assert "all 6 records" in warnings[0]
    assert "['A']" in warnings[0]


def test_loaded_single_class_warns_once(tmp_path, caplog):
    path = write(tmp_path / "one.csv", "sequence,label\nACGT,A\nACGA,A\n")
    with caplog.at_level(logging.WARNING):
        load_sequences(path, classes="A,B")
    assert len(single_class_warnings(caplog)) == 1


# Split values mapped to split names


def test_split_map_on_table_fold_numbers(tmp_path):
    path = write(tmp_path / "folds.csv",
                 "sequence,label,split\nACGT,1,0\nACGA,0,1\nAAAA,1,2\nCCCC,0,2\n")
    records = load_sequences(path, split_map="0=test,1=valid,2=train")
    assert records.splits.tolist() == ["test", "valid", "train", "train"]
    assert records.transforms["split_mapped"] == 4


def test_split_map_on_fasta_split_field(tmp_path):
    path = write(tmp_path / "parts.fa", ">p1|SP|0\nMKV\n>p2|NO_SP|1\nMKL\n>p3|SP|2\nMKA\n")
    options = {"header_sep": "|", "header_fields": "id,type,partition", "label_field": "type",
               "split_field": "partition"}
    records = load_sequences(path, split_map={0: "test", 1: "valid", 2: "train"}, **options)
    assert records.splits.tolist() == ["test", "valid", "train"]
    chunks = list(iter_sequences(path, chunk_size=2, classes="NO_SP,SP",
                                 split_map=["0=test", "1=valid,2=train"], **options))
    assert [s for chunk in chunks for s in chunk.splits.tolist()] == ["test", "valid", "train"]


def test_split_map_unmapped_value_rejected(tmp_path):
    path = write(tmp_path / "folds.csv", "sequence,label,split\nACGT,1,0\nACGA,0,3\n")
    with pytest.raises(ConfigError, match=r"split value\(s\) \['3'\] are not in the split map"):
        load_sequences(path, split_map="0=test")


def test_split_map_invalid_target_rejected(tmp_path):
    path = write(tmp_path / "folds.csv", "sequence,label,split\nACGT,1,0\n")
    with pytest.raises(ConfigError, match=r"invalid split map target 'holdout'"):
        load_sequences(path, split_map="0=holdout")


def test_split_map_cli_option_joins_repeats():
    _, arguments = loader_arguments(data=("x.csv",), split_map=("0=test", "1=valid,2=train"))
    assert arguments["split_map"] == "0=test,1=valid,2=train"


def test_split_map_in_preprocess_and_store(tmp_path):
    write(tmp_path / "folds.csv", "sequence,label,split\nACGT,1,0\nACGA,0,1\nAAAA,1,2\nCCCC,0,2\n")
    done = run_bioseq("preprocess", "--data", "folds.csv", "--split-map", "0=test,1=valid",
                      "--split-map", "2=train", "--out", "mapped.h5", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    stored = load_sequences(tmp_path / "mapped.h5")
    assert stored.splits.tolist() == ["test", "valid", "train", "train"]


def test_split_map_on_store_splits(tmp_path):
    write(tmp_path / "folds.csv", "sequence,label,split\nACGT,1,0\nACGA,0,1\nAAAA,1,2\nCCCC,0,2\n")
    done = run_bioseq("preprocess", "--data", "folds.csv", "--out", "raw.h5", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert load_sequences(tmp_path / "raw.h5").splits.tolist() == ["0", "1", "2", "2"]
    mapped = load_sequences(tmp_path / "raw.h5", split_map="0=test,1=valid,2=train")
    assert np.array_equal(mapped.splits, np.array(["test", "valid", "train", "train"], dtype=object))
