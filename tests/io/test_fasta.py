"""FASTA reader: format rules, awkward inputs and transformations."""

from __future__ import annotations

import gzip
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

from bioseq.errors import ConfigError, FastaFormatError, SequenceError
from bioseq.io.compression import NotUtf8Error
from bioseq.io.fasta import iter_fasta, read_fasta


def write(folder: Path, name: str, content: bytes | str) -> Path:
    path = folder / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def test_gt_inside_description(tmp_path):
    path = write(tmp_path, "x.fa", ">r1 depth>30m <unk>\nACGT\n>r2\nGGCC\n")
    records = read_fasta(path)
    assert len(records) == 2
    assert records.ids.tolist() == ["r1", "r2"]
    assert records.descriptions[0] == "depth>30m <unk>"
    assert records.sequence(0) == "ACGT"
    assert records.sequence(1) == "GGCC"


def test_crlf_matches_lf(tmp_path):
    crlf = read_fasta(write(tmp_path, "crlf.fa", b">s1\r\nACGT\r\nTTAA\r\n>s2\r\nGG\r\n"))
    lf = read_fasta(write(tmp_path, "lf.fa", b">s1\nACGT\nTTAA\n>s2\nGG\n"))
    assert crlf.ids.tolist() == ["s1", "s2"]
    assert crlf.sequence(0) == "ACGTTTAA"
    assert crlf.sequence(1) == "GG"
    assert crlf.codes.tobytes() == lf.codes.tobytes()
    assert crlf.offsets.tolist() == lf.offsets.tolist()
    assert crlf.ids.tolist() == lf.ids.tolist()
    assert all("\r" not in name for name in crlf.ids)


def test_lone_cr_names_file(tmp_path):
    path = write(tmp_path, "mac.fa", b">s1\rACGT\r>s2\rGG\r")
    with pytest.raises(FastaFormatError, match=r"mac\.fa:1: carriage return without a line feed"):
        read_fasta(path)


def test_blank_lines_between_records_and_empty_record(tmp_path):
    path = write(tmp_path, "e.fa", ">e1\n\n\n>s2\nACGT\n\n>s3\nTT\n")
    with pytest.raises(FastaFormatError, match=r"e\.fa:1: empty record e1"):
        read_fasta(path)
    records = read_fasta(path, empty="drop")
    assert records.ids.tolist() == ["s2", "s3"]
    assert records.sequence(0) == "ACGT"
    assert records.sequence(1) == "TT"
    assert records.transforms["empty_dropped"] == 1


def test_blank_line_inside_record(tmp_path):
    path = write(tmp_path, "x.fa", ">chrA\nACGTACGT\nACG\n\nTTT\n>chrB\nAAAA\n")
    with pytest.raises(FastaFormatError, match=r"x\.fa:4: blank line inside record chrA"):
        read_fasta(path)
    joined = read_fasta(path, blank_lines="join")
    assert joined.ids.tolist() == ["chrA", "chrB"]
    assert joined.sequence(0) == "ACGTACGTACGTTT"
    assert joined.transforms["blank_lines_joined"] == 1


def test_bom_is_stripped(tmp_path):
    with_bom = read_fasta(write(tmp_path, "bom.fa", b"\xef\xbb\xbf>s1\nACGT\n"))
    plain = read_fasta(write(tmp_path, "plain.fa", b">s1\nACGT\n"))
    assert with_bom.ids.tolist() == ["s1"]
    assert with_bom.codes.tobytes() == plain.codes.tobytes()
    assert with_bom.transforms["bom_removed"] == 1


def test_duplicate_ids_name_both_lines(tmp_path):
    path = write(tmp_path, "d.fa", ">a\nAAA\n>a\nCCC\n>b\nGGG\n")
    with pytest.raises(FastaFormatError, match=r"duplicate record id 'a': header line 1 .* header line 3"):
        read_fasta(path)


