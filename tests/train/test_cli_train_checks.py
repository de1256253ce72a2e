"""bioseq train: model parameter types, inferred lengths, default lr, positional signals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import yaml
from helpers import run_bioseq, write_motif_csv

CPU = ["--accelerator", "cpu", "--devices", "1"]
MOTIF = "TATAAT"


def write_positional_csv(path: Path, n: int = 400, length: int = 60, seed: int = 0) -> Path:
    """Write DNA where every record carries MOTIF and its offset (15 or 40) is the label.

    Both offsets are more than a 15-wide kernel away from the ends, so a model
    that pools over positions cannot tell the classes apart.
    """
    rng = np.random.default_rng(seed)
    rows = ["id,sequence,label"]
    for index in range(n):
        label = index % 2
        text = "".join(rng.choice(list("ACGT"), length))
        start = 15 if label else 40
        text = text[:start] + MOTIF + text[start + len(MOTIF):]
        rows.append(f"r{index},{text},{'early' if label else 'late'}")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_param_wrong_type_rejected(tmp_path: Path) -> None:
    data = write_motif_csv(tmp_path / "motif.csv", n=40)
    result = run_bioseq(["train", "--data", str(data), "--label-column", "label", *CPU,
                         "--param", "dropout=abc", "--out", str(tmp_path / "run")], timeout=120)
    assert result.returncode == 1
    assert "invalid value 'abc' for parameter 'dropout' of model 'cnn'" in result.stderr
    assert "expected a number" in result.stderr
    assert "allowed keys: n_outputs, in_channels, conv_layers" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_longer_valid_record_names_train_flags(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    rows = ["id,sequence,label,split"]
    for index in range(60):
        split = "train"
        if index >= 50:
            split = "test"
        elif index >= 40:
            split = "valid"
        length = 55 if index == 45 else 40
        rows.append(f"r{index},{''.join(rng.choice(list('ACG'), length))},{index % 2},{split}")
    data = tmp_path / "lengths.csv"
    data.write_text("\n".join(rows) + "\n")
    arguments = ["-q", "train", "--data", str(data), "--label-column", "label",
                 "--split-column", "split", "--epochs", "1", *CPU]
    result = run_bioseq([*arguments, "--out", str(tmp_path / "run")], timeout=300)
    assert result.returncode == 1
    assert "valid record 'r45' is 55 residues long" in result.stderr
    assert "input length 40 inferred from the longest training sequence" in result.stderr
    assert "--max-len 55" in result.stderr
    assert "--truncate" in result.stderr
    assert "--tile" not in result.stderr
    fixed = run_bioseq([*arguments, "--max-len", "55", "--out", str(tmp_path / "fixed")],
                       timeout=300)
    assert fixed.returncode == 0, fixed.stderr


def test_default_lr_learns_motif(tmp_path: Path) -> None:
    data = write_motif_csv(tmp_path / "motif.csv", n=400)
    out = tmp_path / "run"
    result = run_bioseq(["-q", "train", "--data", str(data), "--label-column", "label",
                         "--epochs", "3", "--batch-size", "32", *CPU, "--out", str(out)],
                        timeout=300)
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load((out / "config.yaml").read_text())
    assert config["model"]["name"] == "cnn"
    assert config["optimizer"]["lr"] == 0.01
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["test_metrics"]["accuracy"] >= 0.8


def _test_accuracy(tmp_path: Path, data: Path, model: str) -> float:
    out = tmp_path / model
    result = run_bioseq(["-q", "train", "--data", str(data), "--label-column", "label",
                         "--model", model, "--epochs", "6", "--batch-size", "32", *CPU,
                         "--out", str(out)], timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads((out / "manifest.json").read_text())["test_metrics"]["accuracy"]


def test_positional_preset_learns_offset(tmp_path: Path) -> None:
    data = write_positional_csv(tmp_path / "positional.csv")
    assert _test_accuracy(tmp_path, data, "cnn-positional") >= 0.9
    assert _test_accuracy(tmp_path, data, "cnn") <= 0.75
