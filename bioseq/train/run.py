"""Train a model end to end and write the run directory.

:func:`train_run` takes a resolved :class:`~bioseq.train.config.TrainConfig`
(and optionally an in-memory :class:`~bioseq.sequences.SequenceSet`), and
writes, all atomically::

    RUN/model.safetensors     weights + metadata (bioseq.models.modelfile)
    RUN/config.yaml           the resolved configuration
    RUN/manifest.json         versions, device, input hashes, splits, duplicates
    RUN/metrics.csv           one row per epoch: losses, metrics, learning rate
    RUN/train.log             the log of the run
    RUN/splits.csv            id, split of every record used
    RUN/checkpoints/          last.ckpt, last.previous.ckpt, best.ckpt
"""

from __future__ import annotations

import csv
import io
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bioseq._files import make_output_folder
from bioseq.data.store_records import StoreRecords
from bioseq.errors import ConfigError, LabelError, SequenceError
from bioseq.sequences import SequenceSet
from bioseq.train.config import (
    TrainConfig,
    check_split_lengths,
    write_config,
    write_text_atomic,
)
from bioseq.train.manifest import build_manifest, hash_sources, write_json_atomic
from bioseq.train.prepare import build_input_spec, build_model_for, prepare_splits

logger = logging.getLogger(__name__)

METRIC_COLUMNS = ("epoch", "step", "lr", "train_loss", "val_loss", "val_accuracy", "val_auroc")


@dataclass
class RunResult:
    """Paths and numbers of a finished run."""

    out_dir: Path
    model_path: Path
    metrics: dict[str, float]
    manifest: dict[str, Any]


def load_training_data(config: TrainConfig) -> SequenceSet:
    """Read the configured sources with :func:`bioseq.io.load.load_sequences`.

    Raises
    ------
    ConfigError
        If no source is configured or ``data.loader`` has a key that
        ``load_sequences`` does not accept.
    """
    from bioseq.io.load import load_sequences

    data = config.data
    if not data.sources:
        raise ConfigError("no training data: pass --data PATH (or data.sources in the config)")
    return load_sequences(list(data.sources), **data.loader)


def _is_rank_zero() -> bool:
    from lightning.fabric.utilities.rank_zero import rank_zero_only

    return getattr(rank_zero_only, "rank", 0) == 0


def train_run(
    config: TrainConfig,
    out_dir: str | Path,
    seqset: SequenceSet | None = None,
    *,
    callbacks: list[Any] | tuple[Any, ...] = (),
    progress_bar: bool = False,
) -> RunResult:
    """Train a model as ``config`` sets out and write the run directory ``out_dir``.

    Parameters
    ----------
    config : TrainConfig
        Resolved configuration.
    out_dir : path-like
        Run directory; created if missing. ``--resume auto`` reads
        ``out_dir/checkpoints``.
    seqset : SequenceSet or None, default=None
        Labelled sequences; None reads ``config.data.sources``.
    callbacks : sequence of lightning Callback, default=()
        Extra callbacks for the Lightning trainer.
    progress_bar : bool, default=False
        Show Lightning's progress bar.

    Returns
    -------
    RunResult

    Raises
    ------
    ConfigError, LabelError, DeviceError, SequenceError
        Before any training step, for invalid settings, labels, devices or
        sequences.
    """
    out = Path(out_dir)
    make_output_folder(out)
    handler = _attach_log_file(out / "train.log") if _is_rank_zero() else None
    try:
        return _train(config, out, seqset, list(callbacks), progress_bar)
    except Exception as error:
        if handler is not None:
            # The run folder's log records why the run stopped, as the console does.
            handler.handle(logging.makeLogRecord({
                "name": "bioseq.train.run", "levelno": logging.ERROR, "levelname": "ERROR",
                "msg": "run failed: %s", "args": (error,)}))
        raise
    finally:
        if handler is not None:
            logging.getLogger("bioseq").removeHandler(handler)
            handler.close()


def _attach_log_file(path: Path) -> logging.Handler:
    handler = logging.FileHandler(path, mode="a")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    root = logging.getLogger("bioseq")
    if root.level == logging.NOTSET or root.level > logging.INFO:
        # The file always gets INFO; the console handlers keep the level that -q/-v chose.
        for existing in root.handlers:
            if existing.level < root.getEffectiveLevel():
                existing.setLevel(root.getEffectiveLevel())
        root.setLevel(logging.INFO)
    root.addHandler(handler)
    return handler


