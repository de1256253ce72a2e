"""Typed training configuration: frozen dataclasses read from YAML.

The configuration has six sections, ``data``, ``input``, ``model``,
``optimizer``, ``schedule`` and ``trainer``. Values are resolved in this
order: the defaults below, then a YAML file, then command-line flags. An
unknown key anywhere is a :class:`~bioseq.errors.ConfigError` that lists the
allowed keys, and the resolved configuration is written to ``config.yaml`` in
the run directory.

Examples
--------
>>> config = resolve_config(overrides={"trainer": {"epochs": 3}, "model": {"name": "deepbind"}})
>>> config.trainer.epochs, config.model.name, config.optimizer.lr
(3, 'deepbind', 0.01)
>>> resolve_config(overrides={"model": {"name": "conv-transformer"}}).optimizer.lr
0.001
>>> resolve_config(overrides={"trainer": {"epoch": 3}})
Traceback (most recent call last):
...
bioseq.errors.ConfigError: unknown key 'trainer.epoch'; allowed keys in 'trainer': ...
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from bioseq._files import atomic_write_text
from bioseq.errors import ConfigError

ScheduleName = Literal["none", "onecycle", "cosine", "exponential"]
OptimizerName = Literal["adamw", "adam", "sgd"]
PrecisionName = Literal["auto", "32", "bf16-mixed", "16-mixed"]
AcceleratorName = Literal["auto", "cpu", "gpu", "cuda"]
DedupPolicy = Literal["report", "drop"]


@dataclass(frozen=True)
class DataConfig:
    """Where the sequences come from and how they are split.

    ``sources`` are paths, ``CLASS=PATH`` for one file per class, or
    ``SPLIT:PATH`` for a file that is one split. ``loader`` contains keyword
    arguments for :func:`bioseq.io.load.load_sequences` (``format``,
    ``alphabet``, ``sequence_column``, ``label_columns``, ``split_column``,
    ``label_field``, ``task``, ``classes`` and the others it accepts).
    ``val_fraction`` and ``test_fraction`` apply only to data without a
    split of that kind. ``dedup`` is ``report`` (log and record exact
    duplicates) or ``drop`` (also remove them).
    """

    sources: tuple[str, ...] = ()
    loader: dict[str, Any] = field(default_factory=dict)
    val_fraction: float = 0.1
    test_fraction: float = 0.1
    stratify: bool = True
    split_seed: int | None = None
    dedup: DedupPolicy = "report"


@dataclass(frozen=True)
class InputConfig:
    """How coded sequences become model input (see ``bioseq.encode.batch.InputSpec``).

    ``max_len`` of None means the longest training sequence. ``pad`` and
    ``truncate`` set where padding goes and which end is cut.
    """

    max_len: int | None = None
    pad: Literal["right", "left", "both"] = "right"
    truncate: Literal["error", "right", "left", "center"] = "error"
    ambiguity: Literal["fractional", "zeros", "error"] = "fractional"
    k: int | None = None
    stride: int | None = None
    canonical: bool | None = None


@dataclass(frozen=True)
class ModelConfig:
    """Registered model name and the keyword arguments for ``get_model``."""

    name: str = "cnn"
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OptimizerConfig:
    """Optimizer, learning rate, weight decay and gradient clipping.

    ``lr`` of None takes the model family's default
    (:func:`bioseq.models.registry.default_learning_rate`: 1e-2 for the CNN
    presets, 1e-3 for the transformers), which :func:`resolve_config` fills in.
    """

    name: OptimizerName = "adamw"
    lr: float | None = None
    weight_decay: float = 0.01
    momentum: float = 0.9
    grad_clip: float | None = 1.0


@dataclass(frozen=True)
class ScheduleConfig:
    """Learning-rate schedule, stepped once per optimizer step.

    ``pct_start`` is OneCycle's warm-up fraction; ``gamma`` is the exponential
    decay factor per step; ``min_lr`` is the floor of the cosine schedule.
    """

    name: ScheduleName = "onecycle"
    pct_start: float = 0.3
    gamma: float = 0.999
    min_lr: float = 0.0


@dataclass(frozen=True)
class TrainerConfig:
    """Epochs, batches, devices, precision, seeds, checkpoints and augmentation.

    ``early_stopping`` is the patience in epochs on ``monitor`` (0 turns it
    off). ``shift`` is the largest random shift in residues applied to
    training batches. ``rc_augment`` flips a random half of each training batch
    to the reverse complement and ``rc_average`` averages the forward and
    reverse-complement predictions at evaluation time (DNA and RNA only).
    """

    epochs: int = 10
    batch_size: int = 64
    devices: str = "auto"
    num_nodes: int = 1
    accelerator: AcceleratorName = "auto"
    precision: PrecisionName = "auto"
    seed: int = 0
    early_stopping: int = 0
    monitor: Literal["val_loss", "val_accuracy", "val_auroc"] = "val_loss"
    rc_augment: bool = False
    rc_average: bool = False
    shift: int = 0
    num_workers: int = 0
    deterministic: bool = True
    resume: str | None = None


@dataclass(frozen=True)
class TrainConfig:
    """The whole resolved training configuration."""

    data: DataConfig = field(default_factory=DataConfig)
    input: InputConfig = field(default_factory=InputConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)

    def to_dict(self) -> dict[str, Any]:
        """Return the configuration as plain YAML-friendly data."""
        return _plain(dataclasses.asdict(self))


SECTIONS: dict[str, type] = {
    "data": DataConfig,
    "input": InputConfig,
    "model": ModelConfig,
    "optimizer": OptimizerConfig,
    "schedule": ScheduleConfig,
    "trainer": TrainerConfig,
}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _coerce(where: str, value: Any, annotation: Any) -> Any:
    """Check ``value`` against a field annotation, converting where it is safe."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for option in (arg for arg in args if arg is not type(None)):
            try:
                return _coerce(where, value, option)
            except ConfigError as error:
                errors.append(str(error))
        raise ConfigError(errors[0] if errors else f"{where}: invalid value {value!r}")
    if origin is Literal:
        allowed = list(args)
        text = str(value) if not isinstance(value, bool) else value
        for option in allowed:
            if text == option or value == option:
                return option
        raise ConfigError(f"{where}: invalid value {value!r}; allowed: {allowed}")
    if origin is tuple:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list | tuple):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        return tuple(_coerce(f"{where}[{i}]", item, args[0]) for i, item in enumerate(items))
    if origin is dict or annotation is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return dict(value)
    if annotation is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no"):
            return value.lower() in ("true", "yes")
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        try:
            return int(value)
        except ValueError:
            raise ConfigError(f"{where}: expected an integer, got {value!r}") from None
    if annotation is float:
        if isinstance(value, bool):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: expected a number, got {value!r}") from None
    if annotation is str:
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value)
        raise ConfigError(f"{where}: expected a string, got {value!r}")
    return value


