"""Tests of the motif simulator and ``bioseq simulate``."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from click.testing import CliRunner

from bioseq.cli import main
from bioseq.errors import ConfigError
from bioseq.simulate import MOTIFS, SimulationSpec, simulate_sequences, write_simulated


def test_simulate_same_seed_same_records():
    spec = SimulationSpec(n_sequences=50, length=40, seed=3)
    first = simulate_sequences(spec)
    second = simulate_sequences(spec)
    assert np.array_equal(first.codes, second.codes)
    assert np.array_equal(first.labels, second.labels)


def test_simulate_other_seed_other_records():
    first = simulate_sequences(SimulationSpec(n_sequences=50, length=40, seed=3))
    second = simulate_sequences(SimulationSpec(n_sequences=50, length=40, seed=4))
    assert not np.array_equal(first.codes, second.codes)


def test_simulate_binary_positives_carry_motif():
    records = simulate_sequences(SimulationSpec(n_sequences=200, length=60, motifs=("e_box",)))
    positives = [records.sequence(i) for i in np.flatnonzero(records.labels == 1)]
    assert records.class_names == ["negative", "positive"]
    assert len(positives) == 100
    assert all(MOTIFS["e_box"] in sequence for sequence in positives)


def test_simulate_multiclass_each_class_its_motif():
    motifs = ("tata_box", "gc_box", "splice_donor")
    records = simulate_sequences(
        SimulationSpec(n_sequences=90, length=50, task="multiclass", motifs=motifs)
    )
    for index, label in enumerate(records.labels):
        assert MOTIFS[motifs[int(label)]] in records.sequence(index)


def test_simulate_multilabel_columns_match_motifs():
    motifs = ("tata_box", "caat_box", "e_box")
    records = simulate_sequences(
        SimulationSpec(n_sequences=100, length=60, task="multilabel", motifs=motifs)
    )
    assert records.labels.shape == (100, 3)
    assert records.labels.dtype == np.float32
    for index in range(len(records)):
        sequence = records.sequence(index)
        for column, name in enumerate(motifs):
            if records.labels[index, column] == 1:
                assert MOTIFS[name] in sequence


def test_simulate_gc_content_of_background():
    records = simulate_sequences(
        SimulationSpec(n_sequences=400, length=200, gc_content=0.7, motifs=("e_box",))
    )
    # Codes 1 and 2 are C and G.
    gc = np.isin(records.codes, (1, 2)).mean()
    assert abs(gc - 0.7) < 0.02


def test_simulate_split_fractions_exact():
    records = simulate_sequences(
        SimulationSpec(n_sequences=1000, length=30, split_fractions=(0.7, 0.2, 0.1))
    )
    names, counts = np.unique(records.splits.astype(str), return_counts=True)
    assert dict(zip(names.tolist(), counts.tolist(), strict=True)) == {
        "train": 700, "valid": 200, "test": 100,
    }


def test_simulate_blocks_match_whole_set():
    # More records than one internal block, to cover the block boundary.
    spec = SimulationSpec(n_sequences=5000, length=20, motifs=("tata_box",))
    records = simulate_sequences(spec)
    assert len(records) == 5000
    assert len(set(records.ids.tolist())) == 5000


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"length": 5}, "too short"),
        ({"motifs": ("zinc_finger",)}, "unknown motif 'zinc_finger'"),
        ({"task": "multiclass", "motifs": ("tata_box",)}, "at least 2 motifs"),
        ({"gc_content": 1.5}, "gc_content must be between 0 and 1"),
        ({"split_fractions": (0.5, 0.2, 0.2)}, "must sum to 1"),
        ({"task": "regression"}, "invalid task 'regression'"),
    ],
)
def test_spec_invalid_parameter_rejected(changes, message):
    with pytest.raises(ConfigError, match=message):
        SimulationSpec(**changes)


def test_write_csv_per_split(tmp_path):
    spec = SimulationSpec(n_sequences=100, length=40, motifs=("gc_box",))
    summary = write_simulated(spec, tmp_path, "csv")
    with open(tmp_path / "train.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["id", "sequence", "label", "split", "motifs"]
    assert {row["split"] for row in rows} == {"train"}
    assert len(rows) == 80
    for row in rows:
        if row["label"] == "positive":
            start = int(row["motifs"].split("@")[1])
            assert row["sequence"][start : start + 6] == "GGGCGG"
        else:
            assert row["motifs"] == ""
    assert summary["counts"]["test"] == json.loads((tmp_path / "simulation.json").read_text())[
        "counts"]["test"]


def test_write_leaves_no_temporary_files(tmp_path):
    write_simulated(SimulationSpec(n_sequences=30, length=40), tmp_path, "fasta")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "simulation.json", "test.fasta", "train.fasta", "valid.fasta",
    ]


def test_cli_simulate_fasta_headers(tmp_path):
    result = CliRunner().invoke(main, [
        "simulate", "--out", str(tmp_path), "-n", "20", "--length", "30",
        "--task", "multilabel", "--motif", "tata_box", "--motif", "e_box",
        "--format", "fasta", "--split", "none", "--seed", "5",
    ])
    assert result.exit_code == 0, result.output
    lines = (tmp_path / "sequences.fasta").read_text().splitlines()
    assert len(lines) == 40
    assert lines[0].startswith(">sim00 label=")
    assert all(len(line) == 30 for line in lines[1::2])


def test_cli_simulate_short_length_exit_1(tmp_path):
    result = CliRunner().invoke(main, ["simulate", "--out", str(tmp_path), "--length", "4"])
    assert result.exit_code == 1
    assert "use a length of at least 6" in result.output


def test_cli_simulate_bad_split_exit_2(tmp_path):
    result = CliRunner().invoke(main, ["simulate", "--out", str(tmp_path), "--split", "a,b"])
    assert result.exit_code == 2
    assert "three comma-separated fractions" in result.output
