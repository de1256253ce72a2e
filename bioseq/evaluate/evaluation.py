"""Evaluate a model or a training run on labelled data and write the report folder.

:func:`evaluate_model` scores a test set with :class:`bioseq.predict.Predictor`,
computes :func:`~bioseq.evaluate.metrics.compute_metrics`, summarises the data
(with overlap against the run's training records when the run folder is
known) and writes the folder of :func:`~bioseq.evaluate.report.write_evaluation`.
"""

from __future__ import annotations

import csv
import json
import logging
import os
from pathlib import Path

import numpy as np

from bioseq.data.store_records import StoreRecords
from bioseq.errors import BioseqError, ConfigError, LabelError
from bioseq.evaluate.metrics import compute_metrics
from bioseq.evaluate.report import data_flags, summarize_data, write_evaluation
from bioseq.predict import DEFAULT_CHUNK_SIZE, Predictor
from bioseq.sequences import SequenceSet

logger = logging.getLogger(__name__)


def find_run_dir(model_or_run: str | os.PathLike[str]) -> Path | None:
    """Return the run folder of a model: the folder itself, or the model file's folder.

    A folder counts as a run when it contains ``manifest.json``.
    """
    path = Path(model_or_run)
    folder = path if path.is_dir() else path.parent
    return folder if (folder / "manifest.json").is_file() else None


def align_labels(test: SequenceSet | StoreRecords, class_names: list[str], task: str) -> np.ndarray:
    """Return the test labels as indices (or columns) in the model's class order.

    Raises
    ------
    LabelError
        If the test set is unlabelled, has another task, or names a class the
        model does not know.
    """
    if test.labels is None:
        raise LabelError(f"the test data ({', '.join(test.sources) or 'in memory'}) have no "
                         "labels; pass --label-column or --label-field, or use bioseq predict")
    if task in ("binary", "multiclass") and test.task in ("binary", "multiclass"):
        names = [str(c) for c in (test.class_names or [])]
        unknown = [name for name in names if name not in class_names]
        present = set(np.unique(test.labels).tolist())
        unknown = [name for i, name in enumerate(names) if name in unknown and i in present]
        if unknown:
            raise LabelError(
                f"the test data have class(es) {unknown} that the model does not know; the "
                f"model's classes are {class_names}. Relabel the data or drop those records")
        mapping = np.array([class_names.index(n) if n in class_names else -1 for n in names])
        return mapping[test.labels].astype(np.int64)
    if task != test.task:
        raise LabelError(f"the model predicts a {task} task but the test labels were read as "
                         f"{test.task}; pass --task {task} when reading the data")
    if task == "multilabel":
        names = [str(c) for c in (test.class_names or [])]
        missing = [name for name in class_names if name not in names]
        if missing:
            raise LabelError(f"the test data lack label column(s) {missing} of the model; "
                             f"found {names}")
        return test.labels[:, [names.index(name) for name in class_names]]
    return np.asarray(test.labels, dtype=np.float64)


def resolve_positive_class(predictor: Predictor, positive_class: str | None) -> str | None:
    """Return the positive class for the binary metrics: the request, or the model's own.

    Raises
    ------
    ConfigError
        If a class is requested for a model that is not binary, or the model
        has no class of that name.
    """
    if positive_class is None:
        return predictor.positive_class
    if predictor.task != "binary":
        raise ConfigError(f"--positive-class {positive_class} applies to binary models only, "
                          f"but the model {predictor.path} is {predictor.task}; drop the option")
    if positive_class not in predictor.class_names:
        raise ConfigError(f"invalid positive class {positive_class!r}; the model {predictor.path} "
                          f"has the classes {predictor.class_names}")
    if positive_class != predictor.positive_class:
        logger.info("binary metrics score %s as the positive class (the model's positive class "
                    "is %s), so they use the probability of %s", positive_class,
                    predictor.positive_class, positive_class)
    return positive_class


def read_train_ids(run_dir: Path) -> set[str] | None:
    """Return the ids in the training split of ``run_dir/splits.csv``, or None without it."""
    path = run_dir / "splits.csv"
    if not path.is_file():
        return None
    with path.open(newline="", encoding="utf-8") as stream:
        return {row["id"] for row in csv.DictReader(stream) if row.get("split") == "train"}


