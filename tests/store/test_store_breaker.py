"""Hard inputs and damaged stores, used through the CLI and the Python API as users do.

Each test states the expected behaviour of one case that once failed or that
a user is likely to meet.
"""

from __future__ import annotations

import csv
import gzip
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from bioseq.errors import StoreError
from bioseq.io.fasta import read_fasta
from bioseq.io.store import open_store, read_store, update_checksum, validate_store, write_store
from bioseq.io.store_stream import iter_store
from bioseq.sequences import SequenceSet

from .helpers import labelled_set as shared_labelled_set

BIOSEQ = Path(sys.executable).with_name("bioseq")


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIOSEQ), *args], capture_output=True, text=True)


def write_unusual_fasta(path: Path) -> None:
    """Write records whose ids and descriptions are hard for a text layout."""
    records = [
        ("α-β_id", "first description ✓"),
        ("🧬emoji", ""),
        ("L" * 100_000, "after a 100 kB id"),
        ("plain", ""),
        ("x4", "tab\tinside"),
        ("x5", ""),
        ("x6", ""),
    ]
    with open(path, "w", encoding="utf-8") as handle:
        for index, (record_id, description) in enumerate(records):
            header = f"{record_id} {description}" if description else record_id
            handle.write(f">{header}\nACGTACGT{'A' * index}\n")


def labelled_table(path: Path, ids: list[str], seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "sequence", "label", "split"])
        for index, record_id in enumerate(ids):
            sequence = "".join(rng.choice(list("ACGT"), 40))
            writer.writerow([record_id, sequence, "pos" if index % 2 else "neg",
                             ["train", "valid", "test"][index % 3]])


def labelled_set(n: int = 300) -> SequenceSet:
    return shared_labelled_set(n, seed=7, min_length=20, id_format="rec{}")


def rewrite_dataset(path: Path, name: str, values: np.ndarray) -> None:
    """Replace a dataset's values and record their CRC-32, as a careless external tool would."""
    with h5py.File(path, "r+") as handle:
        del handle[name]
        handle.create_dataset(name, data=values)
        checksums = json.loads(handle.attrs["checksums"])
        checksums[name] = f"{update_checksum(0, values):08x}"
        handle.attrs["checksums"] = json.dumps(checksums)


def drop_last_rows(path: Path, name: str, n_rows: int) -> None:
    """Cut the last rows off one dataset, keeping every other dataset intact."""
    with h5py.File(path, "r+") as handle:
        values = handle[name][...]
        del handle[name]
        handle.create_dataset(name, data=values[:-n_rows])


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "enc.h5"
    write_store(path, [labelled_set()])
    return path


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory) -> Path:
    """A model trained for one epoch on a small labelled store."""
    folder = tmp_path_factory.mktemp("trained")
    table = folder / "set.csv"
    labelled_table(table, [f"r{i}" for i in range(60)])
    data = folder / "set.h5"
    built = run("-q", "preprocess", str(table), "--label-column", "label", "--split-column",
                "split", "--out", str(data))
    assert built.returncode == 0, built.stderr
    trained = run("-q", "train", "--data", str(data), "--model", "cnn", "--epochs", "1",
                  "--out", str(folder / "run"))
    assert trained.returncode == 0, trained.stderr
    return folder / "run"


# ---------------------------------------------------------------- ids and descriptions


@pytest.mark.parametrize("chunk_records", [1, 2, 3, 10_000])
def test_unusual_ids_round_trip(tmp_path, chunk_records):
    fasta = tmp_path / "unusual.fa"
    write_unusual_fasta(fasta)
    out = tmp_path / "unusual.h5"
    result = run("-q", "preprocess", str(fasta), "--out", str(out),
                 "--chunk-records", str(chunk_records))
    assert result.returncode == 0, result.stderr

    stored = read_store(out)
    expected = read_fasta(fasta)
    assert stored.ids.tolist() == expected.ids.tolist()
    assert len(stored.ids[2]) == 100_000
    assert stored.descriptions.tolist() == expected.descriptions.tolist()
    assert run("validate", str(out)).returncode == 0