def _build_section(name: str, values: dict[str, Any]) -> Any:
    cls = SECTIONS[name]
    hints = typing.get_type_hints(cls)
    allowed = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise ConfigError(
            f"unknown key {name + '.' + unknown[0]!r}; allowed keys in {name!r}: {', '.join(allowed)}"
        )
    converted = {key: _coerce(f"{name}.{key}", value, hints[key]) for key, value in values.items()}
    section = cls(**converted)
    _check_ranges(name, section)
    return section


def _check_ranges(name: str, section: Any) -> None:
    positive = {
        "trainer": ("epochs", "batch_size", "num_nodes"),
        "optimizer": ("lr",),
        "input": ("max_len", "k", "stride"),
    }.get(name, ())
    for key in positive:
        value = getattr(section, key)
        if value is not None and value <= 0:
            raise ConfigError(f"{name}.{key} must be positive, got {value!r}")
    if name == "data":
        for key in ("val_fraction", "test_fraction"):
            value = getattr(section, key)
            if not 0.0 <= value < 1.0:
                raise ConfigError(f"data.{key} must be in [0, 1), got {value!r}")
        if section.val_fraction + section.test_fraction >= 1.0:
            raise ConfigError(
                f"data.val_fraction + data.test_fraction must be below 1, got "
                f"{section.val_fraction} + {section.test_fraction}"
            )
    if name == "trainer" and (section.shift < 0 or section.early_stopping < 0):
        raise ConfigError("trainer.shift and trainer.early_stopping must be 0 or positive")
    if name == "trainer" and section.devices != "auto":
        try:
            devices = int(section.devices)
        except ValueError:
            devices = 0
        if devices <= 0:
            raise ConfigError(
                f"trainer.devices must be 'auto' or a positive integer, got {section.devices!r}"
            )