def load_training_records(run_dir: Path,
                          train_ids: set[str] | None) -> SequenceSet | StoreRecords | None:
    """Reload the run's training records from the sources in its ``config.yaml``.

    A run trained from a single store gets its records as
    :class:`~bioseq.data.store_records.StoreRecords`, whose codes stay on
    disk. Returns None, with a log line, when the sources cannot be read (moved,
    deleted) so that the report falls back to an overlap by id.
    """
    config_path = run_dir / "config.yaml"
    if not config_path.is_file():
        return None
    try:
        from bioseq.train.config import config_from_dict, read_yaml
        from bioseq.train.run import load_training_data
        from bioseq.train.store_feed import find_training_store, read_training_records

        config = config_from_dict(read_yaml(config_path))
        store = find_training_store(config)
        # A run trained from one store is compared by content hashes, without its codes.
        records = (read_training_records(config, store) if store is not None
                   else load_training_data(config))
    except (BioseqError, OSError) as error:
        logger.warning("cannot reload the training data of %s (%s); train/test overlap is "
                       "checked by record id instead", run_dir, error)
        return None
    if train_ids is not None:
        keep = np.array([str(i) in train_ids for i in records.ids], dtype=bool)
        records = records.subset(keep)
    elif records.splits is not None:
        records = records.subset(records.splits == "train")
    return records


def evaluate_model(
    model_or_run: str | os.PathLike[str],
    test: SequenceSet,
    out_dir: str | os.PathLike[str],
    *,
    batch_size: int = 512,
    device: str = "cpu",
    reverse_complement: bool | None = None,
    truncate: str | None = None,
    pad: str | None = None,
    n_bootstrap: int = 1000,
    seed: int = 0,
    train_records: SequenceSet | None = None,
    positive_class: str | None = None,
    alphabet_check: bool = True,
) -> dict[str, Path]:
    """Score ``test`` with a model and write metrics, tables, plots and report.html.

    Parameters
    ----------
    model_or_run : path-like
        Model file or run folder. A run folder (or the folder of the model
        file, when it contains ``manifest.json``) adds the manifest, training
        curves and the train/test overlap to the report.
    test : SequenceSet
        Labelled test records.
    out_dir : path-like
        Output folder.
    batch_size, device, reverse_complement, truncate, pad
        As for :meth:`bioseq.predict.Predictor.score` and
        :meth:`~bioseq.predict.Predictor.load`.
    n_bootstrap : int, default=1000
        Bootstrap replicates of the 95% intervals.
    seed : int, default=0
        Seed of the bootstrap.
    train_records : SequenceSet or None, default=None
        Training records for the overlap check; None reloads them from the
        run folder's ``config.yaml`` and ``splits.csv`` when possible.
    positive_class : str or None, default=None
        Binary models: the class whose probability the ranking and threshold
        metrics (AUROC, AUPRC, precision, recall, F1, MCC) score; None uses
        the model's positive class. Another class flips those metrics to that
        class's probability, and ``metrics.json`` records both classes.
    alphabet_check : bool, default=True
        Reject test records that look like DNA or RNA when the model reads
        protein; see :meth:`bioseq.predict.Predictor.check_input_alphabet`.

    Returns
    -------
    dict of str to pathlib.Path
        The written files by kind.

    Raises
    ------
    ConfigError
        If ``positive_class`` is given for a model that is not binary, or is
        not one of its classes.
    """
    predictor = Predictor.load(model_or_run, device=device, truncate=truncate, pad=pad)
    positive = resolve_positive_class(predictor, positive_class)
    if alphabet_check:
        predictor.check_input_alphabet(test)
    y_true = align_labels(test, predictor.class_names, predictor.task)
    scores = predictor.score(test, batch_size=batch_size, reverse_complement=reverse_complement)
    return _write_report(predictor, model_or_run, test, y_true, scores, out_dir,
                         reverse_complement=reverse_complement, n_bootstrap=n_bootstrap,
                         seed=seed, train_records=train_records, positive=positive)


