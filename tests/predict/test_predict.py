"""bioseq predict: one row per record, streaming, atomic output, length checks."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from bioseq.cli import main
from bioseq.errors import SequenceError
from bioseq.models.modelfile import save_model
from bioseq.models.registry import get_model
from bioseq.predict import Predictor, predict_sequences, reverse_complement_set
from bioseq.sequences import SequenceSet


def write_fasta(path, sequences, ids=None):
    ids = ids or [f"r{i}" for i in range(len(sequences))]
    path.write_text("".join(f">{i}\n{s}\n" for i, s in zip(ids, sequences, strict=True)))
    return path


def random_dna(n, length, seed):
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(list("ACGT"), length)) for _ in range(n)]


@pytest.fixture(scope="module")
def cnn_file(tmp_path_factory):
    """An untrained small CNN with a fixed input length of 20 bases."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = get_model("deepbind", n_outputs=3).eval()
    metadata = {"task": "multiclass", "class_names": ["a", "b", "c"], "alphabet": "dna",
                "input": {"kind": "onehot", "alphabet": "dna", "length": 20},
                "training": {"device": "cuda:0"}}
    return save_model(tmp_path_factory.mktemp("cnn") / "model.safetensors", model, metadata)


def test_predict_cli_one_row_per_record(cnn_file, tmp_path):
    sequences = random_dna(7, 20, seed=1)
    fasta = write_fasta(tmp_path / "in.fa", sequences)
    out = tmp_path / "preds.csv"
    result = CliRunner().invoke(main, ["predict", str(cnn_file), str(fasta), "--out", str(out),
                                       "--chunk-size", "3", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert list(table.columns) == ["id", "prob_a", "prob_b", "prob_c", "predicted_label"]
    assert table["id"].tolist() == [f"r{i}" for i in range(7)]
    expected = Predictor.load(cnn_file).score(SequenceSet.from_strings(sequences))
    np.testing.assert_allclose(table[["prob_a", "prob_b", "prob_c"]].to_numpy(), expected,
                               rtol=1e-5)
    assert table["predicted_label"].tolist() == list(np.array(["a", "b", "c"])[
        expected.argmax(axis=1)])


def test_predict_csv_input(cnn_file, tmp_path):
    sequences = random_dna(4, 20, seed=2)
    source = tmp_path / "in.csv"
    pd.DataFrame({"name": ["w", "x", "y", "z"], "sequence": sequences}).to_csv(source, index=False)
    n = predict_sequences(cnn_file, source, tmp_path / "preds.csv",
                          read_options={"id_column": "name", "sequence_column": "sequence"})
    assert n == 4
    assert pd.read_csv(tmp_path / "preds.csv")["id"].tolist() == ["w", "x", "y", "z"]


def test_too_long_record_names_truncate_option(cnn_file, tmp_path):
    fasta = write_fasta(tmp_path / "in.fa", ["A" * 20, "C" * 25], ids=["ok", "long1"])
    out = tmp_path / "preds.csv"
    result = CliRunner().invoke(main, ["predict", str(cnn_file), str(fasta), "--out", str(out)])
    assert result.exit_code == 1
    assert "long1" in result.output
    assert "25" in result.output
    assert "20" in result.output
    assert "--truncate" in result.output
    assert not out.exists()
    truncated = CliRunner().invoke(main, ["predict", str(cnn_file), str(fasta), "--out", str(out),
                                          "--truncate", "right"])
    assert truncated.exit_code == 0, truncated.output
    assert len(pd.read_csv(out)) == 2


def test_failed_run_leaves_no_partial_output(cnn_file, tmp_path):
    # The third chunk contains a record that is too short, after two chunks were written.
    sequences = random_dna(6, 20, seed=3) + ["ACGT"]
    fasta = write_fasta(tmp_path / "in.fa", sequences)
    out = tmp_path / "preds.csv"
    with pytest.raises(SequenceError, match="--pad"):
        predict_sequences(cnn_file, fasta, out, chunk_size=3)
    assert not out.exists()
    assert list(tmp_path.glob("*.tmp")) == []
    assert list(tmp_path.glob(".preds.csv*")) == []


def test_reverse_complement_averaging(cnn_file, tmp_path):
    sequences = random_dna(5, 20, seed=4)
    fasta = write_fasta(tmp_path / "in.fa", sequences)
    out = tmp_path / "preds.csv"
    predict_sequences(cnn_file, fasta, out, reverse_complement=True)
    predictor = Predictor.load(cnn_file)
    forward = predictor.score(SequenceSet.from_strings(sequences))
    complement = str.maketrans("ACGT", "TGCA")
    reverse = predictor.score(SequenceSet.from_strings(
        [s.translate(complement)[::-1] for s in sequences]))
    table = pd.read_csv(out)
    np.testing.assert_allclose(table[["prob_a", "prob_b", "prob_c"]].to_numpy(),
                               (forward + reverse) / 2, rtol=1e-5)


def test_reverse_complement_set_keeps_order():
    seqs = SequenceSet.from_strings(["AACG", "T", "GGCAT"], ids=["x", "y", "z"])
    flipped = reverse_complement_set(seqs)
    assert flipped.ids.tolist() == ["x", "y", "z"]
    assert [flipped.sequence(i) for i in range(3)] == ["CGTT", "A", "ATGCC"]


def test_gpu_trained_model_loads_on_cpu_and_logs(cnn_file, caplog):
    # The metadata records training on cuda:0; the weights are plain safetensors.
    with caplog.at_level(logging.INFO, logger="bioseq.predict"):
        predictor = Predictor.load(cnn_file, device="cpu")
    assert predictor.device.type == "cpu"
    assert all(p.device.type == "cpu" for p in predictor.model.parameters())
    assert "trained on cuda:0; its weights were mapped to the CPU" in caplog.text


def test_cuda_request_without_gpu_fails_fast(cnn_file, tmp_path):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is visible")
    fasta = write_fasta(tmp_path / "in.fa", random_dna(2, 20, seed=5))
    result = CliRunner().invoke(main, ["predict", str(cnn_file), str(fasta), "--out",
                                       str(tmp_path / "p.csv"), "--device", "cuda"])
    assert result.exit_code == 1
    assert "no CUDA device visible" in result.output


def test_padded_batches_match_single_records(tmp_path):
    # A variable-length model: batches of mixed lengths are padded and masked,
    # and each record must score as it does alone.
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    model = get_model("deepbind", n_outputs=1).eval()
    path = save_model(tmp_path / "model.safetensors", model, {
        "task": "binary", "class_names": ["neg", "pos"], "alphabet": "dna",
        "input": {"kind": "onehot", "alphabet": "dna"}})
    predictor = Predictor.load(path)
    sequences = random_dna(3, 30, seed=6) + random_dna(2, 18, seed=7)
    together = predictor.score(SequenceSet.from_strings(sequences), batch_size=5)
    alone = np.vstack([predictor.score(SequenceSet.from_strings([s])) for s in sequences])
    np.testing.assert_allclose(together, alone, rtol=1e-5, atol=1e-6)


def test_rc_average_model_default(tmp_path):
    # A model trained with rc_average scores with reverse-complement averaging
    # unless --no-reverse-complement is given.
    torch = pytest.importorskip("torch")
    torch.manual_seed(3)
    model = get_model("deepbind", n_outputs=1).eval()
    path = save_model(tmp_path / "model.safetensors", model, {
        "task": "binary", "class_names": ["neg", "pos"], "alphabet": "dna",
        "input": {"kind": "onehot", "alphabet": "dna", "length": 20},
        "training": {"rc_average": True}})
    fasta = write_fasta(tmp_path / "in.fa", random_dna(4, 20, seed=8))
    runner = CliRunner()
    tables = {}
    for name, flags in (("default", []), ("on", ["--reverse-complement"]),
                        ("off", ["--no-reverse-complement"])):
        out = tmp_path / f"{name}.csv"
        result = runner.invoke(main, ["predict", str(path), str(fasta), "--out", str(out), *flags])
        assert result.exit_code == 0, result.output
        tables[name] = pd.read_csv(out)["prob_pos"].to_numpy()
    np.testing.assert_allclose(tables["default"], tables["on"])
    assert not np.allclose(tables["default"], tables["off"])


def test_gpu_run_manifest_logged_on_cpu(cnn_file, tmp_path, caplog):
    # A run folder whose manifest records a GPU run; the model file says nothing.
    import json
    import shutil

    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(cnn_file, run / "model.safetensors")
    (run / "manifest.json").write_text(json.dumps({"device": {"accelerator": "gpu"}}))
    from bioseq.models.modelfile import load_model

    model, metadata = load_model(run / "model.safetensors")
    metadata.pop("training")
    save_model(run / "model.safetensors", model, metadata)
    with caplog.at_level(logging.INFO, logger="bioseq.predict"):
        predictor = Predictor.load(run)
    assert predictor.device.type == "cpu"
    assert "trained on cuda; its weights were mapped to the CPU" in caplog.text


def test_unknown_training_device_not_logged(cnn_file, tmp_path, caplog):
    # A lone model file without training.device and without a run manifest beside it.
    from bioseq.models.modelfile import load_model

    model, metadata = load_model(cnn_file)
    metadata.pop("training")
    path = save_model(tmp_path / "model.safetensors", model, metadata)
    with caplog.at_level(logging.INFO, logger="bioseq.predict"):
        Predictor.load(path)
    assert f"loaded {path}" in caplog.text
    assert "trained on" not in caplog.text
    assert "trained on unknown" not in caplog.text