@pytest.mark.parametrize(
    ("policy", "ids", "sequences"),
    [
        ("first", ["a", "b"], ["AAA", "GGG"]),
        ("last", ["a", "b"], ["CCC", "GGG"]),
        ("rename", ["a", "a_2", "b"], ["AAA", "CCC", "GGG"]),
    ],
)
def test_duplicate_policies(tmp_path, caplog, policy, ids, sequences):
    path = write(tmp_path, "d.fa", ">a\nAAA\n>a\nCCC\n>b\nGGG\n")
    records = read_fasta(path, duplicates=policy)
    assert records.ids.tolist() == ids
    assert [records.sequence(i) for i in range(len(records))] == sequences
    assert records.transforms[f"duplicates_{policy}"] == 1
    assert "duplicates=" in caplog.text


def test_space_after_gt_points_to_full_header(tmp_path):
    path = write(tmp_path, "s.fa", "> seq 0\nAC\n> seq 1\nGT\n")
    with pytest.raises(FastaFormatError, match=r"'> seq 0'.*'> seq 1'.*id_rule='full-header'"):
        read_fasta(path)
    records = read_fasta(path, id_rule="full-header")
    assert records.ids.tolist() == ["seq 0", "seq 1"]
    assert records.sequence(1) == "GT"


def test_fastq_content_is_zero_records_error(tmp_path):
    path = write(tmp_path, "reads.fa", "@r1\nACGT\n+\nIIII\n")
    with pytest.raises(FastaFormatError, match=r"reads\.fa: 0 FASTA records in 16 bytes; line 1 starts with '@' \(FASTQ\?\)"):
        read_fasta(path)


def test_fasta_content_named_fq_reads(tmp_path):
    records = read_fasta(write(tmp_path, "reads.fq", ">r1\nACGT\n"))
    assert records.ids.tolist() == ["r1"]


def test_only_blank_lines_is_zero_records(tmp_path):
    with pytest.raises(FastaFormatError, match=r"0 FASTA records in 3 bytes"):
        read_fasta(write(tmp_path, "blank.fa", "\n\n\n"))


def test_empty_file_is_error(tmp_path):
    with pytest.raises(FastaFormatError, match=r"empty file"):
        read_fasta(write(tmp_path, "none.fa", ""))


def test_text_before_first_header(tmp_path):
    path = write(tmp_path, "x.fa", "# exported 2024\nACGT\n>s1\nGGCC\n")
    with pytest.raises(FastaFormatError, match=r"x\.fa:1: data before first '>' header"):
        read_fasta(path)
    # Comments may be allowed, but the orphan sequence line is still an error.
    with pytest.raises(FastaFormatError, match=r"x\.fa:2: data before first '>' header"):
        read_fasta(path, comments=True)


def test_comment_lines_skipped_on_request(tmp_path):
    path = write(tmp_path, "c.fa", "# exported 2024\n;old style\n>s1\nGGCC\n")
    records = read_fasta(path, comments=True)
    assert records.ids.tolist() == ["s1"]
    assert records.transforms["comment_lines"] == 2


def test_no_header_at_all(tmp_path):
    path = write(tmp_path, "x.fa", "ACGTACGT\nGGCC\n")
    with pytest.raises(FastaFormatError, match=r"x\.fa:1: expected '>' header, found sequence data"):
        read_fasta(path)


def test_truncated_gzip(tmp_path):
    text = "".join(f">r{i}\n{'ACGT' * 20}\n" for i in range(1000)).encode()
    full = write(tmp_path, "full.fa.gz", gzip.compress(text))
    cut = write(tmp_path, "cut.fa.gz", full.read_bytes()[:300])
    assert len(read_fasta(full)) == 1000
    with pytest.raises(EOFError, match=r"cut\.fa\.gz: .*unexpected end of stream or CRC.*after 0 complete records"):
        read_fasta(cut)


