"""The ``bioseq encode`` command, run through the real click group."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import sparse as sp

from bioseq.cli import main
from bioseq.encode.onehot import decode_onehot
from bioseq.errors import BioseqWarning


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["encode", *args])
    return result.exit_code, result.output


def load(path: Path) -> tuple[dict[str, np.ndarray], dict]:
    with np.load(path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    return arrays, json.loads(str(arrays["metadata"]))


@pytest.fixture
def long_fasta(tmp_path: Path) -> Path:
    path = tmp_path / "long.fa"
    path.write_text(">long\n" + "A" * 600 + "\n>short\nACGT\n")
    return path


def test_too_long_exits_with_record(long_fasta, tmp_path):
    out = tmp_path / "x.npz"
    code, output = run(str(long_fasta), "--alphabet", "dna", "--out", str(out),
                       "--length", "512", "--pad", "right")
    assert code == 1
    assert "'long' is 600 residues long, more than the input length 512" in output
    assert not out.exists()


def test_truncate_counted_in_metadata(long_fasta, tmp_path):
    out = tmp_path / "x.npz"
    code, output = run(str(long_fasta), "--alphabet", "dna", "--out", str(out),
                       "--length", "512", "--pad", "left", "--truncate", "center")
    assert code == 0, output
    arrays, metadata = load(out)
    assert arrays["x"].shape == (2, 4, 512)
    assert metadata["transforms"]["truncated_records"] == 1
    assert metadata["transforms"]["padded_records"] == 1
    assert metadata["transforms"]["padded_positions"] == 508
    assert metadata["settings"]["pad"] == "left"
    assert metadata["settings"]["pad_char"] == "gap"
    assert arrays["mask"][1].sum() == 4


def test_too_short_exits_without_pad(tmp_path):
    fasta = tmp_path / "short.fa"
    fasta.write_text(">short\n" + "ACGT" * 250 + "\n")
    code, output = run(str(fasta), "--alphabet", "dna", "--out", str(tmp_path / "x.npz"),
                       "--length", "2000")
    assert code == 1
    assert "'short' is 1000 residues long, less than the fixed input length 2000" in output


def test_pad_with_n_recorded(tmp_path):
    fasta = tmp_path / "short.fa"
    fasta.write_text(">short\n" + "ACGT" * 250 + "\n")
    out = tmp_path / "x.npz"
    code, output = run(str(fasta), "--alphabet", "dna", "--out", str(out), "--length", "2000",
                       "--pad", "both", "--pad-char", "N")
    assert code == 0, output
    arrays, metadata = load(out)
    assert metadata["settings"]["pad_char"] == "N"
    assert metadata["transforms"]["padded_positions"] == 1000
    assert arrays["x"][0, :, 0].tolist() == [0.25] * 4
    assert "noncanonical_positions" not in metadata["transforms"]


def test_tile_windows(long_fasta, tmp_path):
    out = tmp_path / "x.npz"
    code, output = run(str(long_fasta), "--alphabet", "dna", "--out", str(out), "--length",
                       "256", "--tile", "--pad", "right")
    assert code == 0, output
    arrays, metadata = load(out)
    assert arrays["x"].shape == (4, 4, 256)
    assert arrays["ids"].tolist() == ["long", "long", "long", "short"]
    assert metadata["transforms"]["tiled_records"] == 1


def test_softmask_channel(tmp_path):
    fasta = tmp_path / "soft.fa"
    fasta.write_text(">s\nACGTacgtNn\n")
    out = tmp_path / "x.npz"
    code, output = run(str(fasta), "--alphabet", "dna", "--out", str(out), "--softmask")
    assert code == 0, output
    arrays, _ = load(out)
    assert decode_onehot(arrays["x"], softmask=True) == ["ACGTacgtNn"]


def test_kmer_sparse_canonical(tmp_path):
    fasta = tmp_path / "k.fa"
    fasta.write_text(">s1\nAC\n>s2\nACGTA\n")
    out = tmp_path / "k.npz"
    with pytest.warns(BioseqWarning, match="shorter than k=3"):
        code, output = run(str(fasta), "--alphabet", "dna", "--out", str(out), "--kind", "kmer",
                           "-k", "3", "--sparse", "--canonical")
    assert code == 0, output
    arrays, metadata = load(out)
    matrix = sp.csr_matrix((arrays["x_data"], arrays["x_indices"], arrays["x_indptr"]),
                           shape=tuple(arrays["x_shape"]))
    assert matrix.sum(axis=1).A.ravel().tolist() == [0, 3]
    assert metadata["transforms"]["records_shorter_than_k"] == 1
    assert metadata["flagged"]["shorter_than_k3"] == ["s1"]
    assert "shorter than k=3" in output


def test_kmer_short_error(tmp_path):
    fasta = tmp_path / "k.fa"
    fasta.write_text(">s1\nAC\n>s2\nACGTA\n")
    code, output = run(str(fasta), "--alphabet", "dna", "--out", str(tmp_path / "k.npz"),
                       "--kind", "kmer", "-k", "3", "--short", "error")
    assert code == 1
    assert "'s1' (2)" in output


def test_tokens_lowercase(tmp_path):
    fasta = tmp_path / "t.fa"
    fasta.write_text(">low\natgaaatga\n>up\nATGAAATGA\n")
    out = tmp_path / "t.npz"
    code, output = run(str(fasta), "--alphabet", "dna", "--out", str(out), "--kind", "tokens",
                       "-k", "3", "--stride", "3", "--add-cls")
    assert code == 0, output
    arrays, _ = load(out)
    assert arrays["x"][0].tolist() == arrays["x"][1].tolist()
    words = [arrays["vocabulary"][i] for i in arrays["x"][0]]
    assert words == ["[CLS]", "ATG", "AAA", "TGA"]


def test_tokens_fixed_length(tmp_path):
    fasta = tmp_path / "t.fa"
    fasta.write_text(">a\nACGTACGTAC\n>b\nACG\n")
    out = tmp_path / "t.npz"
    code, output = run(str(fasta), "--alphabet", "dna", "--out", str(out), "--kind", "tokens",
                       "-k", "2", "--stride", "2", "--length", "6", "--truncate", "right",
                       "--pad", "right")
    assert code == 0, output
    arrays, metadata = load(out)
    words = [[arrays["vocabulary"][i] for i in row] for row in arrays["x"]]
    assert words == [["AC", "GT", "AC"], ["AC", "[PAD]", "[PAD]"]]
    assert arrays["mask"].sum(axis=1).tolist() == [3, 1]
    assert metadata["transforms"]["truncated_records"] == 1


def test_bed_past_end(tmp_path):
    genome = tmp_path / "genome.fa"
    genome.write_text(">chrT\nACGTACGTAC\n")
    bed = tmp_path / "regions.bed"
    bed.write_text("chrT\t6\t14\n")
    out = tmp_path / "w.npz"
    code, output = run(str(genome), "--alphabet", "dna", "--out", str(out), "--bed", str(bed))
    assert code == 1
    assert "regions.bed:1: interval chrT:6-14 runs past the end of chrT (length 10)" in output
    code, output = run(str(genome), "--alphabet", "dna", "--out", str(out), "--bed", str(bed),
                       "--past-end", "pad")
    assert code == 0, output
    arrays, metadata = load(out)
    assert decode_onehot(arrays["x"]) == ["GTACNNNN"]
    assert metadata["transforms"]["interval_pad_residues"] == 4


def test_failed_run_keeps_old_output(long_fasta, tmp_path):
    out = tmp_path / "x.npz"
    out.write_bytes(b"old")
    code, _ = run(str(long_fasta), "--alphabet", "dna", "--out", str(out), "--length", "10")
    assert code == 1
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".x.npz")] == []


def test_usage_errors(long_fasta, tmp_path):
    code, output = run(str(long_fasta), "--out", str(tmp_path / "x.npz"), "--kind", "kmer",
                       "--length", "5")
    assert code == 2
    assert "--length applies to onehot and tokens" in output


def test_labels_follow_tiled_windows(tmp_path):
    table = tmp_path / "labelled.csv"
    table.write_text("id,sequence,label\np1,ACGTACGTAA,pos\np2,GGCC,neg\n")
    out = tmp_path / "x.npz"
    code, output = run(str(table), "--out", str(out), "--length", "4", "--tile", "--pad", "right")
    assert code == 0, output
    arrays, _ = load(out)
    assert arrays["ids"].tolist() == ["p1", "p1", "p1", "p2"]
    names = arrays["class_names"].tolist()
    assert [names[i] for i in arrays["labels"]] == ["pos", "pos", "pos", "neg"]
    assert arrays["record"].tolist() == [0, 0, 0, 1]
