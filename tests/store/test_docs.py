"""The examples in docs/store.md run as shown."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "store.md"
BIOSEQ = Path(sys.executable).with_name("bioseq")


def documented_commands() -> list[str]:
    return re.findall(r"^\$ (bioseq .+)$", DOC.read_text(), flags=re.MULTILINE)


def python_example() -> str:
    return re.search(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL).group(1)


@pytest.mark.slow
def test_documented_example_runs(tmp_path, monkeypatch):
    commands = documented_commands()
    assert len(commands) >= 4
    for command in commands:
        result = subprocess.run([str(BIOSEQ), *shlex.split(command)[1:]], cwd=tmp_path,
                                capture_output=True, text=True)
        assert result.returncode == 0, f"{command}\n{result.stderr}"
    assert (tmp_path / "sim.h5").is_file()

    monkeypatch.chdir(tmp_path)
    exec(compile(python_example(), str(DOC), "exec"), {})
    assert (tmp_path / "enc.h5").is_file()


def test_every_option_documented():
    from bioseq.cli.inspect import inspect
    from bioseq.cli.preprocess import preprocess
    from bioseq.cli.validate import validate

    text = DOC.read_text()
    data_option_names = {"data", "data_format", "alphabet"}
    for command in (preprocess, inspect, validate):
        for parameter in command.params:
            if parameter.name in data_option_names or not parameter.opts[0].startswith("--"):
                continue
            if command is preprocess and parameter.name not in {
                "out", "overwrite", "compression_level", "chunk_records"
            }:
                continue  # the shared data options are documented with --data
            assert f"`{parameter.opts[0]}" in text, parameter.opts[0]


def test_layout_snippets_read_a_store(tmp_path):
    import zlib  # noqa: F401  (the snippets call it)

    import h5py

    from bioseq.io.store import open_store, write_store
    from bioseq.sequences import SequenceSet

    ids = ["a1", "β2", "c3"]
    path = tmp_path / "s.h5"
    write_store(path, [SequenceSet.from_strings(["ACGT", "GG", "T"], ids=ids)])
    text = DOC.read_text()
    layout = text[text.index("## Store layout"):]
    snippets = re.findall(r"`((?:zlib\.crc32\(f|f\[\"id_text\"\])[^`]+)`", layout)
    assert len(snippets) == 3, snippets
    with open_store(path) as store:
        recorded = store.checksums
    with h5py.File(path, "r") as f:
        results = [eval(snippet, {"f": f, "zlib": zlib}) for snippet in snippets]
    assert results[0] == recorded["id_text"]
    assert results[1] == recorded["codes"]
    assert results[2] == ids
