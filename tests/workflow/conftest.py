"""Fixtures of the workflow tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import make_project


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder with simulated data and the tiny config."""
    make_project(tmp_path)
    return tmp_path
