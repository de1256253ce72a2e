"""Run the README's command-line walkthrough as a new user would."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
BIOSEQ = str(Path(sys.executable).with_name("bioseq"))


def readme_commands() -> list[list[str]]:
    """Return the commands of the README's "First commands" block, continuation lines joined."""
    text = (REPO_ROOT / "README.md").read_text()
    section = text.split("## First commands", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    joined = block.replace("\\\n", " ")
    return [shlex.split(line) for line in joined.splitlines() if line.strip()]


@pytest.mark.slow
def test_readme_walkthrough_learns(tmp_path):
    commands = readme_commands()
    assert [command[1] for command in commands] == ["simulate", "train", "evaluate", "predict"]
    for command in commands:
        command[0] = BIOSEQ
        result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
        assert result.returncode == 0, f"{shlex.join(command)} failed:\n{result.stderr[-2000:]}"
    metrics = json.loads((tmp_path / "runs/cnn/eval/metrics.json").read_text())
    assert metrics["overall"]["auroc"]["value"] > 0.9
    assert (tmp_path / "runs/cnn/eval/report.html").stat().st_size > 10_000
    predictions = (tmp_path / "preds.csv").read_text().splitlines()
    assert predictions[0].startswith("id,")
    assert len(predictions) == 1 + 100
