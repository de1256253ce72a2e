"""The model registry: named presets of the CNN, transformer and linear families.

:func:`get_model` builds a preset by name. Keyword arguments override the
preset's defaults and must be constructor arguments of its family. Every
model carries ``input_kind`` (what the encoder must produce), ``config``
(its constructor arguments, JSON-able) and ``model_name`` (the registry
name), which is all the model file needs to rebuild it.

Examples
--------
>>> model = get_model("deepbind", n_outputs=1)
>>> model.input_kind, model.model_name
('onehot', 'deepbind')
>>> get_model("basset", n_outputs=1, colour="red")
Traceback (most recent call last):
...
bioseq.errors.ConfigError: unknown argument 'colour' for model 'basset'; allowed: ...
"""

from __future__ import annotations

import inspect
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn

from bioseq.errors import ConfigError
from bioseq.models.cnn import CNNClassifier
from bioseq.models.linear import KmerLinear
from bioseq.models.transformer import TransformerClassifier

#: Prefix of a remote Hugging Face model reference, as in ``hf:owner/name``.
REMOTE_PREFIX = "hf:"
_COMMIT_PATTERN = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True)
class ModelSpec:
    """A registered model: its family class, default arguments and summary.

    Attributes
    ----------
    name : str
        Registry name.
    family : type
        Model class the preset builds.
    defaults : dict
        Constructor arguments the preset sets; callers may override them.
    description : str
        One-line summary for ``bioseq models``.
    """

    name: str
    family: type[nn.Module]
    defaults: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    @property
    def input_kind(self) -> str:
        """Input the model expects: "onehot", "tokens" or "kmer_frequencies"."""
        return self.defaults.get("input_kind", self.family.input_kind)

    @property
    def arguments(self) -> list[str]:
        """Constructor arguments that :func:`get_model` accepts for this model."""
        signature = inspect.signature(self.family.__init__)
        return [name for name in signature.parameters if name != "self"]


_REGISTRY: dict[str, ModelSpec] = {}


def register_model(spec: ModelSpec) -> None:
    """Add ``spec`` to the registry under ``spec.name``.

    Raises
    ------
    ConfigError
        If the name is taken or a default is not a constructor argument.
    """
    if spec.name in _REGISTRY:
        raise ConfigError(f"model name {spec.name!r} is already registered")
    unknown = sorted(set(spec.defaults) - set(spec.arguments))
    if unknown:
        raise ConfigError(f"preset {spec.name!r} sets unknown arguments {unknown}")
    _REGISTRY[spec.name] = spec


def list_models() -> list[str]:
    """Return the registered model names, sorted."""
    return sorted(_REGISTRY)


def model_spec(name: str) -> ModelSpec:
    """Return the registry entry of ``name``.

    Raises
    ------
    ConfigError
        If no model has that name; the message lists the known names.
    """
    if name not in _REGISTRY:
        raise ConfigError(f"unknown model {name!r}; known models: {', '.join(list_models())}")
    return _REGISTRY[name]


def get_model(name: str, **kwargs: Any) -> nn.Module:
    """Build the model registered as ``name``.

    Parameters
    ----------
    name : str
        A name from :func:`list_models`. Remote references (``hf:owner/repo``)
        are validated by :func:`check_remote_backbone` and then rejected,
        because this version of bioseq cannot run remote model code.
    **kwargs
        Constructor arguments that override the preset, such as
        ``n_outputs``, ``in_channels``, ``vocab_size`` or ``max_len``.

    Returns
    -------
    torch.nn.Module
        The model, with ``input_kind``, ``config`` and ``model_name`` set.

    Raises
    ------
    ConfigError
        If the name or an argument is unknown (the message lists the allowed
        ones) or an argument value is invalid.
    """
    if name.startswith(REMOTE_PREFIX):
        backbone = check_remote_backbone(
            name,
            trust_remote_code=bool(kwargs.pop("trust_remote_code", False)),
            revision=kwargs.pop("revision", None),
        )
        backbone.raise_unavailable()
    spec = model_spec(name)
    allowed = spec.arguments
    for key in kwargs:
        if key not in allowed:
            raise ConfigError(
                f"unknown argument {key!r} for model {name!r}; allowed: {', '.join(allowed)}"
            )
    arguments = {**spec.defaults, **kwargs}
    if "n_outputs" not in arguments:
        raise ConfigError(f"model {name!r} needs n_outputs (the number of logits)")
    model = spec.family(**arguments)
    model.model_name = name
    return model


