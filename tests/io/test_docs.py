"""The examples in docs/io.md run as written."""

from __future__ import annotations

import doctest
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "io.md"


def test_python_examples(shared_data, tmp_path):
    result = doctest.testfile(
        str(DOC), module_relative=False, globs={"DATA": str(shared_data), "tmp": tmp_path},
        optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS, verbose=False,
    )
    assert result.attempted > 10
    assert result.failed == 0


def shell_examples() -> list[str]:
    return [line[2:] for line in DOC.read_text().splitlines() if line.startswith("$ bioseq ")]


@pytest.mark.parametrize("command", shell_examples())
def test_shell_examples(shared_data, tmp_path, command):
    bioseq = Path(sys.executable).parent / "bioseq"
    arguments = shlex.split(command.replace("$DATA", str(shared_data)))
    done = subprocess.run([str(bioseq), *arguments[1:]], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert done.returncode == 0, done.stderr[-2000:]
    out = arguments[arguments.index("--out") + 1]
    assert (tmp_path / out).is_file()
