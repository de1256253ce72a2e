"""Shared fixtures: the real data sets beside the checkout and device checks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def shared_data_dir() -> Path:
    """Return the folder of real data sets (``BIOSEQ_SHARED_DATA`` or ``../shared/data``)."""
    return Path(os.environ.get("BIOSEQ_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to the real public data sets; skips the test when they are absent."""
    folder = shared_data_dir()
    if not folder.is_dir():
        pytest.skip(f"real data sets not found at {folder} (set BIOSEQ_SHARED_DATA)")
    return folder


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except ImportError:
        has_cuda = False
    skip_gpu = pytest.mark.skip(reason="no CUDA device visible")
    for item in items:
        if "gpu" in item.keywords and not has_cuda:
            item.add_marker(skip_gpu)
