"""CSV/TSV reader: literal cells, field counts, column detection."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from bioseq.errors import SequenceError, TableFormatError
from bioseq.io.tables import iter_table, read_table


def write(folder: Path, name: str, content: bytes | str) -> Path:
    path = folder / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def test_bom_in_header(tmp_path):
    path = write(tmp_path, "b.csv", b"\xef\xbb\xbfid,sequence,label\nx1,ACGT,1\n")
    records = read_table(path)
    assert records.ids.tolist() == ["x1"]
    assert records.sequence(0) == "ACGT"


def test_missing_column_lists_escaped_names(tmp_path):
    path = write(tmp_path, "b.csv", "\u200bid,sequence,label\nx1,ACGT,1\n")
    with pytest.raises(TableFormatError, match=r"id column 'id' not found; columns seen: \['\\u200bid', 'sequence', 'label'\]"):
        read_table(path, id_column="id")


def test_na_strings_stay_sequences(tmp_path):
    path = write(tmp_path, "na.csv", "id,sequence,label\np1,NA,1\np2,nan,0\np3,ACGT,1\n")
    records = read_table(path, alphabet="dna")
    assert records.ids.tolist() == ["p1", "p2", "p3"]
    assert records.sequence(0) == "NA"
    assert records.sequence(1) == "NAN"
    assert records.transforms["uppercased"] == 3


def test_na_string_as_id(tmp_path):
    records = read_table(write(tmp_path, "na.csv", "id,sequence\nNA,ACGT\nnan,GG\n"), labels=False)
    assert records.ids.tolist() == ["NA", "nan"]


def test_empty_sequence_cell_reported_by_line(tmp_path):
    path = write(tmp_path, "e.csv", "id,sequence,label\np1,ACGT,1\np2,,0\n")
    with pytest.raises(TableFormatError, match=r"e\.csv:3: empty record p2"):
        read_table(path)
    records = read_table(path, empty="drop")
    assert records.ids.tolist() == ["p1"]
    assert records.transforms["empty_dropped"] == 1


def test_space_after_delimiter_quotes(tmp_path):
    path = write(tmp_path, "q.csv", 'id,sequence,label\nx1, "ACGT ACGT",1\nx2, "AC,GT",0\n')
    with pytest.raises(SequenceError, match=r"q\.csv:2: record x1: invalid dna character ' ' at position 5"):
        read_table(path, alphabet="dna")


def test_comma_inside_quoted_sequence_rejected(tmp_path):
    path = write(tmp_path, "q.csv", 'id,sequence,label\nx1, "ACGT",1\nx2, "AC,GT",0\n')
    with pytest.raises(SequenceError, match=r"q\.csv:3: record x2: invalid dna character ',' at position 3"):
        read_table(path, alphabet="dna")


def test_text_after_closing_quote_rejected(tmp_path):
    path = write(tmp_path, "q.csv", 'id,sequence,label\nx1,ACGT,1\nx2, "ACGT" ,1\n')
    with pytest.raises(TableFormatError, match=r"q\.csv:3: malformed row"):
        read_table(path, alphabet="dna")


def test_row_with_extra_field(tmp_path):
    path = write(tmp_path, "x.csv", "id,sequence,label\nx1,ACGT,1\nx2,AC,GT,0\n")
    with pytest.raises(TableFormatError, match=r"x\.csv:3: row 3 has 4 fields, header has 3"):
        read_table(path)


def test_first_row_with_extra_field(tmp_path):
    # pandas would silently drop this surplus field; the reader must not.
    path = write(tmp_path, "x.csv", "id,sequence,label\nx1,ACGT,1,5\n")
    with pytest.raises(TableFormatError, match=r"x\.csv:2: row 2 has 4 fields, header has 3"):
        read_table(path)


def test_row_with_missing_field(tmp_path):
    path = write(tmp_path, "x.csv", "id,sequence,label\nx1,ACGT\n")
    with pytest.raises(TableFormatError, match=r"x\.csv:2: row 2 has 2 fields, header has 3"):
        read_table(path)


def test_space_padded_fields_stripped(tmp_path):
    path = write(tmp_path, "s.csv", "label,instance_name,sequence\nEI,    A-1,     ACGT\nN ,  B-2 ,GGCC  \n")
    records = read_table(path, id_column="instance_name")
    assert records.ids.tolist() == ["A-1", "B-2"]
    assert records.sequence(1) == "GGCC"
    assert records.class_names == ["EI", "N"]


def test_separator_from_extension_and_header(tmp_path):
    tsv = read_table(write(tmp_path, "t.tsv", "index\tlabel\ttext\n0\t1\tACGT\n"), id_column="index")
    sniffed = read_table(write(tmp_path, "t.txt", "id;sequence;label\na;ACGT;0\n"))
    gz = read_table(write(tmp_path, "t.tsv.gz", gzip.compress(b"id\tsequence\na\tGG\n")))
    assert tsv.ids.tolist() == ["0"]
    assert tsv.sequence(0) == "ACGT"
    assert sniffed.sequence(0) == "ACGT"
    assert gz.sequence(0) == "GG"


def test_ambiguous_sequence_column(tmp_path):
    path = write(tmp_path, "a.csv", "seq,sequence\nAC,GT\n")
    with pytest.raises(TableFormatError, match=r"several columns could be the sequence column"):
        read_table(path)


def test_ids_default_to_file_and_line(tmp_path):
    records = read_table(write(tmp_path, "n.csv", "sequence,class\nACGT,a\n\nGG,b\n"))
    assert records.ids.tolist() == ["n.csv:2", "n.csv:4"]


def test_duplicate_ids_in_table(tmp_path):
    path = write(tmp_path, "d.csv", "id,sequence\na,AC\nb,GG\na,TT\n")
    with pytest.raises(TableFormatError, match=r"d\.csv:4: duplicate id 'a' on lines 2 and 4"):
        read_table(path)
    assert read_table(path, duplicates="rename").ids.tolist() == ["a", "b", "a_2"]


def test_split_column_normalised(tmp_path):
    path = write(tmp_path, "s.csv", "sequence,label,split\nAC,0,Training\nGG,1,val\nTT,1,test\n")
    records = read_table(path)
    assert records.splits.tolist() == ["train", "valid", "test"]


def test_iter_table_chunks(tmp_path):
    rows = "".join(f"s{i},{'ACGT'[i % 4] * 3},{i % 2}\n" for i in range(10))
    chunks = list(iter_table(write(tmp_path, "c.csv", "id,sequence,label\n" + rows), chunk_size=4))
    assert [len(chunk) for chunk in chunks] == [4, 4, 2]
    assert chunks[2].ids.tolist() == ["s8", "s9"]


def test_truncated_gzip_table(tmp_path):
    rows = "".join(f"s{i},ACGTACGTAC,{i % 2}\n" for i in range(2000))
    data = gzip.compress(("id,sequence,label\n" + rows).encode())
    path = write(tmp_path, "cut.csv.gz", data[:400])
    with pytest.raises(EOFError, match=r"cut\.csv\.gz: compressed data ended early"):
        read_table(path)
