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
import numbers
import os
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from torch import nn

from bioseq.errors import ConfigError
from bioseq.models.cnn import FULL_KERNEL, CNNClassifier
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
    def needs_length(self) -> bool:
        """Whether the preset's size depends on ``max_len`` (a ``kernel_size: "full"`` layer)."""
        layers = self.defaults.get("conv_layers") or []
        return any(layer.get("kernel_size") == FULL_KERNEL for layer in layers)

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
    kwargs = check_model_params(name, kwargs)
    arguments = {**spec.defaults, **kwargs}
    if "n_outputs" not in arguments:
        raise ConfigError(f"model {name!r} needs n_outputs (the number of logits)")
    model = spec.family(**arguments)
    model.model_name = name
    return model


#: Default peak learning rate of each model family, used when the configuration
#: sets none. The small CNN presets need about 1e-2 to learn within a few
#: epochs under OneCycle; the transformers are stable at 1e-3.
FAMILY_LEARNING_RATES: dict[type[nn.Module], float] = {
    CNNClassifier: 1e-2,
    TransformerClassifier: 1e-3,
    KmerLinear: 1e-3,
}


def default_learning_rate(name: str) -> float:
    """Return the default peak learning rate of the model registered as ``name``.

    Raises
    ------
    ConfigError
        If no model has that name.

    Examples
    --------
    >>> default_learning_rate("cnn"), default_learning_rate("conv-transformer")
    (0.01, 0.001)
    """
    if name.startswith(REMOTE_PREFIX):
        return 1e-3
    return FAMILY_LEARNING_RATES.get(model_spec(name).family, 1e-3)


def check_model_params(
    name: str,
    params: dict[str, Any],
    builder: Callable[..., Any] | None = None,
    skip: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Check model parameters against the types of the builder's arguments.

    Parameters
    ----------
    name : str
        Registered model name, used in messages and to find the builder.
    params : dict
        Keyword arguments, as read from YAML or ``--param KEY=VALUE``.
    builder : callable or None, default=None
        Function whose keyword arguments and annotations set the allowed keys
        and types; None takes the constructor of the model's family.
    skip : tuple of str, default=()
        Arguments of ``builder`` that other settings fill, so ``params`` must
        not set them.

    Returns
    -------
    dict
        ``params`` with numbers written as strings (``"1e-1"``, which YAML
        reads as a string) converted to numbers.

    Raises
    ------
    ConfigError
        If a key is not an argument of the builder, or a value has the wrong
        type or a dropout is outside [0, 1). The message names the key, the
        value, the expected type and the allowed keys.

    Examples
    --------
    >>> check_model_params("cnn", {"dropout": "0.2", "hidden": [16]})
    {'dropout': 0.2, 'hidden': [16]}
    >>> check_model_params("cnn", {"dropout": "abc"})
    Traceback (most recent call last):
    ...
    bioseq.errors.ConfigError: invalid value 'abc' for parameter 'dropout' of model 'cnn': expected a number; allowed keys: ...
    """
    function = builder if builder is not None else model_spec(name).family.__init__
    # A model constructor takes every argument by keyword. A builder function such
    # as fit_baseline takes its data positionally, so only its keyword-only
    # arguments are model parameters.
    kinds = {inspect.Parameter.KEYWORD_ONLY}
    if builder is None:
        kinds.add(inspect.Parameter.POSITIONAL_OR_KEYWORD)
    parameters = inspect.signature(function).parameters
    allowed = [key for key, parameter in parameters.items()
               if key != "self" and key not in skip and parameter.kind in kinds]
    hints = typing.get_type_hints(function)
    checked: dict[str, Any] = {}
    for key, value in params.items():
        if key not in allowed:
            raise ConfigError(
                f"unknown argument {key!r} for model {name!r}; allowed: {', '.join(allowed)}"
            )
        hint = hints.get(key, Any)
        matched, converted = _match_type(value, hint)
        if not matched:
            raise ConfigError(
                f"invalid value {value!r} for parameter {key!r} of model {name!r}: expected "
                f"{_describe_type(hint)}; allowed keys: {', '.join(allowed)}"
            )
        if key == "dropout" and not 0.0 <= converted < 1.0:
            raise ConfigError(
                f"invalid value {value!r} for parameter 'dropout' of model {name!r}: expected "
                "a probability in [0, 1)"
            )
        checked[key] = converted
    return checked


def _match_type(value: Any, hint: Any) -> tuple[bool, Any]:
    """Return whether ``value`` fits the annotation ``hint``, and the value to use."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is Any:
        return True, value
    if hint is type(None):
        return value is None, value

    if origin in (typing.Union, types.UnionType):
        for option in args:
            matched, converted = _match_type(value, option)
            if matched:
                return True, converted
        return False, value
    if origin is Literal:
        return value in args, value

    if hint is bool:
        return isinstance(value, bool), value
    if hint is int:
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return True, int(value)
        return False, value
    if hint is float:
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            return True, float(value)
        if isinstance(value, str):
            try:
                return True, float(value)
            except ValueError:
                return False, value
        return False, value
    if hint is str:
        return isinstance(value, str), value

    if origin is list or hint is list:
        if not isinstance(value, list | tuple):
            return False, value
        item_hint = args[0] if args else Any
        items = []
        for item in value:
            matched, converted = _match_type(item, item_hint)
            if not matched:
                return False, value
            items.append(converted)
        return True, items
    if origin is dict or hint is dict:
        return isinstance(value, dict), value
    return True, value


def _describe_type(hint: Any) -> str:
    """Describe an annotation in words, as in "a number or null"."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is type(None):
        return "null"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe_type(option) for option in args)
    if origin is Literal:
        return "one of " + ", ".join(repr(option) for option in args)
    if origin is list or hint is list:
        item = typing.get_origin(args[0]) or args[0] if args else None
        plurals = {int: "integers", float: "numbers", str: "strings", bool: "true/false values",
                   dict: "mappings"}
        return f"a list of {plurals.get(item, 'values')}"
    if origin is dict or hint is dict:
        return "a mapping"
    words = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}
    return words.get(hint, getattr(hint, "__name__", str(hint)))


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
        "cnn-positional", CNNClassifier,
        {"conv_layers": [{"filters": 32, "kernel_size": 9, "pool": 4},
                         {"filters": 32, "kernel_size": "full"}],
         "global_pool": "max", "hidden": [32], "dropout": 0.2},
        "position-aware CNN: conv k9, pool 4, then a kernel spanning the sequence",
    ),
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