def _train(
    config: TrainConfig, out: Path, seqset: SequenceSet | StoreRecords | None, callbacks: list[Any],
    progress_bar: bool,
) -> RunResult:
    from bioseq.train.store_feed import find_training_store, read_training_records

    started = time.time()
    settings = config.trainer
    finished = _finished_run(out, settings.resume, settings.epochs)
    if finished is not None:
        return finished
    store = None
    if seqset is None:
        store = find_training_store(config)
        if store is not None:
            seqset = read_training_records(config, store)
        else:
            seqset = load_training_data(config)
    if len(seqset) == 0:
        raise LabelError(
            f"the training data ({', '.join(seqset.sources) or 'in memory'}) hold 0 records; "
            "bioseq never trains on an empty set"
        )
    if seqset.labels is None or seqset.task is None:
        sources = ', '.join(seqset.sources) or 'in memory'
        if store is not None or isinstance(seqset, StoreRecords):
            raise LabelError(
                f"the store {sources} contains no labels, and label options do not apply to a "
                "store; rebuild it with labels, for example bioseq preprocess INPUT... "
                "--label-column NAME, or --label-field NAME --classes A,B for FASTA headers, "
                "or CLASS=PATH inputs"
            )
        raise LabelError(
            f"the training data ({sources}) have no labels; "
            "pass --label-column, --label-field or one file per class (CLASS=PATH)"
        )
    logger.info("read %d records (%s task, classes %s)", len(seqset), seqset.task,
                seqset.class_names)

    seqset, duplicates = prepare_splits(seqset, config.data, settings.seed)
    train_set = seqset.split("train")
    has_valid = bool(np.any(seqset.splits == "valid"))
    valid_set = seqset.split("valid") if has_valid else None
    test_set = seqset.split("test") if np.any(seqset.splits == "test") else None

    if config.model.name == "kmer-logreg":
        return _run_baseline(config, out, seqset, train_set, valid_set, test_set, duplicates,
                            started)
    return _train_network(config, out, seqset, train_set, valid_set, test_set, duplicates,
                          callbacks, progress_bar, started)


