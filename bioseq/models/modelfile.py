"""The bioseq model file: safetensors weights plus JSON metadata.

A model file is a standard safetensors file. Its header's ``__metadata__``
contains one key, ``"bioseq"``, whose value is a JSON object:

``format``
    ``"bioseq-model"``.
``format_version``
    ``1``; files with another version are rejected with advice.
``bioseq_version``
    Version of bioseq that wrote the file.
``model``
    ``{"name": registry name, "params": model.config}``, enough to rebuild
    the module with :func:`bioseq.models.registry.get_model`.
others
    Whatever the caller passed: by convention ``task``, ``class_names``,
    ``positive_class``, ``alphabet``, ``input`` (the encoding spec) and
    ``training`` (a summary).

Loading never unpickles anything. Tensors are written from CPU copies and
read onto the CPU, then moved to the requested device, so a model trained on
a GPU loads on a machine without one.

Examples
--------
>>> import tempfile, torch
>>> from bioseq.models.registry import get_model
>>> model = get_model("deepbind", n_outputs=1).eval()
>>> path = Path(tempfile.mkdtemp()) / "model.safetensors"
>>> _ = save_model(path, model, {"task": "binary", "class_names": ["neg", "pos"]})
>>> loaded, metadata = load_model(path)
>>> metadata["model"]["name"], metadata["class_names"]
('deepbind', ['neg', 'pos'])
"""

from __future__ import annotations

import json
import logging
import math
import os
import pickle
import re
import struct
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors_bytes
from safetensors.torch import save as save_safetensors_bytes
from torch import nn

from bioseq import __version__
from bioseq._files import atomic_write_bytes
from bioseq.errors import BioseqError, ModelFileError

logger = logging.getLogger(__name__)

FORMAT_NAME = "bioseq-model"
FORMAT_VERSION = 1
METADATA_KEY = "bioseq"
# The safetensors header is at most 100 MB by that format's own limit.
_MAX_HEADER_BYTES = 100_000_000
_ZIP_MAGIC = b"PK\x03\x04"
_PICKLE_PROTOCOL_BYTE = b"\x80"