def _write_report(
    predictor: Predictor, model_or_run: str | os.PathLike[str], test: SequenceSet | StoreRecords,
    y_true: np.ndarray, scores: np.ndarray, out_dir: str | os.PathLike[str], *,
    reverse_complement: bool | None, n_bootstrap: int, seed: int,
    train_records: SequenceSet | StoreRecords | None, positive: str | None,
) -> dict[str, Path]:
    """Compute the metrics and data summary of scored test records and write the folder."""
    metrics = compute_metrics(y_true, scores, task=predictor.task,  # type: ignore[arg-type]
                              class_names=predictor.class_names, positive_class=positive,
                              n_bootstrap=n_bootstrap, seed=seed)

    run_dir = find_run_dir(model_or_run)
    manifest = None
    metrics_csv = None
    train_ids = None
    if run_dir is not None:
        manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
        metrics_csv = run_dir / "metrics.csv"
        train_ids = read_train_ids(run_dir)
        if train_records is None:
            train_records = load_training_records(run_dir, train_ids)
    metrics["data"] = summarize_data(test, train_records, train_ids)
    metrics["flags"] = metrics["flags"] + data_flags(metrics["data"])
    metrics["model"] = {
        "path": str(predictor.path),
        "name": predictor.metadata["model"]["name"],
        "run_dir": None if run_dir is None else str(run_dir),
        "reverse_complement": (predictor.rc_average if reverse_complement is None
                               else reverse_complement),
        "training": predictor.metadata.get("training", {}),
        "positive_class": predictor.positive_class,
    }
    for flag in metrics["flags"]:
        logger.warning("%s", flag["message"])
    return write_evaluation(Path(out_dir), metrics, ids=test.ids, y_true=y_true, scores=scores,
                            lengths=test.lengths, manifest=manifest, metrics_csv=metrics_csv,
                            title=f"bioseq evaluation: {predictor.path.parent.name}"
                                  f"/{predictor.path.name}")


def evaluate_store(
    model_or_run: str | os.PathLike[str],
    store: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    split: str | None = None,
    read_options: dict[str, object] | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    batch_size: int = 512,
    device: str = "cpu",
    reverse_complement: bool | None = None,
    truncate: str | None = None,
    pad: str | None = None,
    n_bootstrap: int = 1000,
    seed: int = 0,
    positive_class: str | None = None,
    alphabet_check: bool = True,
) -> dict[str, Path]:
    """Evaluate a model on an HDF5 store, streaming its codes chunk by chunk.

    The result is that of :func:`evaluate_model` on the same records read
    into memory, but only ``chunk_size`` records of codes are held at a
    time. Test duplicates and the overlap with training records are found
    by content hashes (see :func:`bioseq.data.store_records.hash_record_codes`).

    Parameters
    ----------
    store : path-like
        Store written by ``bioseq preprocess``.
    split : str or None, default=None
        Evaluate only the records of this split of the store.
    read_options : dict or None, default=None
        ``classes``, ``task``, ``alphabet``, ``split_map`` and
        ``positive_class``, as for :func:`bioseq.io.load.load_sequences`;
        unless given, the model's alphabet, task and classes are used.
    chunk_size : int, default=50000
        Records of codes read at a time.

    The other parameters are those of :func:`evaluate_model`.

    Raises
    ------
    StoreError
        If the store is missing, incomplete or corrupt.
    ConfigError
        If ``split`` names a split the store does not have.
    LabelError
        If the store has no labels, or labels the model does not know.
    """
    from bioseq.data.store_records import hash_record_codes, read_store_records
    from bioseq.io.store_stream import iter_store

    predictor = Predictor.load(model_or_run, device=device, truncate=truncate, pad=pad)
    positive = resolve_positive_class(predictor, positive_class)
    options = {"alphabet": predictor.spec.alphabet, "task": predictor.task,
               **(read_options or {})}
    if predictor.task in ("binary", "multiclass"):
        options.setdefault("classes", predictor.class_names)
    records = read_store_records(store, content_keys=False, **options)  # type: ignore[arg-type]
    records.content_keys = np.zeros((len(records), 2), dtype=np.uint64)
    selected = np.ones(len(records), dtype=bool)
    if split is not None:
        if records.splits is None or not np.any(records.splits == split):
            present = [] if records.splits is None else sorted(set(records.splits.tolist()))
            raise ConfigError(f"{store} has no records in split {split!r}; splits present: "
                              f"{present}; pass one of them to --split or drop --split")
        selected = records.splits == split
    y_true = align_labels(records.subset(selected), predictor.class_names, predictor.task)

    parts = []
    start = 0
    checked = not alphabet_check
    for chunk in iter_store(store, chunk_size, alphabet=predictor.spec.alphabet, labels=False):
        rows = np.arange(start, start + len(chunk))
        start += len(chunk)
        records.content_keys[rows] = hash_record_codes(chunk.codes, chunk.offsets)
        chosen = chunk.subset(selected[rows])
        if len(chosen) and not checked:
            predictor.check_input_alphabet(chosen)
            checked = True
        parts.append(predictor.score(chosen, batch_size=batch_size,
                                     reverse_complement=reverse_complement))
    scores = np.concatenate(parts) if parts else np.zeros(0)
    logger.info("scored %d records of store %s in chunks of %d", int(selected.sum()), store,
                chunk_size)
    return _write_report(predictor, model_or_run, records.subset(selected), y_true, scores,
                         out_dir, reverse_complement=reverse_complement,
                         n_bootstrap=n_bootstrap, seed=seed, train_records=None,
                         positive=positive)