@pytest.mark.parametrize("chunk_records", [1, 2, 4, 5])
def test_late_description_leaves_earlier_empty(tmp_path, chunk_records):
    fasta = tmp_path / "late.fa"
    fasta.write_text("".join(f">r{i}{' late one' if i == 4 else ''}\nACGT\n" for i in range(7)))
    out = tmp_path / "late.h5"
    assert run("-q", "preprocess", str(fasta), "--out", str(out),
               "--chunk-records", str(chunk_records)).returncode == 0

    descriptions = read_store(out).descriptions.tolist()
    assert descriptions == read_fasta(fasta).descriptions.tolist()
    assert descriptions[4] == "late one"


def test_non_utf8_description_rejected(tmp_path):
    fasta = tmp_path / "latin1.fa"
    fasta.write_bytes(b">a caf\xe9 description\nACGT\n>b ok\nACGG\n")
    out = tmp_path / "latin1.h5"
    result = run("-q", "preprocess", str(fasta), "--out", str(out))
    assert result.returncode == 1
    assert "latin1.fa:1" in result.stderr
    assert "UTF-8" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_nul_in_table_id_rejected(tmp_path):
    table = tmp_path / "nul.csv"
    table.write_text("id,sequence\na\0b,ACGT\nc,ACGA\n")
    out = tmp_path / "nul.h5"
    result = run("-q", "preprocess", str(table), "--id-column", "id", "--out", str(out))
    assert result.returncode == 1
    assert "'a\\x00b'" in result.stderr
    assert "NUL" in result.stderr
    assert "nul.csv" in result.stderr
    assert not out.exists()


def test_empty_table_id_rejected(tmp_path):
    table = tmp_path / "blank.csv"
    table.write_text("id,sequence\nok,ACGT\n,ACGA\n")
    result = run("-q", "preprocess", str(table), "--id-column", "id",
                 "--out", str(tmp_path / "blank.h5"))
    assert result.returncode == 1
    assert "blank.csv:3" in result.stderr
    assert "missing id" in result.stderr


def test_quoted_ids_survive_predict(tmp_path, trained_run):
    ids = ["has\ttab", 'q"uote', "new\nline", "sp ace", "🧬", "comma,inside"]
    table = tmp_path / "quoted.csv"
    labelled_table(table, ids)
    out = tmp_path / "quoted.h5"
    assert run("-q", "preprocess", str(table), "--label-column", "label", "--split-column",
               "split", "--out", str(out)).returncode == 0
    assert read_store(out).ids.tolist() == ids

    from_store = run("-q", "predict", str(trained_run), str(out),
                     "--out", str(tmp_path / "from_store.csv"))
    assert from_store.returncode == 0, from_store.stderr
    from_table = run("-q", "predict", str(trained_run), str(table),
                     "--out", str(tmp_path / "from_table.csv"))
    assert from_table.returncode == 0, from_table.stderr
    store_text = (tmp_path / "from_store.csv").read_text(encoding="utf-8")
    assert store_text == (tmp_path / "from_table.csv").read_text(encoding="utf-8")
    with open(tmp_path / "from_store.csv", newline="", encoding="utf-8") as handle:
        assert [row["id"] for row in csv.DictReader(handle)] == ids


def test_gzip_input_gives_same_contents(tmp_path):
    fasta = tmp_path / "unusual.fa"
    write_unusual_fasta(fasta)
    packed = tmp_path / "unusual.fa.gz"
    packed.write_bytes(gzip.compress(fasta.read_bytes()))
    for source, out in ((fasta, "plain.h5"), (packed, "packed.h5")):
        assert run("-q", "preprocess", str(source), "--out", str(tmp_path / out),
                   "--chunk-records", "2").returncode == 0

    plain, unpacked = read_store(tmp_path / "plain.h5"), read_store(tmp_path / "packed.h5")
    assert unpacked.ids.tolist() == plain.ids.tolist()
    assert unpacked.descriptions.tolist() == plain.descriptions.tolist()
    assert np.array_equal(unpacked.codes, plain.codes)
    assert np.array_equal(unpacked.offsets, plain.offsets)