def _train_network(
    config: TrainConfig, out: Path, seqset: SequenceSet, train_set: SequenceSet,
    valid_set: SequenceSet | None, test_set: SequenceSet | None, duplicates: dict[str, Any],
    callbacks: list[Any], progress_bar: bool, started: float,
) -> RunResult:
    import lightning.pytorch as pl
    import torch
    from lightning.pytorch.callbacks import EarlyStopping
    from lightning.pytorch.plugins.environments import SLURMEnvironment

    from bioseq.data.augment import complement_table
    from bioseq.data.dataset import CodesDataset, make_loader
    from bioseq.tasks import get_task
    from bioseq.train.callbacks import EpochMetricsWriter, RankDataRecorder
    from bioseq.train.checkpoint import BEST, CheckpointWriter
    from bioseq.train.devices import plan_devices
    from bioseq.train.store_feed import check_layout, evaluate_store_system, make_store_loaders

    settings = config.trainer
    spec = build_input_spec(config.input, train_set, config.model.name)
    length = int(spec.length)
    check_split_lengths(length, {"valid": valid_set, "test": test_set}, config.input.max_len,
                        config.input.truncate)
    plan = plan_devices(settings.accelerator, settings.devices, settings.num_nodes,
                        settings.precision,
                        work_estimate=float(train_set.lengths.sum()) * settings.epochs)
    pl.seed_everything(settings.seed, workers=True, verbose=False)
    task = get_task(seqset.task)
    model = build_model_for(config.model, spec, task.n_outputs(seqset.class_names), length)

    pad, truncate = "right", spec.truncate
    out_of_core = isinstance(seqset, StoreRecords)
    if out_of_core:
        # Only the lengths are checked here; the loaders read the codes block by block.
        check_layout(train_set, length, truncate, seqset.transforms)
        if valid_set is not None:
            check_layout(valid_set, length, truncate, None)
        n_indexed = seqset.n_store
    else:
        train_data = CodesDataset.from_sequence_set(train_set, length, pad=pad, truncate=truncate,
                                                    transforms=seqset.transforms)
        valid_data = (CodesDataset.from_sequence_set(valid_set, length, pad=pad, truncate=truncate)
                      if valid_set is not None else None)
        n_indexed = len(train_data)

    nucleic = train_set.alphabet.is_nucleic
    if (settings.rc_augment or settings.rc_average) and not nucleic:
        raise ConfigError(
            f"--rc-augment and --rc-average need DNA or RNA; the data are {train_set.alphabet.name}"
        )
    complement = complement_table(train_set.alphabet) if nucleic else None

    from bioseq.train.system import SequenceSystem

    system = SequenceSystem(
        model, task, spec, config.optimizer, config.schedule, complement=complement,
        rc_augment=settings.rc_augment, rc_average=settings.rc_average, shift=settings.shift,
    )

    monitor = settings.monitor if valid_set is not None else "train_loss"
    mode = "min" if monitor.endswith("loss") else "max"
    checkpoints = out / "checkpoints"
    writer = CheckpointWriter(checkpoints, monitor, mode)
    metrics_writer = EpochMetricsWriter(out / "metrics.csv")
    # The recorder indexes the batches' "index" values: store rows on the store path.
    recorder = RankDataRecorder(n_indexed)
    all_callbacks: list[Any] = [writer, metrics_writer, recorder, *callbacks]
    if settings.early_stopping > 0:
        all_callbacks.append(EarlyStopping(monitor=monitor, mode=mode,
                                           patience=settings.early_stopping))
    plugins: list[Any] = [_checkpoint_io()]
    if plan.under_slurm:
        plugins.append(SLURMEnvironment(auto_requeue=False))

    trainer = pl.Trainer(
        accelerator=plan.accelerator, devices=plan.devices, num_nodes=plan.num_nodes,
        strategy=plan.strategy, precision=plan.precision, max_epochs=settings.epochs,
        gradient_clip_val=config.optimizer.grad_clip, deterministic=settings.deterministic,
        callbacks=all_callbacks, plugins=plugins, logger=False, enable_checkpointing=False,
        enable_progress_bar=progress_bar, enable_model_summary=False,
        use_distributed_sampler=False, num_sanity_val_steps=0,
        default_root_dir=str(out),
    )
    world = trainer.world_size
    if out_of_core:
        train_loader, valid_loader = make_store_loaders(
            seqset, train_set, valid_set, length, truncate, batch_size=settings.batch_size,
            seed=settings.seed, rank=trainer.global_rank, world_size=world,
            num_workers=settings.num_workers)
    else:
        train_loader = make_loader(train_data, settings.batch_size, shuffle=True,
                                   seed=settings.seed, rank=trainer.global_rank,
                                   world_size=world, num_workers=settings.num_workers)
        valid_loader = (make_loader(valid_data, settings.batch_size, shuffle=False,
                                    rank=trainer.global_rank, world_size=world)
                        if valid_data is not None else None)

    resume_path = _resume_path(settings.resume, checkpoints)
    if resume_path is not None:
        metrics_writer.load_existing()
    logger.info("training %s on %d records (%d validation, %d test), length %d, %d epochs",
                config.model.name, len(train_set), 0 if valid_set is None else len(valid_set),
                0 if test_set is None else len(test_set), length, settings.epochs)
    trainer.fit(system, train_dataloaders=train_loader, val_dataloaders=valid_loader,
                ckpt_path=str(resume_path) if resume_path is not None else None)

    if (checkpoints / BEST).is_file() and valid_set is not None and not writer.preempted:
        from bioseq.train.checkpoint import load_checkpoint

        state = load_checkpoint(checkpoints / BEST)
        system.load_state_dict(state["state_dict"])
    system.eval()
    system.to("cpu")
    final = dict(metrics_writer.last_row())
    test_metrics: dict[str, float] = {}
    if test_set is not None:
        try:
            if out_of_core:
                test_metrics = evaluate_store_system(system, seqset, test_set, length,
                                                     settings.batch_size)
            else:
                test_metrics = evaluate_system(system, test_set, length, settings.batch_size)
            logger.info("test metrics: %s", _format_metrics(test_metrics))
        except SequenceError as error:
            # The trained model is still written; only the test scores are missing.
            logger.warning("test metrics skipped: %s", error)

    distributed = recorder.summary
    manifest = build_manifest(
        config=config, plan=plan, seqset=seqset, duplicates=duplicates,
        sources=hash_sources(config.data.sources), started=started,
        extra={"best_epoch": writer.best_epoch, "best_score": writer.best_score,
               "monitor": monitor, "epochs_run": trainer.current_epoch,
               "final_metrics": final, "test_metrics": test_metrics,
               "distributed": distributed, "resumed_from": str(resume_path) if resume_path else None,
               "n_parameters": int(sum(p.numel() for p in model.parameters())),
               "data_loading": _data_loading(seqset)},
    )
    model_path = out / "model.safetensors"
    if trainer.is_global_zero:
        _write_outputs(out, config, seqset, model, spec, task, manifest, test_metrics, final,
                       writer, monitor)
    if world > 1:
        trainer.strategy.barrier("bioseq-run-written")
    torch.set_grad_enabled(True)
    return RunResult(out, model_path, {**final, **{f"test_{k}": v for k, v in test_metrics.items()}},
                     manifest)