def save_model(path: str | os.PathLike[str], model: nn.Module, metadata: dict[str, Any]) -> Path:
    """Write ``model``'s weights and ``metadata`` to a safetensors file atomically.

    The file is written to a temporary name in the same folder and renamed,
    so an interrupted save leaves the old file or none.

    Parameters
    ----------
    path : path-like
        Output file, conventionally ``model.safetensors``.
    model : torch.nn.Module
        A model from :func:`~bioseq.models.registry.get_model` (it needs
        ``config`` and ``model_name``).
    metadata : dict
        JSON-able metadata (task, class names, alphabet, input spec,
        training summary). The keys ``format``, ``format_version``,
        ``bioseq_version`` and ``model`` are set by this function.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ModelFileError
        If the model lacks ``config``/``model_name`` or the metadata is not JSON-able.
    """
    path = Path(path)
    if not hasattr(model, "config") or not hasattr(model, "model_name"):
        raise ModelFileError(
            f"cannot save {type(model).__name__} to {path}: it has no config/model_name; "
            "build models with bioseq.models.registry.get_model"
        )
    record = {
        **_without_nan(metadata),
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "bioseq_version": __version__,
        "model": {"name": model.model_name, "params": model.config},
    }
    try:
        header_text = json.dumps(record, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ModelFileError(
            f"cannot save {path}: metadata is not JSON-able ({error}); convert numpy values "
            "and paths to plain numbers and strings"
        ) from error
    # Clones give every tensor its own storage, which safetensors requires.
    tensors = {name: value.detach().to("cpu").clone().contiguous()
               for name, value in model.state_dict().items()}
    payload = save_safetensors_bytes(tensors, metadata={METADATA_KEY: header_text})
    write_atomically(path, payload)
    logger.info("saved model %s (%s) to %s", model.model_name, type(model).__name__, path)
    return path


def _without_nan(value: Any) -> Any:
    """Replace NaN and infinite floats by None, inside dicts, lists and tuples.

    An undefined metric (AUROC of a one-class validation split, say) is NaN in
    the training log. JSON has no NaN, so the model file records it as null.
    """
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _without_nan(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_without_nan(item) for item in value]
    return value


def write_atomically(path: Path, payload: bytes) -> None:
    """Write ``payload`` to a temporary file beside ``path``, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, payload, fsync=True)


def read_model_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and validate the bioseq metadata of a model file without its weights.

    Parameters
    ----------
    path : path-like
        A file written by :func:`save_model`.

    Returns
    -------
    dict
        The metadata described in the module docstring.

    Raises
    ------
    ModelFileError
        If the file is missing, a pickle checkpoint, not safetensors,
        truncated, lacks bioseq metadata, or has an unsupported format version.
    """
    path = Path(path)
    with _open_model_file(path) as handle:
        head = handle.read(8)
        try:
            header = _read_header(path, handle, head)
        except ModelFileError:
            # A safetensors size prefix can start with these bytes too, so the
            # pickle check runs only once the file failed to parse as safetensors.
            _reject_pickles(path, head)
            raise
    return _validate_metadata(path, header)


def load_model(path: str | os.PathLike[str], device: str | torch.device = "cpu") -> tuple[
    nn.Module, dict[str, Any]
]:
    """Rebuild a model from a model file, without unpickling anything.

    Parameters
    ----------
    path : path-like
        A file written by :func:`save_model`.
    device : str or torch.device, default="cpu"
        Where to put the model. Tensors are read onto the CPU first, so files
        saved from GPU models load on CPU-only machines.

    Returns
    -------
    model : torch.nn.Module
        The model in eval mode on ``device``.
    metadata : dict
        The file's metadata.

    Raises
    ------
    ModelFileError
        If the file is missing, foreign, truncated or corrupt, has an
        unsupported format version, or its weights do not fit its model.
    """
    from bioseq.models.registry import get_model

    path = Path(path)
    metadata = read_model_metadata(path)
    try:
        tensors = load_safetensors_bytes(path.read_bytes())
    except SafetensorError as error:
        raise ModelFileError(
            f"{path}: the weights are truncated or corrupt ({error}); copy the file again "
            "or retrain"
        ) from error
    name = metadata["model"]["name"]
    params = metadata["model"]["params"]
    try:
        model = get_model(name, **params)
    except (BioseqError, TypeError, ValueError) as error:
        raise ModelFileError(
            f"{path}: cannot rebuild model {name!r} from its stored parameters ({error}); "
            f"the file was written by bioseq {metadata.get('bioseq_version')}, so load it "
            "with that version"
        ) from error
    try:
        model.load_state_dict(tensors, strict=True)
    except RuntimeError as error:
        first_line = str(error).strip().splitlines()[0]
        raise ModelFileError(
            f"{path}: the stored weights do not fit model {name!r} ({first_line}); the file "
            "is corrupt or was edited"
        ) from error
    model.eval()
    return model.to(device), metadata


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a PyTorch or Lightning checkpoint with ``torch.load(weights_only=True)``.

    Only tensors and plain containers, numbers and strings are allowed, so
    a checkpoint that stores Python objects (an ``argparse.Namespace``, a
    config class, a crafted pickle) is rejected before any of its code runs.

    Parameters
    ----------
    path : path-like
        Checkpoint file, such as ``checkpoints/last.ckpt``.

    Returns
    -------
    dict
        The checkpoint's contents, on the CPU.

    Raises
    ------
    ModelFileError
        If the file is missing or needs full unpickling.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"checkpoint not found: {path}")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, AttributeError, ValueError) as error:
        raise ModelFileError(
            f"{path}: checkpoint rejected because it is not a plain-tensor checkpoint "
            f"({_unpickling_detail(error)}). bioseq loads checkpoints with weights_only=True, since full "
            "unpickling can run arbitrary code. If you trust the file, re-save it with only "
            "tensors and plain values (for example its state_dict), or use the run's "
            "model.safetensors"
        ) from error


