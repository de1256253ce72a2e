"""BED interval extraction and its past-the-end policies."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import pytest

from bioseq.encode.intervals import BedFormatError, extract_intervals, read_bed
from bioseq.encode.onehot import encode_onehot
from bioseq.errors import SequenceError

GENOME = ">chrT\nACGTACGTAC\n>chrU\nGGGGCCCC\n"


@pytest.fixture
def genome(fasta):
    return fasta(GENOME, name="genome.fa")


def write_bed(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "regions.bed"
    path.write_text(text)
    return path


def test_past_end_is_error(genome, tmp_path):
    bed = write_bed(tmp_path, "chrT\t6\t14\n")
    with pytest.raises(SequenceError,
                       match=r"regions.bed:1: interval chrT:6-14 runs past the end of chrT "
                             r"\(length 10\)"):
        extract_intervals(genome, bed)


def test_past_end_drop_counts(genome, tmp_path, caplog):
    bed = write_bed(tmp_path, "chrT\t6\t14\nchrT\t0\t4\n")
    with caplog.at_level(logging.WARNING, logger="bioseq.encode.intervals"):
        windows = extract_intervals(genome, bed, past_end="drop")
    assert windows.ids.tolist() == ["chrT:0-4"]
    assert windows.transforms["intervals_dropped"] == 1
    assert "dropped 1 interval(s)" in caplog.text


def test_past_end_pad_records_amount(genome, tmp_path):
    bed = write_bed(tmp_path, "chrT\t6\t14\nchrU\t0\t8\n")
    transforms: Counter = Counter()
    windows = extract_intervals(genome, bed, past_end="pad", transforms=transforms)
    assert windows.sequence(0) == "GTACNNNN"
    assert windows.transforms["interval_pad_residues"] == 4
    assert transforms["intervals_padded"] == 1
    assert windows.flagged["padded_past_end"] == ["chrT:6-14"]


def test_padded_windows_encode_as_one_batch(genome, tmp_path):
    bed = write_bed(tmp_path, "chrT\t6\t14\nchrU\t0\t8\nchrT\t1\t9\n")
    windows = extract_intervals(genome, bed, past_end="pad")
    x = encode_onehot(windows, length=8)
    assert x.shape == (3, 4, 8)


def test_minus_strand_reverse_complement(genome, tmp_path):
    bed = write_bed(tmp_path, "browser position chrT\n# comment\nchrT\t0\t5\tsite1\t0\t-\n")
    windows = extract_intervals(genome, bed)
    assert windows.sequence(0) == "TACGT"
    assert windows.ids.tolist() == ["chrT:0-5(-)"]
    assert windows.descriptions.tolist() == ["site1"]


def test_unknown_chromosome_names_line(genome, tmp_path):
    bed = write_bed(tmp_path, "chrT\t0\t4\nchr9\t0\t4\n")
    with pytest.raises(SequenceError, match=r"regions.bed:2: chromosome 'chr9'"):
        extract_intervals(genome, bed)


@pytest.mark.parametrize(("line", "message"), [
    ("chrT\t6\n", "at least 3 columns"),
    ("chrT\tsix\t14\n", "must be integers"),
    ("chrT\t8\t8\n", "0 <= start < end"),
    ("chrT\t0\t4\tx\t0\t*\n", "invalid strand"),
])
def test_malformed_bed_lines(tmp_path, line, message):
    bed = write_bed(tmp_path, line)
    with pytest.raises(BedFormatError, match=f"regions.bed:1: .*{message}"):
        read_bed(bed)