def _run_baseline(
    config: TrainConfig, out: Path, seqset: SequenceSet, train_set: SequenceSet,
    valid_set: SequenceSet | None, test_set: SequenceSet | None, duplicates: dict[str, Any],
    started: float,
) -> RunResult:
    """Fit the k-mer logistic-regression baseline and write the same run directory."""
    import torch

    from bioseq.encode.batch import InputSpec
    from bioseq.models.modelfile import save_model
    from bioseq.tasks import get_task
    from bioseq.train.baseline import fit_baseline
    from bioseq.train.callbacks import METRIC_COLUMNS
    from bioseq.train.system import classification_metrics

    params = dict(config.model.params)
    k = int(params.pop("k", config.input.k or 4))
    model, metadata = fit_baseline(train_set, valid_set, k=k, seed=config.trainer.seed,
                                   canonical=bool(config.input.canonical), **params)
    spec = InputSpec.from_dict(metadata["input"])
    task = get_task(metadata["task"])

    def score(subset: SequenceSet) -> dict[str, float]:
        from bioseq.encode.batch import encode_batch
        from bioseq.encode.codes import to_fixed_length

        codes, mask = to_fixed_length(subset, None)
        encoded = encode_batch(spec, torch.from_numpy(codes), torch.from_numpy(mask.sum(axis=1)))
        with torch.no_grad():
            probabilities = task.activation(model(encoded["x"], mask=encoded.get("mask")))
        return classification_metrics(task, probabilities.numpy(), subset.labels)

    valid_metrics = score(valid_set) if valid_set is not None else {}
    test_metrics = score(test_set) if test_set is not None else {}
    row = {"epoch": 0, "step": 0, "lr": "", "train_loss": "", "val_loss": "",
           "val_accuracy": valid_metrics.get("accuracy", ""),
           "val_auroc": valid_metrics.get("auroc", "")}
    buffer = io.StringIO()
    table = csv.DictWriter(buffer, fieldnames=METRIC_COLUMNS, lineterminator="\n")
    table.writeheader()
    table.writerow(row)
    write_text_atomic(out / "metrics.csv", buffer.getvalue())
    (out / "checkpoints").mkdir(exist_ok=True)

    final = {f"val_{key}": value for key, value in valid_metrics.items()}
    metadata.setdefault("training", {}).update(
        {"seed": config.trainer.seed, "final_metrics": final, "test_metrics": test_metrics})
    manifest = build_manifest(
        config=config, plan=None, seqset=seqset, duplicates=duplicates,
        sources=hash_sources(config.data.sources), started=started,
        extra={"epochs_run": 1, "final_metrics": final, "test_metrics": test_metrics,
               "n_parameters": int(sum(p.numel() for p in model.parameters()))},
    )
    save_model(out / "model.safetensors", model, metadata)
    write_config(config, out / "config.yaml")
    write_json_atomic(out / "manifest.json", manifest)
    write_splits(out / "splits.csv", seqset)
    logger.info("fitted the k-mer baseline (k=%d); validation %s; test %s", k,
                _format_metrics(valid_metrics) or "-", _format_metrics(test_metrics) or "-")
    return RunResult(out, out / "model.safetensors",
                     {**final, **{f"test_{key}": value for key, value in test_metrics.items()}},
                     manifest)


def _checkpoint_io() -> Any:
    from bioseq.train.checkpoint import AtomicCheckpointIO

    return AtomicCheckpointIO()


