"""Unwritable output paths end in a one-line error naming the path, not a traceback."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bioseq.cli import main
from bioseq.models.modelfile import save_model
from bioseq.train.baseline import fit_baseline

from .test_baseline import motif_set
from .test_evaluate_cli import write_csv

TABLE = ["--sequence-column", "sequence", "--id-column", "id", "--label-column", "label"]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inputs")
    model, metadata = fit_baseline(motif_set(100, 2, seed=31), k=3)
    model_path = save_model(folder / "model.safetensors", model, metadata)
    data = write_csv(motif_set(40, 2, seed=32), folder / "data.csv")
    blocker = folder / "blocker.txt"
    blocker.write_text("a file where a folder is expected\n")
    return {"model": model_path, "data": data, "blocker": blocker}


def commands(inputs, out):
    model, data = str(inputs["model"]), str(inputs["data"])
    return {
        "predict": ["predict", model, data, "--sequence-column", "sequence", "--id-column", "id",
                    "--out", f"{out}/p.csv"],
        "evaluate": ["evaluate", model, "--data", data, *TABLE, "--bootstrap", "0",
                     "--out", f"{out}/ev"],
        "train": ["train", "--data", data, *TABLE, "--model", "kmer-logreg", "--out",
                  f"{out}/run"],
        "preprocess": ["preprocess", data, *TABLE, "--out", f"{out}/x.h5"],
        "encode": ["encode", data, *TABLE, "--kind", "kmer", "--k", "2", "--out",
                   f"{out}/x.npz"],
    }


def assert_one_line_error(result, path):
    # Exit code 2 where the command checks the folder while parsing its options.
    assert result.exit_code in (1, 2), result.output
    assert "Traceback" not in result.output
    error_lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1, result.output
    assert str(path) in result.output[result.output.index("Error:"):]


@pytest.mark.parametrize("command", ["predict", "evaluate", "train", "preprocess", "encode"])
def test_file_in_the_way_of_output(inputs, command):
    arguments = commands(inputs, inputs["blocker"])[command]
    result = CliRunner().invoke(main, arguments)
    assert_one_line_error(result, inputs["blocker"])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs Linux's /proc")
@pytest.mark.parametrize("command", ["predict", "evaluate", "train", "preprocess", "encode"])
def test_output_under_proc_rejected(inputs, command):
    arguments = commands(inputs, "/proc")[command]
    result = CliRunner().invoke(main, arguments)
    assert_one_line_error(result, Path("/proc"))
    assert "choose a writable folder" in result.output
