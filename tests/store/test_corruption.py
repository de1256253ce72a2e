"""Byte flips inside a store's datasets: validate names the dataset, commands stop in one line."""

from __future__ import annotations

import subprocess
import sys
import zlib
from pathlib import Path

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

from bioseq.cli import main
from bioseq.errors import StoreError
from bioseq.io.store import open_store, read_store, validate_store, write_store
from bioseq.sequences import SequenceSet

from .helpers import labelled_set as shared_labelled_set

BIOSEQ = Path(sys.executable).with_name("bioseq")
N_RECORDS = 400


def labelled_set(n: int = N_RECORDS) -> SequenceSet:
    return shared_labelled_set(n, seed=11, min_length=30, id_format="Q{:05d}X")


def flip_chunk_byte(path: Path, dataset: str) -> None:
    """Flip one byte in the middle of the first (compressed) chunk of ``dataset``."""
    with h5py.File(path, "r") as handle:
        info = handle[dataset].id.get_chunk_info(0)
    raw = bytearray(path.read_bytes())
    raw[info.byte_offset + info.size // 2] ^= 0x5A
    path.write_bytes(bytes(raw))


def replace_id_bytes(path: Path, old: bytes, new: bytes) -> None:
    """Change the bytes of one id inside id_text, leaving the file valid HDF5."""
    with h5py.File(path, "r+") as handle:
        text = handle["id_text"][...].tobytes()
        assert text.count(old) == 1
        start = text.index(old)
        handle["id_text"][start : start + len(new)] = np.frombuffer(new, dtype=np.uint8)


def shift_id_offset(path: Path, record: int) -> None:
    """Move the start of one id by a byte, as a flipped bit in id_offsets would."""
    with h5py.File(path, "r+") as handle:
        handle["id_offsets"][record] += 1


CORRUPTIONS = {
    "labels": lambda path: flip_chunk_byte(path, "labels"),
    "codes": lambda path: flip_chunk_byte(path, "codes"),
    "splits": lambda path: flip_chunk_byte(path, "splits"),
    # An id byte that stays valid UTF-8 (only the checksum finds it) and one that does not.
    "id_text": lambda path: replace_id_bytes(path, b"Q00017X", b"Q00077X"),
    "id_text-utf8": lambda path: replace_id_bytes(path, b"Q00017X", b"Q0001\xceX"),
    "id_offsets": lambda path: shift_id_offset(path, 17),
}


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "enc.h5"
    write_store(path, [labelled_set()])
    return path


def test_checksums_recorded_and_match_plain_crc32(store):
    with open_store(store) as opened:
        recorded = opened.checksums
        codes = opened.handle["codes"][...]
        id_text = opened.handle["id_text"][...].tobytes()
        id_offsets = opened.handle["id_offsets"][...]
    assert set(recorded) == {"codes", "offsets", "id_text", "id_offsets", "labels", "splits"}
    assert recorded["codes"] == zlib.crc32(codes.tobytes())
    assert id_text == "".join(f"Q{i:05d}X\0" for i in range(N_RECORDS)).encode()
    assert recorded["id_text"] == zlib.crc32(id_text)
    assert recorded["id_offsets"] == zlib.crc32(id_offsets.astype("<i8").tobytes())
    assert id_offsets.tolist() == list(range(0, 8 * N_RECORDS + 1, 8))
    assert validate_store(store) == []


@pytest.mark.parametrize("kind", sorted(CORRUPTIONS))
def test_byte_flip_found_by_validate_and_read(store, kind):
    CORRUPTIONS[kind](store)
    dataset = kind.split("-")[0]
    problems = validate_store(store)
    assert problems, kind
    assert all(f"dataset {dataset}" in problem for problem in problems), problems
    assert f"dataset {dataset}" in problems[0]
    assert "enc.h5 is corrupt" in problems[0]

    result = CliRunner().invoke(main, ["validate", str(store)])
    assert result.exit_code == 1
    assert f"BAD  {store} is corrupt" in result.output
    assert "OK" not in result.output.replace("BAD", "")

    with pytest.raises(StoreError, match=f"enc.h5 is corrupt: .*dataset {dataset}"):
        read_store(store)


def test_changed_label_value_out_of_range_found(store):
    with h5py.File(store, "r+") as handle:
        handle["labels"][5] = 7
    problems = validate_store(store)
    assert any("dataset labels holds class index 7 at record 5" in p for p in problems)


def test_quick_validate_skips_contents(store):
    CORRUPTIONS["id_text"](store)
    assert validate_store(store, deep=False) == []


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIOSEQ), *args], capture_output=True, text=True)


def test_commands_stop_with_one_line_on_corrupt_store(tmp_path, store):
    clean = tmp_path / "clean.h5"
    write_store(clean, [labelled_set()])
    trained = run("-q", "train", "--data", str(clean), "--model", "cnn", "--epochs", "1",
                  "--out", str(tmp_path / "run"))
    assert trained.returncode == 0, trained.stderr
    CORRUPTIONS["labels"](store)
    commands = {
        "train": ("train", "--data", str(store), "--model", "cnn", "--epochs", "1",
                  "--out", str(tmp_path / "run2")),
        "evaluate": ("evaluate", str(tmp_path / "run"), "--data", str(store),
                     "--out", str(tmp_path / "eval")),
        "predict": ("predict", str(tmp_path / "run" / "model.safetensors"), str(store),
                    "--out", str(tmp_path / "preds.csv")),
    }
    for name, args in commands.items():
        result = run("-q", *args)
        assert result.returncode != 0, name
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, (name, result.stderr)
        assert "Traceback" not in result.stderr
        assert "enc.h5 is corrupt: reading dataset labels failed" in lines[0], name
        assert "bioseq validate" in lines[0]


@pytest.mark.parametrize("kind", ["labels", "splits"])
def test_store_loader_refuses_corrupt_store(store, kind):
    from bioseq.data.store_dataset import StoreDataset

    CORRUPTIONS[kind](store)
    with pytest.raises(StoreError, match=f"enc.h5 is corrupt: .*dataset {kind}"):
        StoreDataset(store, length=60)


def test_store_loader_names_corrupt_code_chunk(store):
    from bioseq.data.store_dataset import StoreDataset

    CORRUPTIONS["codes"](store)
    dataset = StoreDataset(store, length=60)
    with pytest.raises(StoreError, match="enc.h5 is corrupt: reading dataset codes"):
        dataset[[0, 1]]


def test_shifted_id_offset_stops_stream(store):
    from bioseq.io.store_stream import iter_store

    shift_id_offset(store, 17)
    # Chunks of 17 records start at record 17, so the stream reads the damaged offset.
    with pytest.raises(StoreError, match="enc.h5 is corrupt: dataset id_offsets"):
        for _ in iter_store(store, chunk_size=17):
            pass