def _finished_run(out: Path, resume: str | None, epochs: int) -> RunResult | None:
    """Return the run in ``out`` when ``--resume auto`` finds it already finished, else None.

    Resuming a finished run has nothing to train, and writing the outputs again
    would replace the manifest's record of the real run (its time, for one).
    """
    manifest_path = out / "manifest.json"
    model_path = out / "model.safetensors"
    if resume != "auto" or not manifest_path.is_file() or not model_path.is_file():
        return None
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        return None
    if int(manifest.get("epochs_run") or 0) < epochs:
        return None
    logger.info("%s already finished %d of %d epochs; nothing to resume, outputs left as they are",
                out, manifest["epochs_run"], epochs)
    metrics = {**(manifest.get("final_metrics") or {}),
               **{f"test_{k}": v for k, v in (manifest.get("test_metrics") or {}).items()}}
    return RunResult(out, model_path, metrics, manifest)


def _resume_path(resume: str | None, checkpoints: Path) -> Path | None:
    from bioseq.train.checkpoint import find_resume_checkpoint, load_checkpoint

    if resume is None:
        return None
    if resume == "auto":
        return find_resume_checkpoint(checkpoints)
    path = Path(resume)
    load_checkpoint(path)  # fail now, with the file named, rather than inside Lightning
    logger.info("resuming from %s", path)
    return path


def evaluate_system(system: Any, seqset: SequenceSet, length: int, batch_size: int) -> dict[str, float]:
    """Score ``seqset`` with a trained system on the CPU and return its metrics."""
    import torch

    from bioseq.data.dataset import CodesDataset
    from bioseq.train.system import classification_metrics

    data = CodesDataset.from_sequence_set(seqset, length, pad="right", truncate=system.spec.truncate)
    outputs = []
    with torch.no_grad():
        for start in range(0, len(data), max(batch_size, 256)):
            batch = data[np.arange(start, min(start + max(batch_size, 256), len(data)))]
            outputs.append(system.predict_probabilities(batch["codes"], batch["lengths"]))
    probabilities = torch.cat(outputs).float().numpy()
    return classification_metrics(system.task, probabilities, data.labels.numpy())


def _data_loading(seqset: SequenceSet | StoreRecords) -> dict[str, Any]:
    """Describe for the manifest how the run read its data and compared duplicates."""
    if isinstance(seqset, StoreRecords):
        return {"mode": "out-of-core store", "store": str(seqset.path),
                "duplicates_compared_by": "128-bit hash of each record's codes"}
    return {"mode": "in memory", "duplicates_compared_by": "codes"}


def _format_metrics(metrics: dict[str, float]) -> str:
    return ", ".join(f"{key} {value:.4f}" for key, value in metrics.items())


def _write_outputs(
    out: Path, config: TrainConfig, seqset: SequenceSet, model: Any, spec: Any, task: Any,
    manifest: dict[str, Any], test_metrics: dict[str, float], final: dict[str, Any],
    writer: Any, monitor: str,
) -> None:
    from bioseq.models.modelfile import save_model

    metadata = {
        "task": task.name,
        "class_names": list(seqset.class_names or []),
        "positive_class": (seqset.class_names or [None, None])[1] if task.name == "binary" else None,
        "alphabet": seqset.alphabet.name,
        "input": spec.to_dict(),
        "training": {
            "epochs_run": manifest["epochs_run"], "best_epoch": writer.best_epoch,
            "monitor": monitor, "best_score": writer.best_score, "seed": config.trainer.seed,
            "rc_average": config.trainer.rc_average, "final_metrics": final,
            "test_metrics": test_metrics, "n_train": int(np.sum(seqset.splits == "train")),
        },
    }
    save_model(out / "model.safetensors", model, metadata)
    write_config(config, out / "config.yaml")
    write_json_atomic(out / "manifest.json", manifest)
    write_splits(out / "splits.csv", seqset)
    logger.info("wrote %s (model, config.yaml, manifest.json, metrics.csv, splits.csv)", out)


def write_splits(path: Path, seqset: SequenceSet) -> None:
    """Write ``id,split`` for every record, atomically."""
    buffer = io.StringIO()
    table = csv.writer(buffer, lineterminator="\n")
    table.writerow(["id", "split"])
    for record_id, split in zip(seqset.ids, seqset.splits, strict=True):
        table.writerow([record_id, split])
    write_text_atomic(path, buffer.getvalue())

