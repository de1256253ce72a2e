"""The examples on docs/index.md run as shown."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "index.md"
BIOSEQ = Path(sys.executable).with_name("bioseq")


def test_quiet_examples_run_silently(tmp_path: Path) -> None:
    commands = re.findall(r"^\$ (bioseq .+)$", DOC.read_text(), flags=re.MULTILINE)
    assert len(commands) == 2
    for command in commands:
        result = subprocess.run([str(BIOSEQ), *shlex.split(command)[1:]], cwd=tmp_path,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"{command}\n{result.stderr}"
        assert result.stderr == "", command
    assert (tmp_path / "quiet" / "train.csv").is_file()