def count_parameters(model: nn.Module) -> int:
    """Return the number of trainable parameters of ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


@dataclass(frozen=True)
class RemoteBackbone:
    """A pinned reference to remote model code, such as a Hugging Face repository.

    Attributes
    ----------
    repo : str
        ``owner/name`` on the Hugging Face hub.
    revision : str
        The 40-hex commit hash the user pinned.
    """

    repo: str
    revision: str

    def to_metadata(self) -> dict[str, Any]:
        """Return the record to store in run and model metadata."""
        return {"source": "huggingface", "repo": self.repo, "revision": self.revision,
                "trust_remote_code": True}

    def cache_path(self) -> Path:
        """Return where the Hugging Face hub cache would hold this commit."""
        root = os.environ.get("HF_HUB_CACHE") or os.path.join(
            os.environ.get("HF_HOME", os.path.expanduser("~/.cache/huggingface")), "hub"
        )
        owner_name = self.repo.replace("/", "--")
        return Path(root) / f"models--{owner_name}" / "snapshots" / self.revision

    def raise_unavailable(self) -> None:
        """Raise the error that explains why this backbone cannot be built here.

        Raises
        ------
        ConfigError
            Always: bioseq never downloads model code, and this version has no
            loader for remote architectures even when the commit is cached.
        """
        location = self.cache_path()
        if location.is_dir():
            reason = (f"commit {self.revision} is in the local cache at {location}, but this "
                      "version of bioseq has no loader for remote model code")
        else:
            reason = (f"commit {self.revision} is not in the local cache ({location}) and "
                      "bioseq does not download model code")
        raise ConfigError(
            f"remote backbone {REMOTE_PREFIX}{self.repo} cannot be used: {reason}; "
            f"choose a built-in model ({', '.join(list_models())})"
        )


def check_remote_backbone(
    reference: str, trust_remote_code: bool = False, revision: str | None = None
) -> RemoteBackbone:
    """Validate a remote model reference such as ``hf:owner/name``.

    Remote model code runs with the user's rights and can change under an
    unpinned name, so it is accepted only with an explicit trust flag and a
    full 40-hex commit hash (a branch or tag can move).

    Parameters
    ----------
    reference : str
        ``hf:owner/name``.
    trust_remote_code : bool, default=False
        The user's explicit consent to run the repository's code.
    revision : str or None, default=None
        The pinned commit hash.

    Returns
    -------
    RemoteBackbone
        The pinned reference, whose :meth:`RemoteBackbone.to_metadata` goes
        into the run metadata.

    Raises
    ------
    ConfigError
        If the reference is malformed, the trust flag is missing or the
        revision is not a 40-hex commit hash.
    """
    repo = reference.removeprefix(REMOTE_PREFIX)
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
        raise ConfigError(
            f"invalid remote model reference {reference!r}; expected {REMOTE_PREFIX}owner/name"
        )
    if not trust_remote_code:
        raise ConfigError(
            f"remote model {reference!r} runs code from the internet; it is rejected unless "
            "you set trust_remote_code and pin revision to a 40-hex commit hash"
        )
    if revision is None or not _COMMIT_PATTERN.fullmatch(str(revision)):
        raise ConfigError(
            f"remote model {reference!r} needs revision pinned to a full 40-hex commit hash, "
            f"got {revision!r}; branch and tag names can move to different code"
        )
    return RemoteBackbone(repo=repo, revision=str(revision))


_CNN_BASSET = [
    {"filters": 300, "kernel_size": 19, "pool": 3, "dropout": 0.0},
    {"filters": 200, "kernel_size": 11, "pool": 4},
    {"filters": 200, "kernel_size": 7, "pool": 4},
]
_CNN_DILATED = [
    {"filters": 64, "kernel_size": 15},
    *({"filters": 64, "kernel_size": 3, "dilation": d, "residual": True, "dropout": 0.1}
      for d in (2, 4, 8, 16)),
]

for _spec in (
    ModelSpec("cnn", CNNClassifier, {}, "1D CNN family with one 64-filter conv layer by default"),
    ModelSpec(
        "deepbind", CNNClassifier,
        {"conv_layers": [{"filters": 16, "kernel_size": 25}], "global_pool": "maxavg",
         "hidden": [32], "dropout": 0.5},
        "one wide conv layer of motif detectors, max+avg pooling (DeepBind-like)",
    ),
    ModelSpec(
        "basset", CNNClassifier,
        {"conv_layers": _CNN_BASSET, "global_pool": "max", "hidden": [1000, 1000],
         "dropout": 0.3},
        "three conv layers with pooling and two dense layers (Basset-like)",
    ),
    ModelSpec(
        "dilated-resnet", CNNClassifier,
        {"conv_layers": _CNN_DILATED, "global_pool": "maxavg", "hidden": [64], "dropout": 0.1},
        "small residual CNN with dilations 2-16 for long-range context",
    ),
    ModelSpec("transformer", TransformerClassifier, {},
              "transformer family; k-mer tokens, 4 layers, d_model 128 by default"),
    ModelSpec(
        "token-transformer", TransformerClassifier,
        {"input_kind": "tokens", "d_model": 128, "n_heads": 4, "n_layers": 4, "max_len": 200,
         "positions": "sinusoidal", "pooling": "cls"},
        "4-layer transformer over k-mer tokens, up to 200 tokens",
    ),
    ModelSpec(
        "conv-transformer", TransformerClassifier,
        {"input_kind": "onehot", "stem_kernel": 15, "stem_pool": 4, "d_model": 128,
         "n_heads": 4, "n_layers": 2, "max_len": 1000, "positions": "rotary",
         "pooling": "mean"},
        "conv stem (pool 4) then 2 rotary transformer layers over one-hot, up to 1000 bases",
    ),
    ModelSpec("kmer-logreg", KmerLinear, {"k": 4, "standardize": True},
              "logistic regression over k-mer frequencies (linear baseline)"),
):
    register_model(_spec)
