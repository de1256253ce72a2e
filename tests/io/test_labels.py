"""Labels: declared classes, blank labels, class order, tasks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bioseq.errors import LabelError
from bioseq.io.labels import RawLabels, encode_labels, parse_classes
from bioseq.io.load import load_sequences
from bioseq.io.tables import read_table


def write(folder: Path, name: str, content: str) -> Path:
    path = folder / name
    path.write_text(content)
    return path


def test_label_not_in_declared_classes(tmp_path):
    path = write(tmp_path, "train.csv", "sequence,label\nACGT,0\nGGCC,3\nTTTT,7\nAAAA,3\n")
    with pytest.raises(LabelError, match=r"train\.csv:3: label '3' not in classes \[0,1,2\]") as caught:
        load_sequences(path, classes=[0, 1, 2])
    assert "'7'" in str(caught.value)
    assert "train.csv:5" in str(caught.value)


def test_declared_classes_keep_their_order(tmp_path):
    path = write(tmp_path, "train.csv", "sequence,label\nACGT,b\nGGCC,a\n")
    records = load_sequences(path, classes="b,a,c")
    assert records.class_names == ["b", "a", "c"]
    assert records.labels.tolist() == [0, 1]
    assert records.task == "multiclass"


def test_blank_label_is_error(tmp_path):
    path = write(tmp_path, "train.csv", "sequence,label\nACGT,1\nGGCC,\nTTAA,0\n")
    with pytest.raises(LabelError, match=r"train\.csv:3: missing label"):
        read_table(path)


def test_blank_label_dropped_on_request(tmp_path):
    path = write(tmp_path, "train.csv", "sequence,label\nACGT,1\nGGCC,\nTTAA,0\n")
    records = read_table(path, missing_labels="drop")
    assert len(records) == 2
    assert records.class_names == ["0", "1"]
    assert records.labels.dtype == np.int64
    assert records.labels.tolist() == [1, 0]
    assert records.transforms["missing_label_dropped"] == 1
    assert records.sequence(1) == "TTAA"


def test_class_index_out_of_range(tmp_path):
    path = write(tmp_path, "train.csv", "sequence,label\nACGT,1\nGGCC,2\n")
    with pytest.raises(LabelError, match=r"train\.csv:3: label '2' not in classes 0\.\.1 \(2 classes\)"):
        load_sequences(path, classes=2)


def test_class_index_out_of_range_lists_rows(tmp_path):
    path = write(tmp_path, "train.csv", "sequence,label\nACGT,1\nGGCC,2\nGG,-1\nTT,2\n")
    with pytest.raises(LabelError) as caught:
        load_sequences(path, classes=["0", "1"])
    message = str(caught.value)
    assert "'-1' (1 records: train.csv:4)" in message
    assert "'2' (2 records: train.csv:3, train.csv:5)" in message


def test_natural_class_order():
    raw = RawLabels(np.array(["10", "2", "1", "2"], dtype=object), np.arange(2, 6),
                    np.array(["t.csv"] * 4, dtype=object))
    labels, names, task, _ = encode_labels(raw)
    assert names == ["1", "2", "10"]
    assert labels.tolist() == [2, 1, 0, 1]
    assert task == "multiclass"


def test_positive_class_moves_to_index_one():
    raw = RawLabels(np.array(["pos", "neg", "pos"], dtype=object), np.arange(2, 5),
                    np.array(["t.csv"] * 3, dtype=object))
    _, default_names, _, _ = encode_labels(raw)
    labels, names, task, _ = encode_labels(raw, positive_class="neg")
    assert default_names == ["neg", "pos"]
    assert names == ["pos", "neg"]
    assert labels.tolist() == [0, 1, 0]
    assert task == "binary"


def test_positive_class_unknown():
    raw = RawLabels(np.array(["a", "b"], dtype=object), np.arange(2, 4), np.array(["t"] * 2, dtype=object))
    with pytest.raises(LabelError, match=r"positive class 'c' is not one of the classes \[a,b\]"):
        encode_labels(raw, positive_class="c")


def test_multilabel_columns(tmp_path):
    path = write(tmp_path, "m.csv", "sequence,tf1,tf2\nACGT,1,0\nGGCC,0,1\nTT,1,1\n")
    records = read_table(path, label_columns=["tf1", "tf2"])
    assert records.task == "multilabel"
    assert records.class_names == ["tf1", "tf2"]
    assert records.labels.dtype == np.float32
    assert records.labels.tolist() == [[1, 0], [0, 1], [1, 1]]


def test_multilabel_rejects_other_values(tmp_path):
    path = write(tmp_path, "m.csv", "sequence,tf1,tf2\nACGT,1,0\nGGCC,0,2\n")
    with pytest.raises(LabelError, match=r"m\.csv:3: multilabel column 'tf2' contains \['2'\]"):
        read_table(path, label_columns=["tf1", "tf2"])


def test_regression_values(tmp_path):
    path = write(tmp_path, "r.csv", "sequence,score\nACGT,0.5\nGGCC,-2\n")
    records = read_table(path, label_columns="score", task="regression")
    assert records.task == "regression"
    assert records.labels.dtype == np.float32
    assert records.labels.tolist() == [0.5, -2.0]


def test_regression_rejects_text(tmp_path):
    path = write(tmp_path, "r.csv", "sequence,score\nACGT,0.5\nGGCC,high\n")
    with pytest.raises(LabelError, match=r"r\.csv:3: regression target 'high' .* is not a number"):
        read_table(path, label_columns="score", task="regression")


def test_binary_task_with_three_classes(tmp_path):
    path = write(tmp_path, "b.csv", "sequence,label\nAC,a\nGG,b\nTT,c\n")
    with pytest.raises(LabelError, match=r"task 'binary' needs 2 classes, found 3"):
        read_table(path, task="binary")


def test_parse_classes_forms():
    assert parse_classes("0, 1,2") == ["0", "1", "2"]
    assert parse_classes([0.0, 1.0]) == ["0", "1"]
    assert parse_classes(4) == 4
    with pytest.raises(LabelError, match=r"repeat \['a'\]"):
        parse_classes(["a", "a"])