def _merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in update.items():
        if key in ("params", "loader") and isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def resolve_config(
    path: str | os.PathLike[str] | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
) -> TrainConfig:
    """Resolve defaults, then the YAML file at ``path``, then ``overrides``.

    Parameters
    ----------
    path : path-like or None, default=None
        YAML file with any of the sections.
    overrides : dict of section name to dict, default=None
        Values from command-line flags; None values are ignored.

    Returns
    -------
    TrainConfig

    Raises
    ------
    ConfigError
        For an unreadable file, an unknown section or key, or a value of the
        wrong type or out of range.
    """
    raw: dict[str, Any] = {}
    if path is not None:
        raw = read_yaml(path)
    layered: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
    for source_name, source in (("file", raw), ("overrides", overrides or {})):
        for section, values in source.items():
            if section not in SECTIONS:
                where = f" in {path}" if source_name == "file" else ""
                raise ConfigError(
                    f"unknown section {section!r}{where}; allowed sections: {', '.join(SECTIONS)}"
                )
            if values is None:
                continue
            if not isinstance(values, dict):
                raise ConfigError(f"section {section!r} must be a mapping, got {values!r}")
            if source_name == "overrides":
                values = {key: value for key, value in values.items() if value is not None}
            layered[section] = _merge(layered[section], values)
    sections = {name: _build_section(name, values) for name, values in layered.items()}
    sections["model"] = _check_model(sections["model"])
    if sections["optimizer"].lr is None:
        from bioseq.models.registry import default_learning_rate

        lr = default_learning_rate(sections["model"].name)
        sections["optimizer"] = dataclasses.replace(sections["optimizer"], lr=lr)
    return TrainConfig(**sections)


def _check_model(model: ModelConfig) -> ModelConfig:
    """Check the model name and ``model.params`` before any data are read."""
    from bioseq.models.registry import REMOTE_PREFIX, check_model_params

    if model.name.startswith(REMOTE_PREFIX):
        # get_model validates remote references and their own keys.
        return model
    if model.name == "kmer-logreg":
        # The baseline is fitted by fit_baseline, so its keywords are the allowed params;
        # seed and canonical come from trainer.seed and input.canonical.
        from bioseq.train.baseline import fit_baseline

        params = check_model_params(model.name, model.params, builder=fit_baseline,
                                    skip=("seed", "canonical"))
    else:
        params = check_model_params(model.name, model.params)
    return dataclasses.replace(model, params=params)


def check_split_lengths(length: int, splits: dict[str, Any], max_len: int | None,
                        truncate: str | None) -> None:
    """Check that no validation or test record is longer than an inferred input length.

    When ``input.max_len`` is unset, the input length is the longest training
    sequence, and a longer record in another split would fail only when that
    split is encoded (the test split after training). This check fails first.

    Parameters
    ----------
    length : int
        The input length in residues.
    splits : dict of str to SequenceSet or None
        The records of each split other than train, by split name.
    max_len : int or None
        ``input.max_len`` as configured; a set value skips the check, because
        the user chose the length.
    truncate : str or None
        ``input.truncate``; a side other than "error" skips the check.

    Raises
    ------
    SequenceError
        Naming the longest such record, its length, the inferred length and
        the flags that fix it (``--max-len N``, ``--truncate``).
    """
    from bioseq.errors import SequenceError

    if max_len is not None or truncate not in (None, "error"):
        return
    longest: tuple[int, str, str] | None = None
    n_longer = 0
    for name, subset in splits.items():
        if subset is None or len(subset) == 0:
            continue
        n_longer += int((subset.lengths > length).sum())
        index = int(subset.lengths.argmax())
        candidate = (int(subset.lengths[index]), name, str(subset.ids[index]))
        if longest is None or candidate[0] > longest[0]:
            longest = candidate
    if longest is None or longest[0] <= length:
        return
    record_length, name, record_id = longest
    raise SequenceError(
        f"{name} record {record_id!r} is {record_length} residues long, longer than the input "
        f"length {length} inferred from the longest training sequence ({n_longer} validation "
        f"or test record(s) are longer); pass --max-len {record_length} to fit them all, or "
        "--truncate right, left or center to cut them to the input length"
    )


def read_yaml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a YAML configuration file into a mapping.

    Raises
    ------
    ConfigError
        If the file is missing, is not valid YAML or is not a mapping.
    """
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise ConfigError(f"cannot read config file {path}: {error.strerror}") from error
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: invalid YAML: {error}") from error
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections, got {type(data).__name__}")
    return data


def config_from_dict(data: dict[str, Any]) -> TrainConfig:
    """Rebuild a configuration from :meth:`TrainConfig.to_dict` output."""
    return resolve_config(overrides=data)


def write_config(config: TrainConfig, path: str | os.PathLike[str]) -> None:
    """Write the resolved configuration as YAML, atomically."""
    text = yaml.safe_dump(config.to_dict(), sort_keys=False)
    write_text_atomic(Path(path), text)


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text, fsync=True)
