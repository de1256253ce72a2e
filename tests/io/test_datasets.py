"""Every real data set loads with its documented options and its published counts."""

from __future__ import annotations

from collections import Counter

import pytest

from bioseq.errors import FastaFormatError
from bioseq.io.load import load_sequences


def counts(records):
    return Counter(records.class_names[i] for i in records.labels.tolist())


def split_counts(records):
    return Counter(zip(records.splits.tolist(), (records.class_names[i] for i in records.labels), strict=True))


def test_uci_splice(shared_data):
    records = load_sequences(shared_data / "uci_splice" / "splice.csv")
    assert len(records) == 3190
    assert counts(records) == {"EI": 767, "IE": 768, "N": 1655}
    assert set(records.lengths.tolist()) == {60}
    assert records.alphabet.name == "dna"


def test_ienhancer(shared_data):
    folder = shared_data / "ienhancer"
    sources = [f"{split}:{kind}={folder}/{split}_{kind}_enhancers.txt"
               for split in ("train", "test") for kind in ("strong", "weak", "non")]
    records = load_sequences(sources, id_rule="full-header")
    assert split_counts(records) == {
        ("train", "strong"): 742, ("train", "weak"): 742, ("train", "non"): 1484,
        ("test", "strong"): 100, ("test", "weak"): 100, ("test", "non"): 200,
    }
    assert set(records.lengths.tolist()) == {200}
    # Soft-masked training sequences are upper-cased, so case cannot leak the label.
    assert records.transforms["uppercased"] > 0


def test_ecoli_sigma_promoters(shared_data):
    folder = shared_data / "ecoli_sigma_promoters"
    # Non-promoter headers all start with "Escherichia", so the whole header is the id.
    binary = load_sequences([f"promoter={folder}/positive2860.txt", f"non={folder}/negative2860.txt"],
                            positive_class="promoter", id_rule="full-header")
    assert counts(binary) == {"promoter": 2860, "non": 2860}
    assert binary.class_names == ["non", "promoter"]
    sigma = load_sequences([f"{n}={folder}/sigma{n}promoter.txt" for n in (24, 28, 32, 38, 54, 70)])
    assert counts(sigma) == {"24": 484, "28": 134, "32": 291, "38": 163, "54": 94, "70": 1694}
    assert sigma.class_names == ["24", "28", "32", "38", "54", "70"]
    independent = load_sequences(folder / "independent.txt", label_from="header", duplicates="rename",
                                 classes=sigma.class_names)
    assert len(independent) == 256
    assert counts(independent) == {"70": 199, "24": 30, "32": 13, "38": 10, "28": 4}
    assert independent.class_names == sigma.class_names
    assert set(binary.lengths.tolist()) == {81}


def test_nrc_ncrna(shared_data):
    folder = shared_data / "nrc_ncrna"
    records = load_sequences([f"train:{folder}/dataset_Rfam_6320_13classes.fasta.gz",
                              f"test:{folder}/dataset_Rfam_validated_2600_13classes.fasta"],
                             label_from="last-token", duplicates="rename")
    # The test sequences that also occur in training keep their Rfam ids, so they get renamed.
    assert records.transforms["duplicates_rename"] == 347
    per_split = Counter(records.splits.tolist())
    assert per_split == {"train": 6320, "test": 2600}
    assert len(records.class_names) == 13
    train = records.split("train")
    assert counts(train)["IRES"] == 320
    assert all(count == 500 for name, count in counts(train).items() if name != "IRES")
    assert all(count == 200 for count in counts(records.split("test")).values())
    assert records.alphabet.name == "dna"
    assert int(records.lengths.max()) == 1182


def test_amp_scanner_v2(shared_data):
    folder = shared_data / "amp_scanner_v2"
    sources = [f"{split}:{kind}={folder}/{kind}.{suffix}.fa"
               for split, suffix in (("train", "tr"), ("valid", "eval"), ("test", "te"))
               for kind in ("AMP", "DECOY")]
    records = load_sequences(sources, positive_class="AMP")
    assert records.alphabet.name == "protein"
    assert records.class_names == ["DECOY", "AMP"]
    assert split_counts(records) == {
        ("train", "AMP"): 712, ("train", "DECOY"): 712, ("valid", "AMP"): 354,
        ("valid", "DECOY"): 354, ("test", "AMP"): 712, ("test", "DECOY"): 712,
    }
    assert int(records.lengths.min()) == 11
    assert int(records.lengths.max()) == 183


@pytest.mark.parametrize(
    ("subset", "train_each", "test_each"),
    [("4mC_F.vesca", 7899, 7898), ("5hmC_M.musculus", 1840, 1839), ("6mA_D.melanogaster", 5596, 5595)],
)
def test_idna_ms(shared_data, subset, train_each, test_each):
    folder = shared_data / "idna_ms" / subset
    records = load_sequences([f"train:{folder}/train.tsv", f"test:{folder}/test.tsv"])
    assert records.class_names == ["0", "1"]
    assert split_counts(records) == {
        ("train", "0"): train_each, ("train", "1"): train_each,
        ("test", "0"): test_each, ("test", "1"): test_each,
    }
    assert set(records.lengths.tolist()) == {41}


def test_human_tata_promoters(shared_data):
    folder = shared_data / "human_tata_promoters"
    records = load_sequences([f"train:{folder}/hs_TA_data_train.csv.gz",
                              f"valid:{folder}/hs_TA_data_val.csv",
                              f"test:{folder}/hs_TA_data_test.csv"])
    assert split_counts(records) == {
        ("train", "0"): 2479, ("train", "1"): 2479, ("valid", "0"): 200, ("valid", "1"): 200,
        ("test", "0"): 250, ("test", "1"): 250,
    }
    assert set(records.lengths.tolist()) == {300}


def test_signalp6(shared_data):
    path = shared_data / "signalp6" / "train_set.fasta.gz"
    with pytest.raises(FastaFormatError, match=r"layout='three-line'"):
        load_sequences(path)
    records = load_sequences(path, layout="three-line", header_sep="|",
                             header_fields=["id", "kingdom", "type", "partition"],
                             label_field="type", split_field="partition")
    assert len(records) == 20290
    assert counts(records) == {"NO_SP": 15625, "SP": 2582, "LIPO": 1615, "TAT": 365,
                               "PILIN": 70, "TATLIPO": 33}
    assert Counter(records.splits.tolist()) == {"0": 5896, "1": 7392, "2": 7002}
    assert int(records.lengths.max()) == 70
    assert int(records.lengths.min()) == 30
    assert records.ids[0] == "Q8TF40"
    assert records.alphabet.name == "protein"
