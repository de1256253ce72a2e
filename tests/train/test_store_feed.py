"""Training, evaluation and prediction from an HDF5 store through the command line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from helpers import motif_sequences

from bioseq.cli import main
from bioseq.io.store import write_store
from bioseq.sequences import SequenceSet

TRAIN = ["--model", "cnn", "--epochs", "1", "--batch-size", "32", "--seed", "3"]


def cli(*arguments: str) -> str:
    """Run ``bioseq ARGUMENTS`` in this process and return its output; fail on an error."""
    result = CliRunner().invoke(main, ["-q", *arguments], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def cli_error(*arguments: str) -> str:
    """Run ``bioseq ARGUMENTS`` that must fail with exit code 1; return the message."""
    result = CliRunner().invoke(main, ["-q", *arguments])
    assert result.exit_code == 1, result.output
    return result.output


def write_fasta(path: Path, n: int = 160, *, splits: bool = True, seed: int = 0,
                repeat: int = 0) -> Path:
    """Write motif sequences with ``label=`` (and ``split=``) header fields.

    The first ``repeat`` sequences occur once more at the end of the file,
    with the same label, so the file contains exact duplicates.
    """
    sequences, labels = motif_sequences(n, 40, seed)
    names = ["absent", "present"]
    parts = ["train"] * (n * 3 // 4) + ["valid"] * (n // 8)
    parts += ["test"] * (n - len(parts))
    rows = [(f"r{i}", s, names[y], parts[i]) for i, (s, y) in enumerate(zip(sequences, labels, strict=True))]
    rows += [(f"dup{i}", rows[i][1], rows[i][2], "train") for i in range(repeat)]
    lines = []
    for record_id, sequence, label, split in rows:
        header = f">{record_id} label={label}" + (f" split={split}" if splits else "")
        lines += [header, sequence]
    path.write_text("\n".join(lines) + "\n")
    return path


def preprocess(fasta: Path, store: Path, *, splits: bool = True) -> Path:
    options = ["--label-field", "label", "--classes", "absent,present"]
    if splits:
        options += ["--split-field", "split"]
    cli("preprocess", str(fasta), "--out", str(store), *options)
    return store


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as stream:
        return list(csv.DictReader(stream))


def test_store_train_evaluate_predict(tmp_path):
    fasta = write_fasta(tmp_path / "motif.fa")
    store = preprocess(fasta, tmp_path / "motif.h5")
    run = tmp_path / "run"
    cli("train", "--data", str(store), "--out", str(run), *TRAIN)
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["data_loading"]["mode"] == "out-of-core store"
    assert manifest["split_sizes"] == {"train": 120, "valid": 20, "test": 20}
    assert manifest["test_metrics"]
    assert manifest["distributed"]["records_seen_per_rank"] == [120]

    cli("predict", str(run), str(store), "--out", str(tmp_path / "store.csv"), "--chunk-size", "50")
    cli("predict", str(run), str(fasta), "--out", str(tmp_path / "fasta.csv"))
    from_store = (tmp_path / "store.csv").read_text()
    assert from_store == (tmp_path / "fasta.csv").read_text()
    assert len(read_rows(tmp_path / "store.csv")) == 160

    cli("evaluate", str(run), "--data", str(store), "--split", "test", "--bootstrap", "20",
        "--out", str(tmp_path / "eval_store"))
    test_fasta = tmp_path / "test.fa"
    records = fasta.read_text().splitlines()
    test_fasta.write_text("\n".join(line for pair in zip(records[::2], records[1::2], strict=True)
                                    if "split=test" in pair[0] for line in pair) + "\n")
    cli("evaluate", str(run), "--data", str(test_fasta), "--label-field", "label",
        "--bootstrap", "20", "--out", str(tmp_path / "eval_fasta"))
    store_metrics = json.loads((tmp_path / "eval_store" / "metrics.json").read_text())
    fasta_metrics = json.loads((tmp_path / "eval_fasta" / "metrics.json").read_text())
    assert store_metrics["overall"] == fasta_metrics["overall"]
    assert store_metrics["data"]["train_overlap"] == fasta_metrics["data"]["train_overlap"]
    assert store_metrics["data"]["train_overlap"]["method"] == "identical sequence"
    assert ((tmp_path / "eval_store" / "predictions.csv").read_text()
            == (tmp_path / "eval_fasta" / "predictions.csv").read_text())


def test_store_without_splits_matches_memory_split(tmp_path):
    fasta = write_fasta(tmp_path / "motif.fa", splits=False)
    store = preprocess(fasta, tmp_path / "motif.h5", splits=False)
    cli("train", "--data", str(store), "--out", str(tmp_path / "store_run"), *TRAIN)
    cli("train", "--data", str(fasta), "--label-field", "label", "--out",
        str(tmp_path / "fasta_run"), *TRAIN)
    store_splits = read_rows(tmp_path / "store_run" / "splits.csv")
    assert store_splits == read_rows(tmp_path / "fasta_run" / "splits.csv")
    assert {row["split"] for row in store_splits} == {"train", "valid", "test"}


def test_store_dedup_matches_memory(tmp_path):
    fasta = write_fasta(tmp_path / "motif.fa", splits=False, repeat=6)
    store = preprocess(fasta, tmp_path / "motif.h5", splits=False)
    cli("train", "--data", str(store), "--dedup", "--out", str(tmp_path / "store_run"), *TRAIN)
    cli("train", "--data", str(fasta), "--label-field", "label", "--dedup", "--out",
        str(tmp_path / "fasta_run"), *TRAIN)
    store_manifest = json.loads((tmp_path / "store_run" / "manifest.json").read_text())
    fasta_manifest = json.loads((tmp_path / "fasta_run" / "manifest.json").read_text())
    assert store_manifest["duplicates"]["dropped"] == {"copies": 6, "conflicting": 0}
    assert store_manifest["duplicates"] == fasta_manifest["duplicates"]
    store_ids = [row["id"] for row in read_rows(tmp_path / "store_run" / "splits.csv")]
    assert not any(record_id.startswith("dup") for record_id in store_ids)
    assert len(store_ids) == 160


def test_store_max_len_from_lengths(tmp_path):
    data = SequenceSet.from_strings(["ACGTACGTAC", "ACG", "TTTTTTA", "GGCA"] * 10,
                                    labels=np.array([0, 1, 0, 1] * 10), class_names=["a", "b"],
                                    task="binary", ids=[f"s{i}" for i in range(40)])
    store = tmp_path / "short.h5"
    write_store(store, [data])
    run = tmp_path / "run"
    cli("train", "--data", str(store), "--out", str(run), *TRAIN)
    from bioseq.models.modelfile import read_model_metadata

    metadata = read_model_metadata(run / "model.safetensors")
    assert metadata["input"]["length"] == 10


def test_store_too_long_record_without_truncate(tmp_path):
    data = SequenceSet.from_strings(["ACGTACGTAC", "ACG", "TTTTTTA", "GGCA"] * 10,
                                    labels=np.array([0, 1, 0, 1] * 10), class_names=["a", "b"],
                                    task="binary", ids=[f"s{i}" for i in range(40)])
    store = tmp_path / "short.h5"
    write_store(store, [data])
    message = cli_error("train", "--data", str(store), "--max-len", "5",
                        "--out", str(tmp_path / "run"), *TRAIN)
    assert "more than the input length 5" in message
    assert "--truncate" in message or "truncate=" in message
    cli("train", "--data", str(store), "--max-len", "5", "--truncate", "left",
        "--out", str(tmp_path / "run_cut"), *TRAIN)
    manifest = json.loads((tmp_path / "run_cut" / "manifest.json").read_text())
    assert manifest["transforms"]["truncated_records"] > 0


def test_several_stores_log_in_memory_path(tmp_path):
    fasta = write_fasta(tmp_path / "motif.fa")
    store = preprocess(fasta, tmp_path / "motif.h5")
    other = tmp_path / "other.h5"
    write_store(other, [SequenceSet.from_strings(["ACGTACGT"], ids=["extra"], labels=[1],
                                                 class_names=["absent", "present"],
                                                 task="binary", splits=["train"])])
    cli("train", "--data", str(store), "--data", str(other), "--out", str(tmp_path / "run"),
        *TRAIN)
    log = (tmp_path / "run" / "train.log").read_text()
    assert "reading the training data into memory: 2 sources (2 HDF5 stores)" in log
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["data_loading"]["mode"] == "in memory"
    assert manifest["n_records"] == 161


def test_store_label_not_in_declared_classes(tmp_path):
    fasta = write_fasta(tmp_path / "motif.fa")
    store = preprocess(fasta, tmp_path / "motif.h5")
    message = cli_error("train", "--data", str(store), "--classes", "absent,other",
                        "--out", str(tmp_path / "run"), *TRAIN)
    assert "present" in message
    assert "absent,other" in message


def test_store_class_order_follows_positive_class(tmp_path):
    fasta = write_fasta(tmp_path / "motif.fa")
    store = preprocess(fasta, tmp_path / "motif.h5")
    run = tmp_path / "run"
    cli("train", "--data", str(store), "--positive-class", "absent", "--out", str(run), *TRAIN)
    from bioseq.models.modelfile import read_model_metadata

    metadata = read_model_metadata(run / "model.safetensors")
    assert metadata["class_names"] == ["present", "absent"]
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["class_balance"]["train"] == {"present": 60, "absent": 60}


def test_empty_store_never_trains(tmp_path):
    empty = SequenceSet(ids=np.zeros(0, dtype=object), codes=np.zeros(0, dtype=np.uint8),
                        offsets=np.zeros(1, dtype=np.int64), alphabet="dna",
                        labels=np.zeros(0, dtype=np.int64), class_names=["a", "b"],
                        task="binary")
    store = tmp_path / "empty.h5"
    write_store(store, [empty])
    message = cli_error("train", "--data", str(store), "--out", str(tmp_path / "run"), *TRAIN)
    assert "0 records" in message
    assert not (tmp_path / "run" / "model.safetensors").exists()


def test_store_being_written_is_refused(tmp_path):
    fasta = write_fasta(tmp_path / "motif.fa")
    store = tmp_path / "enc.h5"
    import socket
    import subprocess

    # The temporary file of a writer that runs in another live process, and no final store yet.
    writer = subprocess.Popen(["sleep", "60"])
    try:
        partial = store.with_name(f".{store.name}.{socket.gethostname()}.{writer.pid}.part")
        partial.write_bytes(b"")
        message = cli_error("train", "--data", str(store), "--out", str(tmp_path / "run"),
                            *TRAIN)
    finally:
        writer.kill()
        writer.wait()
    assert "is being written (incomplete)" in message
    partial.unlink()
    preprocess(fasta, store)
    assert (store).is_file()


def test_store_single_class_test_split_still_evaluates(tmp_path):
    fasta = write_fasta(tmp_path / "motif.fa")
    store = preprocess(fasta, tmp_path / "motif.h5")
    run = tmp_path / "run"
    cli("train", "--data", str(store), "--out", str(run), *TRAIN)
    one_class = tmp_path / "one.h5"
    sequences, _ = motif_sequences(30, 40, seed=5)
    write_store(one_class, [SequenceSet.from_strings(
        sequences, ids=[f"t{i}" for i in range(30)], labels=np.ones(30, dtype=np.int64),
        class_names=["absent", "present"], task="binary", splits=["test"] * 30)])
    cli("evaluate", str(run), "--data", str(one_class), "--split", "test", "--bootstrap", "0",
        "--out", str(tmp_path / "eval"))
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    text = json.dumps(metrics)
    assert "only class" in text or "single class" in text or "one class" in text
    assert (tmp_path / "eval" / "predictions.csv").is_file()


def test_store_ids_come_back_as_str(tmp_path):
    from bioseq.data.store_records import read_store_records

    fasta = write_fasta(tmp_path / "motif.fa")
    store = preprocess(fasta, tmp_path / "motif.h5")
    records = read_store_records(store)
    assert all(type(record_id) is str for record_id in records.ids)
    run = tmp_path / "run"
    cli("train", "--data", str(store), "--out", str(run), *TRAIN)
    ids = [row["id"] for row in read_rows(run / "splits.csv")]
    assert ids[:2] == ["r0", "r1"]


@pytest.mark.parametrize("workers", [2])
def test_store_training_with_loader_workers(tmp_path, workers):
    fasta = write_fasta(tmp_path / "motif.fa")
    store = preprocess(fasta, tmp_path / "motif.h5")
    run = tmp_path / "run"
    cli("train", "--data", str(store), "--num-workers", str(workers), "--out", str(run), *TRAIN)
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["distributed"]["records_seen_per_rank"] == [120]


def test_store_ddp_two_cpu_processes(tmp_path):
    import os

    from helpers import run_bioseq

    fasta = write_fasta(tmp_path / "motif.fa", n=200)
    store = preprocess(fasta, tmp_path / "motif.h5")
    env = {key: value for key, value in os.environ.items() if not key.startswith("SLURM_")}
    result = run_bioseq(
        ["-q", "train", "--data", str(store), "--model", "cnn",
         "--param", "conv_layers=[{filters: 4, kernel_size: 5}]", "--epochs", "1",
         "--batch-size", "20", "--devices", "2", "--accelerator", "cpu",
         "--out", str(tmp_path / "run")],
        env=env, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    distributed = manifest["distributed"]
    assert manifest["data_loading"]["mode"] == "out-of-core store"
    assert distributed["world_size"] == 2
    assert distributed["records_seen_per_rank"] == [75, 75]
    assert distributed["records_seen_by_several_ranks"] == 0
    assert distributed["parameters_identical_across_ranks"] is True


def test_store_resume_continues_epochs(tmp_path):
    fasta = write_fasta(tmp_path / "motif.fa")
    store = preprocess(fasta, tmp_path / "motif.h5")
    run = tmp_path / "run"
    cli("train", "--data", str(store), "--out", str(run), "--schedule", "none", *TRAIN)
    resumed = [*TRAIN[:2], "--epochs", "2", *TRAIN[4:]]
    cli("train", "--data", str(store), "--out", str(run), "--schedule", "none", "--resume",
        "auto", *resumed)
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["resumed_from"]
    assert manifest["epochs_run"] == 2
    epochs = [row["epoch"] for row in read_rows(run / "metrics.csv")]
    assert epochs == ["0", "1"]
