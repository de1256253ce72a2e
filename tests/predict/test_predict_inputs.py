"""bioseq predict and evaluate: input alphabet checks and the shared data options."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from bioseq.cli import main
from bioseq.errors import SequenceError
from bioseq.models.modelfile import save_model
from bioseq.predict import predict_sequences
from bioseq.sequences import SequenceSet
from bioseq.train.baseline import fit_baseline

AMINO_ACIDS = list("ACDEFGHIKLMNPQRSTVWY")


def random_strings(letters, n, length, seed):
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(letters, length)) for _ in range(n)]


def write_fasta(path, sequences):
    path.write_text("".join(f">r{i}\n{s}\n" for i, s in enumerate(sequences)))
    return path


@pytest.fixture(scope="module")
def protein_model(tmp_path_factory):
    sequences = random_strings(AMINO_ACIDS, 60, 30, seed=1)
    labels = np.arange(60) % 2
    train = SequenceSet.from_strings(sequences, alphabet="protein", labels=labels,
                                     class_names=["DECOY", "AMP"], task="binary")
    model, metadata = fit_baseline(train, k=1)
    return save_model(tmp_path_factory.mktemp("protein") / "model.safetensors", model, metadata)


@pytest.fixture(scope="module")
def dna_model(tmp_path_factory):
    sequences = random_strings(list("ACGT"), 60, 30, seed=2)
    train = SequenceSet.from_strings(sequences, labels=np.arange(60) % 2,
                                     class_names=["neg", "pos"], task="binary")
    model, metadata = fit_baseline(train, k=2)
    return save_model(tmp_path_factory.mktemp("dna") / "model.safetensors", model, metadata)


def test_protein_model_rejects_dna_fasta(protein_model, tmp_path):
    fasta = write_fasta(tmp_path / "genes.fa", random_strings(list("ACGT"), 5, 40, seed=3))
    out = tmp_path / "p.csv"
    result = CliRunner().invoke(main, ["predict", str(protein_model), str(fasta),
                                       "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "genes.fa" in result.output
    assert "reads protein" in result.output
    assert "look like dna" in result.output
    assert "--no-alphabet-check" in result.output
    assert not out.exists()


def test_no_alphabet_check_scores_dna_fasta(protein_model, tmp_path):
    fasta = write_fasta(tmp_path / "genes.fa", random_strings(list("ACGT"), 5, 40, seed=3))
    out = tmp_path / "p.csv"
    result = CliRunner().invoke(main, ["predict", str(protein_model), str(fasta),
                                       "--out", str(out), "--no-alphabet-check"])
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out)) == 5


def test_protein_model_scores_protein_fasta(protein_model, tmp_path):
    fasta = write_fasta(tmp_path / "peptides.fa", random_strings(AMINO_ACIDS, 5, 25, seed=4))
    assert predict_sequences(protein_model, fasta, tmp_path / "p.csv") == 5


def test_predict_api_rejects_rna_for_protein_model(protein_model, tmp_path):
    fasta = write_fasta(tmp_path / "rna.fa", random_strings(list("ACGU"), 4, 40, seed=5))
    with pytest.raises(SequenceError, match="look like rna"):
        predict_sequences(protein_model, fasta, tmp_path / "p.csv")


def test_dna_model_protein_input_names_model(dna_model, tmp_path):
    fasta = write_fasta(tmp_path / "peptides.fa", random_strings(AMINO_ACIDS, 3, 25, seed=6))
    result = CliRunner().invoke(main, ["predict", str(dna_model), str(fasta),
                                       "--out", str(tmp_path / "p.csv")])
    assert result.exit_code == 1, result.output
    assert "invalid dna character" in result.output
    assert f"the model {dna_model} reads dna only" in result.output


def labelled_csv(path, sequences, labels):
    pd.DataFrame({"id": [f"t{i}" for i in range(len(sequences))], "sequence": sequences,
                  "label": labels}).to_csv(path, index=False)
    return path


def test_evaluate_protein_model_rejects_dna(protein_model, tmp_path):
    data = labelled_csv(tmp_path / "genes.csv", random_strings(list("ACGT"), 6, 40, seed=7),
                        ["AMP", "DECOY"] * 3)
    result = CliRunner().invoke(main, ["evaluate", str(protein_model), "--data", str(data),
                                       "--out", str(tmp_path / "ev"), "--bootstrap", "0"])
    assert result.exit_code == 1, result.output
    assert "genes.csv" in result.output
    assert "--no-alphabet-check" in result.output
    assert not (tmp_path / "ev" / "metrics.json").exists()


def test_evaluate_positive_class_flips_scores(protein_model, tmp_path):
    sequences = random_strings(AMINO_ACIDS, 40, 30, seed=8)
    data = labelled_csv(tmp_path / "test.csv", sequences, ["AMP", "DECOY"] * 20)
    metrics = {}
    for positive in ("AMP", "DECOY"):
        out = tmp_path / positive
        result = CliRunner().invoke(main, ["evaluate", str(protein_model), "--data", str(data),
                                           "--out", str(out), "--bootstrap", "0",
                                           "--positive-class", positive])
        assert result.exit_code == 0, result.output
        metrics[positive] = json.loads((out / "metrics.json").read_text())
    assert metrics["AMP"]["positive_class"] == "AMP"
    assert metrics["DECOY"]["positive_class"] == "DECOY"
    assert metrics["DECOY"]["model"]["positive_class"] == "AMP"
    # AUROC of P(DECOY) against DECOY labels equals that of P(AMP) against AMP labels.
    assert metrics["DECOY"]["overall"]["auroc"]["value"] == pytest.approx(
        metrics["AMP"]["overall"]["auroc"]["value"])
    assert "model's positive class is AMP" in (tmp_path / "DECOY" / "report.html").read_text()


def test_evaluate_unknown_positive_class_rejected(protein_model, tmp_path):
    data = labelled_csv(tmp_path / "test.csv", random_strings(AMINO_ACIDS, 6, 30, seed=9),
                        ["AMP", "DECOY"] * 3)
    result = CliRunner().invoke(main, ["evaluate", str(protein_model), "--data", str(data),
                                       "--out", str(tmp_path / "ev"), "--positive-class", "X"])
    assert result.exit_code == 1, result.output
    assert "invalid positive class 'X'" in result.output
    assert "['DECOY', 'AMP']" in result.output


def test_predict_help_lists_every_suggested_option():
    result = CliRunner().invoke(main, ["predict", "--help"])
    assert result.exit_code == 0
    for option in ("--fasta-layout", "--id-rule", "--duplicates", "--alphabet",
                   "--sequence-column", "--id-column", "--chunk-size"):
        assert option in result.output, option
    assert "[auto|fasta|table|csv|tsv|store]" in result.output


def test_predict_duplicate_ids_option(dna_model, tmp_path):
    fasta = tmp_path / "dups.fa"
    fasta.write_text(">a\nACGTACGTAC\n>a\nGGGTTTACGA\n")
    out = tmp_path / "p.csv"
    failed = CliRunner().invoke(main, ["predict", str(dna_model), str(fasta), "--out", str(out)])
    assert failed.exit_code == 1, failed.output
    assert "--duplicates" in failed.output
    renamed = CliRunner().invoke(main, ["predict", str(dna_model), str(fasta), "--out", str(out),
                                        "--duplicates", "rename"])
    assert renamed.exit_code == 0, renamed.output
    assert len(pd.read_csv(out)) == 2


def test_predict_three_line_fasta(dna_model, tmp_path):
    fasta = tmp_path / "three.fa"
    fasta.write_text(">a\nACGTACGTAC\nxxxxxxxxxx\n>b\nGGGTTTACGA\nyyyyyyyyyy\n")
    out = tmp_path / "p.csv"
    result = CliRunner().invoke(main, ["predict", str(dna_model), str(fasta), "--out", str(out),
                                       "--fasta-layout", "three-line"])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out)["id"].tolist() == ["a", "b"]


def test_predict_rejects_label_options(dna_model, tmp_path):
    fasta = write_fasta(tmp_path / "in.fa", ["ACGTACGTAC"])
    result = CliRunner().invoke(main, ["predict", str(dna_model), str(fasta), "--out",
                                       str(tmp_path / "p.csv"), "--label-column", "label"])
    assert result.exit_code == 2
    assert "--label-column" in result.output