def _unpickling_detail(error: BaseException) -> str:
    """Pick the informative line out of torch's long weights-only error."""
    text = str(error)
    found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", text)
    if found:
        return f"it stores the Python object type {found.group(1)}"
    found = re.search(r"WeightsUnpickler error:\s*([^\n]+)", text)
    if found:
        return f"the weights-only unpickler reported: {found.group(1).strip()}"
    return f"{type(error).__name__} while reading it with weights_only=True"


def _open_model_file(path: Path):  # type: ignore[no-untyped-def]
    if not path.is_file():
        raise ModelFileError(f"model file not found: {path}")
    return path.open("rb")


def _reject_pickles(path: Path, head: bytes) -> None:
    if head.startswith(_ZIP_MAGIC) or head.startswith(_PICKLE_PROTOCOL_BYTE):
        raise ModelFileError(
            f"{path} is a pickled PyTorch checkpoint (for example a Lightning .ckpt), not a "
            "bioseq model file. bioseq never unpickles model files because unpickling can run "
            "arbitrary code; pass the model.safetensors from the run directory instead"
        )


def _read_header(path: Path, handle: Any, head: bytes) -> dict[str, Any]:
    if len(head) < 8:
        raise ModelFileError(
            f"{path} is not a bioseq model file: it is {len(head)} bytes long, shorter than a "
            "safetensors header (truncated or empty)"
        )
    (header_size,) = struct.unpack("<Q", head)
    if header_size > _MAX_HEADER_BYTES:
        raise ModelFileError(
            f"{path} is not a bioseq model file: its first 8 bytes do not give a plausible "
            "safetensors header size; it is another format or corrupt"
        )
    raw = handle.read(header_size)
    if len(raw) < header_size:
        raise ModelFileError(
            f"{path} is truncated: the safetensors header needs {header_size} bytes but only "
            f"{len(raw)} follow; copy the file again or retrain"
        )
    try:
        header = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelFileError(
            f"{path} is not a bioseq model file: its header is not valid JSON ({error}); it "
            "is another format or corrupt"
        ) from error
    if not isinstance(header, dict):
        raise ModelFileError(f"{path} is not a bioseq model file: its header is not a JSON object")
    return header


def _validate_metadata(path: Path, header: dict[str, Any]) -> dict[str, Any]:
    text = (header.get("__metadata__") or {}).get(METADATA_KEY)
    if text is None:
        raise ModelFileError(
            f"{path} is a safetensors file without bioseq metadata (written by another tool); "
            "bioseq can only load model files written by bioseq train or save_model"
        )
    try:
        metadata = json.loads(text)
    except json.JSONDecodeError as error:
        raise ModelFileError(f"{path}: the bioseq metadata is not valid JSON ({error})") from error
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT_NAME:
        found = metadata.get("format") if isinstance(metadata, dict) else None
        raise ModelFileError(
            f"{path}: metadata format is {found!r}, expected {FORMAT_NAME!r}; this is not a "
            "bioseq model file"
        )
    version = metadata.get("format_version")
    if version != FORMAT_VERSION:
        writer = metadata.get("bioseq_version", "unknown")
        if isinstance(version, int) and version > FORMAT_VERSION:
            advice = f"upgrade bioseq to {writer} or later"
        else:
            advice = f"load it with bioseq {writer} or retrain the model"
        raise ModelFileError(
            f"{path} has model format_version {version!r} (written by bioseq {writer}); this "
            f"bioseq {__version__} reads format_version {FORMAT_VERSION}; {advice}"
        )
    model = metadata.get("model")
    if (not isinstance(model, dict) or not isinstance(model.get("name"), str)
            or not isinstance(model.get("params"), dict)):
        raise ModelFileError(
            f"{path}: metadata lacks model.name and model.params; the file is corrupt or was "
            "edited"
        )
    return metadata
