"""The preprocess, inspect and validate commands, run as a user runs them."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

from bioseq.cli import main
from bioseq.errors import StoreError
from bioseq.io.load import load_sequences
from bioseq.io.store import find_partial_files, read_store

BIOSEQ = Path(sys.executable).with_name("bioseq")


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIOSEQ), *args], capture_output=True, text=True, cwd=cwd)


def write_random_fasta(path: Path, n_records: int, length: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    letters = np.frombuffer(b"ACGT", dtype=np.uint8)
    with open(path, "wb") as handle:
        for first in range(0, n_records, 5000):
            rows = letters[rng.integers(0, 4, (min(5000, n_records - first), length))]
            handle.write(b"".join(b">r%d\n%s\n" % (first + i, row.tobytes())
                                  for i, row in enumerate(rows)))


@pytest.fixture
def labelled_csv(tmp_path: Path) -> Path:
    path = tmp_path / "seqs.csv"
    path.write_text(
        "id,sequence,label,split\n"
        "s1,ACGTACGT,pos,train\n"
        "s2,GGGAAC,neg,train\n"
        "s3,TTTTGA,pos,valid\n"
        "s4,acgtnn,neg,test\n"
    )
    return path


def test_preprocess_then_load_as_data(tmp_path, labelled_csv):
    out = tmp_path / "data.h5"
    result = run("preprocess", str(labelled_csv), "--label-column", "label",
                 "--split-column", "split", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out)
    direct = load_sequences([str(labelled_csv)], label_columns=["label"], split_column="split")
    stored = load_sequences([str(out)])
    assert stored.ids.tolist() == direct.ids.tolist()
    assert np.array_equal(stored.codes, direct.codes)
    assert [stored.class_names[i] for i in stored.labels] == [direct.class_names[i] for i in direct.labels]
    assert stored.splits.tolist() == ["train", "train", "valid", "test"]
    assert stored.transforms["uppercased"] == direct.transforms["uppercased"]


def test_inspect_prints_summary(tmp_path, labelled_csv):
    out = tmp_path / "data.h5"
    run("preprocess", str(labelled_csv), "--label-column", "label", "--split-column", "split",
        "--out", str(out))
    text = run("inspect", str(out)).stdout
    assert "records        4" in text
    assert "classes        neg=2, pos=2" in text
    assert "splits         train=2, valid=1, test=1" in text
    assert "uppercased=6" in text
    assert "seqs.csv" in text
    summary = json.loads(run("inspect", str(out), "--json").stdout)
    assert summary["n_residues"] == 26
    assert summary["length"] == {"min": 6, "median": 6.0, "max": 8}


def test_inspect_prints_whole_sha256(tmp_path, labelled_csv):
    out = tmp_path / "data.h5"
    run("preprocess", str(labelled_csv), "--label-column", "label", "--out", str(out),
        "--source-digest", "sha256")
    text = run("inspect", str(out)).stdout
    assert f"sha256 {hashlib.sha256(labelled_csv.read_bytes()).hexdigest()})" in text


def test_preprocess_rejects_existing_output(tmp_path, labelled_csv):
    out = tmp_path / "enc.h5"
    run("preprocess", str(labelled_csv), "--label-column", "label", "--out", str(out))
    before = out.read_bytes()
    result = run("preprocess", str(labelled_csv), "--label-column", "label", "--out", str(out))
    assert result.returncode == 1
    assert "enc.h5 already exists; pass --overwrite" in result.stderr
    assert out.read_bytes() == before


def test_overwrite_while_store_is_read(tmp_path, labelled_csv):
    out = tmp_path / "enc.h5"
    run("preprocess", str(labelled_csv), "--label-column", "label", "--out", str(out))
    other = tmp_path / "other.fa"
    other.write_text(">x1\nCCCC\n")
    with h5py.File(out, "r") as reader:
        result = run("preprocess", str(other), "--out", str(out), "--overwrite")
        assert result.returncode == 0, result.stderr
        assert reader["id_text"][...].tobytes() == b"s1\0s2\0s3\0s4\0"
    assert read_store(out).ids.tolist() == ["x1"]


def test_bad_inputs_listed_before_work(tmp_path, labelled_csv):
    good = tmp_path / "good.h5"
    run("preprocess", str(labelled_csv), "--label-column", "label", "--out", str(good))
    bad = tmp_path / "bad.h5"
    bad.write_bytes(good.read_bytes()[:2048])
    result = run("preprocess", str(good), str(bad), str(tmp_path / "gone.fa"),
                 "--out", str(tmp_path / "all.h5"))
    assert result.returncode == 1
    assert "2 problem(s) before preprocessing" in result.stderr
    assert "bad.h5 is truncated or corrupt" in result.stderr
    assert "gone.fa not found" in result.stderr
    assert not (tmp_path / "all.h5").exists()


def test_validate_lists_every_bad_store(tmp_path, labelled_csv):
    good = tmp_path / "good.h5"
    run("preprocess", str(labelled_csv), "--label-column", "label", "--out", str(good))
    bad = tmp_path / "bad.h5"
    bad.write_bytes(good.read_bytes()[:2048])
    junk = tmp_path / "junk.h5"
    junk.write_text("not hdf5")
    result = run("validate", str(good), str(bad), str(junk))
    assert result.returncode == 1
    assert f"OK   {good}" in result.stdout
    assert "BAD  " + str(bad) + " is truncated or corrupt" in result.stdout
    assert "junk.h5 is not an HDF5 file" in result.stdout
    assert "2 of 3 store(s) failed validation" in result.stderr
    assert run("validate", "--quick", str(good)).returncode == 0


def test_ids_from_store_join_labels_table(tmp_path):
    fasta = tmp_path / "s.fa"
    fasta.write_text(">s1\nACGT\n>s2\nGGCC\n")
    store = tmp_path / "enc.h5"
    assert run("preprocess", str(fasta), "--out", str(store)).returncode == 0
    table = tmp_path / "labels.csv"
    table.write_text("id,label\ns1,0\ns2,1\n")
    ids = load_sequences([str(store)]).ids.tolist()
    assert [type(name) for name in ids] == [str, str]
    labels = dict(line.split(",") for line in table.read_text().splitlines()[1:])
    matched = [name for name in ids if name in labels]
    assert matched == ["s1", "s2"]


def test_stale_store_rebuilt_with_overwrite(tmp_path):
    fasta = tmp_path / "t.fa"
    store = tmp_path / "t.h5"
    fasta.write_text(">c1\nGGGG\n>c2\nAAATTT\n")
    assert run("preprocess", str(fasta), "--out", str(store)).returncode == 0
    fasta.write_text(">c1 v2\nGGGG\n>c2\nAAATTT\n")

    assert "STALE" in run("inspect", str(store)).stdout
    with pytest.raises(StoreError, match="is stale"):
        load_sequences([str(store)])
    assert run("validate", str(store)).returncode == 1

    assert run("preprocess", str(fasta), "--out", str(store), "--overwrite").returncode == 0
    rebuilt = load_sequences([str(store)])
    assert rebuilt.sequence(rebuilt.ids.tolist().index("c2")) == "AAATTT"
    assert rebuilt.descriptions.tolist() == ["v2", ""]


def test_lock_refused_message_from_cli(tmp_path, labelled_csv, monkeypatch):
    out = tmp_path / "enc.h5"
    run("preprocess", str(labelled_csv), "--label-column", "label", "--out", str(out))

    def raise_lock_error(*args, **kwargs):
        raise OSError("Unable to synchronously open file (unable to lock file, errno = 37, "
                      "error message = 'No locks available')")

    # h5py is not under test: this reproduces the failure NFS gives.
    monkeypatch.setattr(h5py._hl.files, "make_fid", raise_lock_error)
    result = CliRunner().invoke(main, ["inspect", str(out)])
    assert result.exit_code == 1
    assert "file system refused the HDF5 file lock" in result.output
    assert "HDF5_USE_FILE_LOCKING=FALSE" in result.output
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_killed_preprocess_leaves_no_store(tmp_path):
    fasta = tmp_path / "big.fa"
    write_random_fasta(fasta, 100_000, 1000)
    out = tmp_path / "enc.h5"
    process = subprocess.Popen([str(BIOSEQ), "-q", "preprocess", str(fasta), "--out", str(out),
                                "--chunk-records", "2000"])
    deadline = time.monotonic() + 120
    partial = []
    # Wait until the writer has put codes into its temporary file, so it is mid-write.
    while time.monotonic() < deadline and process.poll() is None:
        partial = find_partial_files(out)
        if partial and partial[0].exists() and partial[0].stat().st_size > 4 << 20:
            break
        time.sleep(0.01)
    assert process.poll() is None, "preprocess ended before it could be killed; use a larger input"
    assert partial

    with pytest.raises(StoreError, match=r"enc\.h5 is being written \(incomplete\)"):
        read_store(out)
    assert process.poll() is None, "preprocess finished before the kill; use a larger input"

    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert not out.exists()
    assert find_partial_files(out)  # the killed writer's leftover

    rerun = run("-q", "preprocess", str(fasta), "--out", str(out))
    assert rerun.returncode == 0, rerun.stderr
    assert find_partial_files(out) == []
    assert len(read_store(out)) == 100_000


def test_several_bad_stores_listed_by_loader(tmp_path, labelled_csv):
    good = tmp_path / "good.h5"
    run("preprocess", str(labelled_csv), "--label-column", "label", "--out", str(good))
    first = tmp_path / "bad1.h5"
    second = tmp_path / "bad2.h5"
    first.write_bytes(good.read_bytes()[:2048])
    second.write_bytes(good.read_bytes()[:4096])
    with pytest.raises(StoreError) as caught:
        load_sequences([str(good), str(first), str(second)])
    message = str(caught.value)
    assert "2 problem(s) in 3 store(s)" in message
    assert "bad1.h5 is truncated or corrupt" in message
    assert "bad2.h5 is truncated or corrupt" in message


@pytest.mark.slow
def test_store_accepted_by_train_evaluate_predict(tmp_path, labelled_csv):
    rows = ["id,sequence,label,split"]
    rng = np.random.default_rng(3)
    for i in range(60):
        sequence = "".join(rng.choice(list("ACGT"), 40))
        rows.append(f"r{i},{sequence},{'pos' if i % 2 else 'neg'},{['train', 'valid', 'test'][i % 3]}")
    table = tmp_path / "set.csv"
    table.write_text("\n".join(rows) + "\n")
    store = tmp_path / "set.h5"
    assert run("preprocess", str(table), "--label-column", "label", "--split-column", "split",
               "--out", str(store)).returncode == 0

    trained = run("-q", "train", "--data", str(store), "--model", "cnn", "--epochs", "1",
                  "--out", str(tmp_path / "run"))
    assert trained.returncode == 0, trained.stderr
    evaluated = run("-q", "evaluate", str(tmp_path / "run"), "--data", str(store),
                    "--out", str(tmp_path / "eval"))
    assert evaluated.returncode == 0, evaluated.stderr
    predicted = run("-q", "predict", str(tmp_path / "run" / "model.safetensors"), str(store),
                    "--out", str(tmp_path / "preds.csv"))
    assert predicted.returncode == 0, predicted.stderr
    lines = (tmp_path / "preds.csv").read_text().splitlines()
    assert len(lines) == 61
    assert lines[1].startswith("r0,")

    described = run("inspect", str(tmp_path / "run" / "model.safetensors"))
    assert described.returncode == 0, described.stderr
    assert json.loads(described.stdout)["class_names"] == ["neg", "pos"]


def test_unlabelled_fasta_store_warns_and_train_says_rebuild(tmp_path):
    fasta = tmp_path / "headers.fa"
    fasta.write_text("".join(f">r{i} label={'pos' if i % 2 else 'neg'}\nACGTACGTAC\n"
                             for i in range(20)))
    store = tmp_path / "headers.h5"
    preprocessed = run("-q", "preprocess", str(fasta), "--out", str(store))
    assert preprocessed.returncode == 0, preprocessed.stderr
    # The store is written, but the user hears that the header labels were not kept.
    assert "the store contains no labels, but the FASTA headers carry fields label" in preprocessed.stderr
    assert "--label-field label --classes" in preprocessed.stderr

    trained = run("-q", "train", "--data", str(store), "--epochs", "1",
                  "--out", str(tmp_path / "run"))
    assert trained.returncode == 1
    assert "headers.h5 contains no labels" in trained.stderr
    assert "rebuild it with labels" in trained.stderr

    labelled = run("-q", "preprocess", str(fasta), "--label-field", "label", "--classes",
                   "neg,pos", "--out", str(tmp_path / "labelled.h5"))
    assert labelled.returncode == 0, labelled.stderr
    assert "contains no labels" not in labelled.stderr


@pytest.mark.slow
def test_interrupted_preprocess_exits_130_without_output(tmp_path):
    fasta = tmp_path / "big.fa"
    write_random_fasta(fasta, 100_000, 1000)
    out = tmp_path / "enc.h5"
    # A child inherits an ignored SIGINT from some shells; restore the default handler.
    process = subprocess.Popen([str(BIOSEQ), "-q", "preprocess", str(fasta), "--out", str(out),
                                "--chunk-records", "2000"], stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        partial = find_partial_files(out)
        if partial and partial[0].exists() and partial[0].stat().st_size > 4 << 20:
            break
        time.sleep(0.01)
    assert process.poll() is None, "preprocess ended before the interrupt; use a larger input"

    os.kill(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "bioseq preprocess interrupted" in stderr
    assert "Aborted" not in stderr
    assert not out.exists()
    # Unlike SIGKILL, an interrupt lets the writer delete its temporary file.
    assert find_partial_files(out) == []
