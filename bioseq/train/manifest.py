"""The run manifest: what a user needs to trust and reproduce a training run."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import socket
import sys
import time
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import numpy as np

from bioseq.sequences import SequenceSet
from bioseq.train.config import TrainConfig, write_text_atomic

_LIBRARIES = ("torch", "lightning", "numpy", "scikit-learn", "safetensors", "h5py", "pandas")


def sha256_file(path: Path) -> str:
    """Return the SHA-256 hex digest of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def hash_sources(sources: tuple[str, ...] | list[str]) -> list[dict[str, Any]]:
    """Hash every input file; ``CLASS=PATH`` sources keep their class name."""
    entries = []
    for source in sources:
        label, _, path_text = source.rpartition("=") if "=" in source else ("", "", source)
        path = Path(path_text)
        entry: dict[str, Any] = {"path": str(path)}
        if label:
            entry["class"] = label
        if path.is_file():
            entry["sha256"] = sha256_file(path)
            entry["bytes"] = path.stat().st_size
        entries.append(entry)
    return entries


def class_balance(seqset: SequenceSet) -> dict[str, dict[str, int]]:
    """Count records per class in each split (binary and multiclass labels)."""
    if seqset.labels is None or seqset.labels.ndim != 1 or seqset.splits is None:
        return {}
    names = seqset.class_names or []
    balance: dict[str, dict[str, int]] = {}
    for split in ("train", "valid", "test"):
        mask = seqset.splits == split
        if not mask.any():
            continue
        counts = np.bincount(seqset.labels[mask].astype(np.int64), minlength=len(names))
        balance[split] = {
            (names[i] if i < len(names) else str(i)): int(count) for i, count in enumerate(counts)
        }
    return balance


def _versions() -> dict[str, str]:
    from bioseq import __version__

    versions = {"bioseq": __version__, "python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            continue
    return versions


def build_manifest(
    *, config: TrainConfig, plan: Any, seqset: SequenceSet, duplicates: dict[str, Any],
    sources: list[dict[str, Any]], started: float, extra: dict[str, Any],
) -> dict[str, Any]:
    """Collect versions, device, inputs, splits, class balance and duplicates."""
    device: dict[str, Any] = {}
    if plan is not None:
        device = {"accelerator": plan.accelerator, "devices": plan.devices,
                  "num_nodes": plan.num_nodes, "precision": plan.precision,
                  "strategy": plan.strategy, "slurm": plan.under_slurm}
        if plan.accelerator == "gpu":
            import torch

            device["gpu_names"] = [torch.cuda.get_device_name(i)
                                   for i in range(torch.cuda.device_count())]
    splits = {name: int(np.sum(seqset.splits == name)) for name in ("train", "valid", "test")}
    return {
        "versions": _versions(),
        "host": socket.gethostname(),
        "command": sys.argv,
        "slurm_job_id": os.environ.get("SLURM_JOB_ID"),
        "device": device,
        "inputs": sources,
        "n_records": len(seqset),
        "task": seqset.task,
        "class_names": list(seqset.class_names or []),
        "alphabet": seqset.alphabet.name,
        "transforms": dict(seqset.transforms),
        "split_sizes": splits,
        "class_balance": class_balance(seqset),
        "duplicates": duplicates,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "seconds": round(time.time() - started, 2),
        **extra,
    }


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` as indented JSON, atomically; NaN becomes null."""
    write_text_atomic(Path(path), json.dumps(_clean(data), indent=2) + "\n")


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value