def test_fasta_descriptions_kept_beside_table(tmp_path):
    fasta = tmp_path / "unusual.fa"
    write_unusual_fasta(fasta)
    table = tmp_path / "plain.csv"
    table.write_text("id,sequence\nt1,ACGT\nt2,GGCA\n")
    out = tmp_path / "mixed.h5"
    assert run("-q", "preprocess", str(fasta), str(table), "--out", str(out)).returncode == 0

    stored = read_store(out)
    assert stored.descriptions is not None
    assert stored.descriptions.tolist() == read_fasta(fasta).descriptions.tolist() + ["", ""]


# ---------------------------------------------------------------- empty and tiny stores


def test_empty_store_validates_and_predicts(tmp_path, trained_run):
    out = tmp_path / "empty.h5"
    write_store(out, [])
    assert len(read_store(out)) == 0
    checked = run("validate", str(out))
    assert checked.returncode == 0, checked.stdout + checked.stderr

    predicted = run("-q", "predict", str(trained_run), str(out), "--out", str(tmp_path / "p.csv"))
    assert predicted.returncode == 0, predicted.stderr
    lines = (tmp_path / "p.csv").read_text().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("id,")


def test_single_record_store_round_trips(tmp_path):
    fasta = tmp_path / "one.fa"
    fasta.write_text(">only one description\nACGTAC\n")
    out = tmp_path / "one.h5"
    assert run("-q", "preprocess", str(fasta), "--out", str(out)).returncode == 0
    stored = read_store(out)
    assert stored.ids.tolist() == ["only"]
    assert stored.descriptions.tolist() == ["one description"]
    assert stored.sequence(0) == "ACGTAC"


# ---------------------------------------------------------------- reading through the loader


def test_loader_shuffled_indices_match_store(store):
    from bioseq.data.store_dataset import make_store_loader

    whole = read_store(store)
    indices = np.random.default_rng(3).permutation(len(whole))[:123]
    loader = make_store_loader(store, None, indices=indices, batch_size=7, num_workers=2,
                               block_records=16, shuffle=True, seed=5)
    seen = []
    for batch in loader:
        for position, row in enumerate(batch["index"].tolist()):
            expected = whole.codes[whole.offsets[row] : whole.offsets[row + 1]]
            length = int(batch["lengths"][position])
            assert length == len(expected)
            assert np.array_equal(batch["codes"][position][:length].numpy(), expected)
            assert int(batch["labels"][position]) == int(whole.labels[row])
            seen.append(row)
    assert sorted(seen) == sorted(indices.tolist())


def test_dataset_over_replaced_store_keeps_old_data(tmp_path):
    from bioseq.data.store_dataset import StoreDataset

    path = tmp_path / "swap.h5"
    old = SequenceSet.from_strings(["AAAA", "CCCCCC"], ids=["old0", "old1"])
    write_store(path, [old])
    dataset = StoreDataset(path)
    write_store(path, [SequenceSet.from_strings(["GGGGGG", "TTTT"], ids=["new0", "new1"])],
                overwrite=True)

    try:
        item = dataset[[0, 1]]
    except StoreError:
        return  # reporting the replaced file is as good as serving the old records
    for row in range(2):
        length = int(item["lengths"][row])
        expected = old.codes[old.offsets[row] : old.offsets[row + 1]]
        assert np.array_equal(item["codes"][row][:length].numpy(), expected)


# ---------------------------------------------------------------- damaged text datasets


def shift_inside_value(offsets: np.ndarray) -> np.ndarray:
    damaged = offsets.copy()
    damaged[5] += 1
    return damaged


def swap_two(offsets: np.ndarray) -> np.ndarray:
    damaged = offsets.copy()
    damaged[[5, 6]] = damaged[[6, 5]]
    return damaged


@pytest.mark.parametrize("damage", [shift_inside_value, swap_two], ids=["inside", "falling"])
def test_validate_finds_bad_id_offset(store, damage):
    with h5py.File(store, "r") as handle:
        offsets = handle["id_offsets"][...]
    rewrite_dataset(store, "id_offsets", damage(offsets))

    problems = validate_store(store, deep=True)
    assert any("id_offsets" in problem for problem in problems)