def test_truncated_gzip_cli_exits_nonzero(tmp_path):
    # Through the command line: a non-zero exit, an error naming the file, no output file.
    text = "".join(f">r{i}\n{'ACGT' * 20}\n" for i in range(1000)).encode()
    cut = write(tmp_path, "cut.fa.gz", gzip.compress(text)[:300])
    script = (
        "import sys, click\n"
        "from bioseq.cli.options import data_options, load_data_from_options\n"
        "@click.command()\n@data_options\n"
        "def main(**kw):\n    load_data_from_options(**kw)\n"
        "from bioseq.errors import BioseqError\n"
        "try:\n    main(standalone_mode=False)\n"
        "except BioseqError as e:\n    print(e, file=sys.stderr); sys.exit(1)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, "--data", str(cut)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "cut.fa.gz" in done.stderr
    assert "unexpected end of stream" in done.stderr


def test_corrupt_gzip_crc(tmp_path):
    data = bytearray(gzip.compress(b">r1\nACGT\n>r2\nGGGG\n"))
    data[-8] ^= 0xFF  # flip a CRC byte
    path = write(tmp_path, "crc.fa.gz", bytes(data))
    with pytest.raises(EOFError, match=r"crc\.fa\.gz: .*CRC"):
        read_fasta(path)


def test_compression_from_magic_not_name(tmp_path):
    content = b">s1 first\nACGT\nAC\n>s2\nGGCC\n"
    plain = read_fasta(write(tmp_path, "s.fa", content))
    gzip_named_fa = read_fasta(write(tmp_path, "t.fa", gzip.compress(content)))
    text_named_gz = read_fasta(write(tmp_path, "u.fa.gz", content))
    for other in (gzip_named_fa, text_named_gz):
        assert other.ids.tolist() == plain.ids.tolist()
        assert other.codes.tobytes() == plain.codes.tobytes()


def test_multi_member_and_bgzf_gzip(tmp_path):
    first = b">s1\nACGT\n>s2\nGG"
    second = b"CC\n>s3\nTTTT\n"
    multi = write(tmp_path, "m.fa.gz", gzip.compress(first) + gzip.compress(second))
    records = read_fasta(multi)
    assert records.ids.tolist() == ["s1", "s2", "s3"]
    assert records.sequence(1) == "GGCC"
    # BGZF: members with the BC extra field, ending in an empty member.
    def bgzf_member(payload: bytes) -> bytes:
        deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
        body = deflate.compress(payload) + deflate.flush()
        size = len(body) + 25
        header = b"\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\xff\x06\x00BC\x02\x00" + (size).to_bytes(2, "little")
        trailer = zlib.crc32(payload).to_bytes(4, "little") + len(payload).to_bytes(4, "little")
        return header + body + trailer
    bgzf = write(tmp_path, "b.fa.gz", bgzf_member(first) + bgzf_member(second) + bgzf_member(b""))
    assert read_fasta(bgzf).codes.tobytes() == records.codes.tobytes()


def test_lowercase_equals_uppercase(tmp_path):
    records = read_fasta(write(tmp_path, "s.fa", ">s\nACGTacgtNn\n"), alphabet="dna")
    codes = records.codes_of(0)
    assert codes[4:8].tolist() == codes[0:4].tolist()
    assert codes[8] == codes[9]
    assert records.transforms["uppercased"] == 5
    assert records.softmask is None


def test_softmask_kept_on_request(tmp_path):
    records = read_fasta(write(tmp_path, "s.fa", ">s\nACgt\n"), keep_softmask=True)
    assert records.softmask.tolist() == [False, False, True, True]


def test_u_in_dna_converted_and_mixed_flagged(tmp_path, caplog):
    path = write(tmp_path, "u.fa", ">r\nACGU\n>d\nACGT\n>m\nTTUU\n")
    records = read_fasta(path, alphabet="dna")
    assert records.sequence(0) == "ACGT"
    assert records.codes_of(0).tolist() == records.codes_of(1).tolist()
    assert records.transforms["u_to_t"] == 3
    assert records.flagged["mixed_t_u"] == ["m"]
    assert "mix T and U" in caplog.text


def test_u_in_dna_error_policy(tmp_path):
    path = write(tmp_path, "u.fa", ">d\nACGT\n>r\nACGU\n")
    with pytest.raises(SequenceError, match=r"u\.fa:3: record r contains U"):
        read_fasta(path, alphabet="dna", u_policy="error")


def test_t_in_rna_converted(tmp_path):
    records = read_fasta(write(tmp_path, "r.fa", ">r\nACGU\n>t\nACGT\n"), alphabet="rna")
    assert records.sequence(1) == "ACGU"
    assert records.transforms["t_to_u"] == 1


def test_protein_stops(tmp_path):
    path = write(tmp_path, "p.fa", ">p1\nMKV*\n>p2\nMK*LV\n")
    with pytest.raises(SequenceError, match=r"p\.fa:3: record p2: stop '\*' at position 3"):
        read_fasta(path, alphabet="protein")
    records = read_fasta(path, alphabet="protein", internal_stop="drop")
    assert records.ids.tolist() == ["p1"]
    assert records.sequence(0) == "MKV"
    assert records.transforms["terminal_stop_removed"] == 1
    assert records.transforms["internal_stop_dropped"] == 1


def test_terminal_stop_only_shortens_its_record(tmp_path):
    records = read_fasta(write(tmp_path, "p.fa", ">a\nMK*\n>b\nMKVL\n>c\nW*\n"), alphabet="protein")
    assert [records.sequence(i) for i in range(3)] == ["MK", "MKVL", "W"]
    assert records.transforms["terminal_stop_removed"] == 2


def test_invalid_character_names_record_and_position(tmp_path):
    path = write(tmp_path, "bad.fa", ">ok\nACGT\n>bad\nACG\nTTXA\n")
    with pytest.raises(SequenceError, match=r"bad\.fa:5: record bad: invalid dna character 'X' at position 6"):
        read_fasta(path, alphabet="dna")


def test_empty_header_is_error(tmp_path):
    with pytest.raises(FastaFormatError, match=r"e\.fa:1: empty header"):
        read_fasta(write(tmp_path, "e.fa", ">\nACGT\n"))


def test_alphabet_guess(tmp_path):
    protein = read_fasta(write(tmp_path, "p.fa", ">p\nMKVLAAGIWEDE\n"))
    dna = read_fasta(write(tmp_path, "d.fa", ">d\nACGTTGCA\n"))
    assert protein.alphabet.name == "protein"
    assert dna.alphabet.name == "dna"


def test_three_line_layout_detected_and_read(tmp_path):
    content = (
        ">A1|EUKARYA|SP|0\nMKLLAVLL\nSSSSSOOO\n"
        ">B2|ARCHAEA|NO_SP|1\nMSTQWE\nIIIIII\n"
        ">C3|EUKARYA|LIPO|2\nMKKLLA\nLLLLOO\n"
    )
    path = write(tmp_path, "sp.fasta", content)
    with pytest.raises(FastaFormatError, match=r"layout='three-line'"):
        read_fasta(path)
    records = read_fasta(
        path, layout="three-line", header_sep="|", header_fields=["id", "kingdom", "type", "partition"],
        label_field="type", split_field="partition",
    )
    assert records.ids.tolist() == ["A1", "B2", "C3"]
    assert records.sequence(0) == "MKLLAVLL"
    assert records.sequence(1) == "MSTQWE"
    assert records.class_names == ["LIPO", "NO_SP", "SP"]
    assert records.labels.tolist() == [2, 1, 0]
    assert records.splits.tolist() == ["0", "1", "2"]


def test_three_line_annotation_length_checked(tmp_path):
    path = write(tmp_path, "sp.fa", ">a\nMKLL\nSSS\n")
    with pytest.raises(FastaFormatError, match=r"sp\.fa:3: annotation of record a has 3 characters"):
        read_fasta(path, layout="three-line")


def test_wrapped_two_line_records_not_three_line(tmp_path):
    # Records of exactly two full lines of the same letters are ordinary wrapped FASTA.
    content = "".join(f">r{i}\nACGTAC\nGTACGA\n" for i in range(5))
    records = read_fasta(write(tmp_path, "w.fa", content))
    assert records.sequence(0) == "ACGTACGTACGA"


def test_labels_from_key_and_last_token(tmp_path):
    keyed = read_fasta(write(tmp_path, "k.fa", ">a class=enh x=1\nACGT\n>b class=non\nGGCC\n"), label_field="class")
    assert keyed.class_names == ["enh", "non"]
    assert keyed.labels.tolist() == [0, 1]
    last = read_fasta(write(tmp_path, "l.fa", ">RF1_x 5S_rRNA\nACGT\n>RF2_y tRNA\nGG\n"), label_from="last-token")
    assert last.class_names == ["5S_rRNA", "tRNA"]
    assert last.labels.tolist() == [0, 1]


def test_header_label_missing_is_error(tmp_path):
    path = write(tmp_path, "k.fa", ">a class=enh\nACGT\n>b\nGGCC\n")
    with pytest.raises(Exception, match=r"k\.fa:3: missing label"):
        read_fasta(path, label_field="class")


def test_iter_fasta_matches_read_fasta(tmp_path, monkeypatch):
    import bioseq.io.fasta as fasta

    rng = np.random.default_rng(0)
    lines = []
    for i in range(300):
        sequence = "".join(rng.choice(list("ACGTacgt"), size=int(rng.integers(1, 120))))
        wrapped = "\n".join(sequence[k:k + 50] for k in range(0, len(sequence), 50))
        lines.append(f">r{i} some description\n{wrapped}\n")
    path = write(tmp_path, "many.fa", "".join(lines))
    whole = read_fasta(path)
    # Small blocks force records to span block boundaries.
    monkeypatch.setattr(fasta, "BLOCK_BYTES", 1000)
    monkeypatch.setattr(fasta, "HEAD_BYTES", 500)
    chunks = list(iter_fasta(path, chunk_size=70))
    assert [len(chunk) for chunk in chunks] == [70, 70, 70, 70, 20]
    assert np.concatenate([c.ids for c in chunks]).tolist() == whole.ids.tolist()
    assert np.concatenate([c.codes for c in chunks]).tobytes() == whole.codes.tobytes()
    assert sum(c.transforms["uppercased"] for c in chunks) == whole.transforms["uppercased"]
    small_blocks = read_fasta(path)
    assert small_blocks.codes.tobytes() == whole.codes.tobytes()


def test_iter_fasta_line_numbers_across_blocks(tmp_path, monkeypatch):
    import bioseq.io.fasta as fasta

    content = "".join(f">r{i}\nACGT\n" for i in range(400)) + ">bad\nACGJ\n"
    path = write(tmp_path, "late.fa", content)
    monkeypatch.setattr(fasta, "BLOCK_BYTES", 256)
    with pytest.raises(SequenceError, match=r"late\.fa:802: record bad: invalid dna character 'J' at position 4"):
        list(iter_fasta(path, alphabet="dna"))


def test_iter_fasta_rejects_last_policy(tmp_path):
    path = write(tmp_path, "a.fa", ">a\nAC\n")
    with pytest.raises(ConfigError, match=r"duplicates='last'"):
        list(iter_fasta(path, duplicates="last"))


def test_unknown_option_lists_allowed(tmp_path):
    path = write(tmp_path, "a.fa", ">a\nAC\n")
    with pytest.raises(ConfigError, match=r"unknown FASTA option\(s\) \['colour'\]"):
        read_fasta(path, colour="red")


def test_many_tiny_records(tmp_path):
    # More records than the first guess of room (one per 16 bytes) makes the reader count them.
    content = "".join(f">{i}\nA\n" for i in range(5000))
    records = read_fasta(write(tmp_path, "tiny.fa", content), alphabet="dna")
    assert len(records) == 5000
    assert records.ids[-1] == "4999"
    assert records.lengths.tolist() == [1] * 5000


def test_truncated_gzip_counts_complete_records(tmp_path):
    text = "".join(f">r{i}\n{'ACGT' * 50}\n" for i in range(5000)).encode()
    packed = gzip.compress(text, compresslevel=1)
    cut = write(tmp_path, "half.fa.gz", packed[: len(packed) // 2])
    with pytest.raises(EOFError, match=r"half\.fa\.gz: .*after \d+ complete records") as caught:
        read_fasta(cut)
    complete = int(str(caught.value).split("after ")[1].split(" ")[0])
    assert 0 < complete < 5000


def test_truncated_gzip_streamed_counts_complete_records(tmp_path):
    # A file shorter than one read block: the streaming reader fails on its first block.
    text = "".join(f">r{i}\n{'ACGT' * 50}\n" for i in range(2000)).encode()
    packed = gzip.compress(text, compresslevel=1)
    cut = write(tmp_path, "half.fa.gz", packed[: len(packed) // 2])
    with pytest.raises(EOFError, match=r"half\.fa\.gz: .*after \d+ complete records") as caught:
        list(iter_fasta(cut, chunk_size=100))
    complete = int(str(caught.value).split("after ")[1].split(" ")[0])
    assert 0 < complete < 2000


def test_all_records_dropped_is_error(tmp_path):
    path = write(tmp_path, "e.fa", ">a\n>b\n")
    with pytest.raises(FastaFormatError, match=r"e\.fa: no records left after dropping 2"):
        read_fasta(path, empty="drop")


def test_truncated_gzip_preprocess_leaves_no_store(tmp_path):
    text = "".join(f">r{i}\n{'ACGT' * 20}\n" for i in range(1000)).encode()
    cut = write(tmp_path, "cut.fa.gz", gzip.compress(text)[:300])
    bioseq = Path(sys.executable).parent / "bioseq"
    done = subprocess.run([str(bioseq), "preprocess", str(cut), "--out", str(tmp_path / "enc.h5")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert "cut.fa.gz" in done.stderr
    assert "unexpected end of stream" in done.stderr
    assert not (tmp_path / "enc.h5").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["cut.fa.gz"]


def test_iter_fasta_logs_one_summary(tmp_path, caplog):
    content = "".join(f">r{i}\nacgt\n" for i in range(10))
    path = write(tmp_path, "s.fa", content)
    with caplog.at_level("INFO", logger="bioseq.io.fasta"):
        chunks = list(iter_fasta(path, chunk_size=3, alphabet="dna"))
    summaries = [r.getMessage() for r in caplog.records if "read" in r.getMessage()]
    assert len(chunks) == 4
    assert summaries == ["s.fa: read 10 records (dna); transformations: uppercased=40"]


def test_reader_rejects_header_bytes_that_are_not_utf8(tmp_path):
    # The first bad header in file order is named, whether the byte is in the id or the
    # description, and read_fasta itself raises (no replacement characters in the result).
    path = tmp_path / "latin1.fa"
    path.write_bytes(b">r1 ok\nACGT\n>r2 caf\xe9\nACGA\n>r\xe93\nACGA\n")
    with pytest.raises(NotUtf8Error, match=r"latin1\.fa:3: not UTF-8 \(byte 0xe9 at column 8\)"):
        read_fasta(path, alphabet="dna")
    with pytest.raises(NotUtf8Error, match=r"latin1\.fa:3: "):
        list(iter_fasta(path, chunk_size=1, alphabet="dna"))


def test_reader_keeps_replacement_characters_written_as_utf8(tmp_path):
    path = tmp_path / "fffd.fa"
    path.write_bytes(">r1 \ufffd\nACGT\n".encode())
    assert read_fasta(path, alphabet="dna").descriptions.tolist() == ["\ufffd"]