def test_predict_names_short_id_offsets(store, tmp_path, trained_run):
    drop_last_rows(store, "id_offsets", 5)
    result = run("-q", "predict", str(trained_run), str(store), "--out", str(tmp_path / "p.csv"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "enc.h5 is corrupt" in result.stderr
    assert "id_offsets" in result.stderr


def test_read_names_short_id_offsets(store):
    drop_last_rows(store, "id_offsets", 5)
    with pytest.raises(StoreError, match="dataset id_offsets"):
        read_store(store)


def test_stream_names_short_labels(store):
    drop_last_rows(store, "labels", 5)
    with pytest.raises(StoreError, match="enc.h5 is corrupt"):
        for _ in iter_store(store, chunk_size=100):
            pass


@pytest.mark.parametrize("name", ["id_offsets", "codes"])
def test_loader_names_short_dataset(store, name):
    from bioseq.data.store_dataset import make_store_loader

    drop_last_rows(store, name, 5)
    with pytest.raises(StoreError, match="enc.h5 is corrupt"):
        for _ in make_store_loader(store, None, batch_size=64, shuffle=False):
            pass


def described_store(folder: Path) -> Path:
    """Write a store of 600 ragged records, more than one prediction batch, some described."""
    fasta = folder / "described.fa"
    fasta.write_text("".join(f">r{i}{' note' if i % 3 == 0 else ''}\n{'ACGT' * (1 + i % 4)}\n"
                             for i in range(600)))
    out = folder / "described.h5"
    built = run("-q", "preprocess", str(fasta), "--out", str(out))
    assert built.returncode == 0, built.stderr
    return out


def test_validate_names_missing_description_offsets(tmp_path):
    out = described_store(tmp_path)
    with h5py.File(out, "r+") as handle:
        del handle["description_offsets"]

    result = run("validate", str(out))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "BAD" in result.stdout
    assert "description_offsets" in result.stdout


def test_predict_names_short_description_offsets(tmp_path, trained_run):
    out = described_store(tmp_path)
    drop_last_rows(out, "description_offsets", 5)

    result = run("-q", "predict", str(trained_run), str(out), "--out", str(tmp_path / "p.csv"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "described.h5 is corrupt" in result.stderr


@pytest.mark.parametrize(("attribute", "value"), [
    ("sources", "not json"),
    ("class_names", "["),
    ("checksums", "{bad"),
    ("alphabet", "klingon"),
    ("transforms", "7"),
])
def test_validate_names_damaged_attribute(store, attribute, value):
    with h5py.File(store, "r+") as handle:
        handle.attrs[attribute] = value

    result = run("validate", str(store))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "BAD" in result.stdout
    assert attribute in result.stdout


# ---------------------------------------------------------------- sources and writers


def test_fifo_input_not_reported_missing(tmp_path):
    fifo = tmp_path / "stream.fa"
    os.mkfifo(fifo)
    result = run("-q", "preprocess", str(fifo), "--out", str(tmp_path / "fifo.h5"))
    assert result.returncode == 1
    assert str(fifo) in result.stderr
    assert "not found" not in result.stderr


@pytest.mark.parametrize("command", ["inspect", "train"])
def test_empty_h5_file_called_a_store(tmp_path, command):
    empty = tmp_path / "copied.h5"
    empty.write_bytes(b"")
    if command == "inspect":
        result = run("inspect", str(empty))
    else:
        result = run("train", "--data", str(empty), "--epochs", "1", "--out", str(tmp_path / "run"))
    assert result.returncode == 1
    assert "copied.h5" in result.stderr
    assert "HDF5" in result.stderr or "store" in result.stderr


def test_long_legal_output_name_written(tmp_path):
    fasta = tmp_path / "one.fa"
    fasta.write_text(">only\nACGT\n")
    out = tmp_path / ("a" * 245 + ".h5")  # 248 bytes, below the 255-byte name limit of ext4 and XFS
    result = run("-q", "preprocess", str(fasta), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.exists()


def test_leftover_with_own_pid_removed(tmp_path):
    # Containers often give a rerun the killed run's PID, so the leftover has the rerun's name.
    path = tmp_path / "pid.h5"
    leftover = tmp_path / f".pid.h5.{socket.gethostname()}.{os.getpid()}.part"
    leftover.write_bytes(b"part of a store")

    write_store(path, [SequenceSet.from_strings(["ACGT"], ids=["a"])])
    assert read_store(path).ids.tolist() == ["a"]
    assert not leftover.exists()


def _write_when_released(path: str, tag: str, barrier, outcomes) -> None:
    from bioseq.io.store import StoreWriter

    data = SequenceSet.from_strings(["ACGT" * 10] * 5, ids=[f"{tag}{i}" for i in range(5)])
    barrier.wait()
    try:
        with StoreWriter(path, alphabet="dna", overwrite=True) as writer:
            writer.append(data)
        outcomes.put("written")
    except StoreError:
        outcomes.put("rejected")


def test_simultaneous_writers_one_rejected(tmp_path):
    context = multiprocessing.get_context("fork")
    path = str(tmp_path / "race.h5")
    for _ in range(10):
        barrier, outcomes = context.Barrier(2), context.Queue()
        processes = [context.Process(target=_write_when_released,
                                     args=(path, tag, barrier, outcomes)) for tag in "ab"]
        for process in processes:
            process.start()
        for process in processes:
            process.join(timeout=60)
        results = sorted(outcomes.get(timeout=5) for _ in processes)
        assert results == ["rejected", "written"]


def test_disk_sync_runs_while_file_open(tmp_path, monkeypatch):
    from bioseq.io import store_writer

    synced: list[bool] = []
    fdatasync = os.fdatasync

    def slow_fdatasync(descriptor: int) -> None:
        time.sleep(0.3)  # a slow disk: the sync is still running when the writer finishes
        try:
            os.fstat(descriptor)
        except OSError:
            synced.append(False)
            raise
        synced.append(True)
        fdatasync(descriptor)

    monkeypatch.setattr(store_writer, "_SYNC_BYTES", 1)
    monkeypatch.setattr(os, "fdatasync", slow_fdatasync)
    length = store_writer.CODE_CHUNK
    data = SequenceSet(ids=np.array(["a", "b", "c"], dtype=object),
                       codes=np.random.default_rng(0).integers(0, 4, 3 * length, dtype=np.uint8),
                       offsets=np.arange(4, dtype=np.int64) * length, alphabet="dna")
    write_store(tmp_path / "synced.h5", [data])

    assert synced
    assert all(synced)


def test_hash_survives_shrinking_source(tmp_path):
    source = tmp_path / "sparse.fa"
    with open(source, "wb") as handle:
        handle.truncate(1 << 30)  # sparse: a large file that takes no disk space
    script = textwrap.dedent(f"""
        import os, threading, time
        from pathlib import Path
        from bioseq.io.store import hash_file

        def shrink():
            time.sleep(0.05)
            os.truncate({str(source)!r}, 1000)

        threading.Thread(target=shrink).start()
        try:
            hash_file(Path({str(source)!r}), "sha256")
        except OSError as error:
            print("error:", error)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr


def test_rerun_after_killed_preprocess(tmp_path):
    fasta = tmp_path / "many.fa"
    rows = np.frombuffer(b"ACGT", dtype=np.uint8)[np.random.default_rng(0).integers(0, 4, (100_000, 60))]
    fasta.write_bytes(b"".join(b">r%d\n%s\n" % (index, row.tobytes()) for index, row in enumerate(rows)))
    out = tmp_path / "many.h5"
    process = subprocess.Popen([str(BIOSEQ), "-q", "preprocess", str(fasta), "--out", str(out),
                                "--chunk-records", "500"], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not list(tmp_path.glob(".many.h5.*.part")) and time.monotonic() < deadline:
        time.sleep(0.01)
    process.kill()
    process.wait()
    assert not out.exists()

    rerun = run("-q", "preprocess", str(fasta), "--out", str(out))
    assert rerun.returncode == 0, rerun.stderr
    assert list(tmp_path.glob(".many.h5.*.part")) == []
    with open_store(out) as opened:
        assert opened.n_sequences == 100_000
