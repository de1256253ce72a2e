"""Train both model families on the real public data sets and report test scores.

Usage::

    nice -n 10 .venv/bin/python benchmarks/real_data.py --out results/real_data \
        [--sets human_tata_promoters amp_scanner_v2 uci_splice nrc_ncrna] [--families cnn transformer]

The data sets live in ``../shared/data`` (or ``BIOSEQ_SHARED_DATA``). Every
sequence is uppercased by the alphabet, and FASTA headers are never used as
features: the label comes from the file (AMP vs decoy) or the class token at
the end of the header (nRC), and the model gets only the residues. The results
table (Markdown) is printed and written to ``OUT/results.md``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np

from bioseq.sequences import SequenceSet
from bioseq.train.config import resolve_config
from bioseq.train.run import train_run

DATA = Path(os.environ.get("BIOSEQ_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def _open(path: Path):
    return gzip.open(path, "rt") if path.suffix == ".gz" else open(path)


def read_fasta_records(path: Path) -> list[tuple[str, str]]:
    """Return (header, sequence) pairs of a plain multi-line FASTA file."""
    records, header, parts = [], None, []
    with _open(path) as stream:
        for line in stream:
            line = line.strip()
            if line.startswith(">"):
                if header is not None:
                    records.append((header, "".join(parts)))
                header, parts = line[1:], []
            elif line:
                parts.append(line)
    if header is not None:
        records.append((header, "".join(parts)))
    return records


def _set(seqs, labels, splits, class_names, alphabet, task, ids=None) -> SequenceSet:
    return SequenceSet.from_strings(
        seqs, alphabet=alphabet, ids=ids, labels=np.asarray(labels, dtype=np.int64),
        class_names=class_names, task=task, splits=np.asarray(splits, dtype=object),
    )


def load_tata() -> SequenceSet:
    import pandas as pd

    folder = DATA / "human_tata_promoters"
    frames = []
    for split, name in (("train", "hs_TA_data_train.csv.gz"), ("valid", "hs_TA_data_val.csv"),
                        ("test", "hs_TA_data_test.csv")):
        frame = pd.read_csv(folder / name)
        frame["split"] = split
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    return _set(table["sequence"].astype(str).tolist(), table["class"].to_numpy(),
                table["split"].tolist(), ["non-promoter", "promoter"], "dna", "binary")


def load_amp() -> SequenceSet:
    folder = DATA / "amp_scanner_v2"
    seqs, labels, splits = [], [], []
    for split, tag in (("train", "tr"), ("valid", "eval"), ("test", "te")):
        for label, prefix in ((1, "AMP"), (0, "DECOY")):
            for _, sequence in read_fasta_records(folder / f"{prefix}.{tag}.fa"):
                seqs.append(sequence)
                labels.append(label)
                splits.append(split)
    return _set(seqs, labels, splits, ["non-AMP", "AMP"], "protein", "binary")


def load_splice() -> SequenceSet:
    import pandas as pd

    table = pd.read_csv(DATA / "uci_splice" / "splice.csv", skipinitialspace=True)
    names = ["EI", "IE", "N"]
    labels = table["label"].astype(str).str.strip().map(names.index).to_numpy()
    seqs = table["sequence"].astype(str).str.strip().tolist()
    ids = [f"splice{i}" for i in range(len(seqs))]
    return SequenceSet.from_strings(seqs, alphabet="dna", ids=ids, labels=labels.astype(np.int64),
                                    class_names=names, task="multiclass")


def load_nrc() -> SequenceSet:
    folder = DATA / "nrc_ncrna"
    seqs, classes, splits = [], [], []
    for split, name in (("train", "dataset_Rfam_6320_13classes.fasta.gz"),
                        ("test", "dataset_Rfam_validated_2600_13classes.fasta")):
        for header, sequence in read_fasta_records(folder / name):
            seqs.append(sequence)
            classes.append(header.split()[-1])
            splits.append(split)
    names = sorted(set(classes))
    labels = [names.index(c) for c in classes]
    return _set(seqs, labels, splits, names, "dna", "multiclass")


# Per data set: loader, headline metric, and the settings of each model family.
SETTINGS = {
    "human_tata_promoters": {
        # The signal is positional (the TATA box sits at a fixed offset from the TSS, and
        # negatives keep most of a promoter), so the CNN ends in a kernel wider than the pooled
        # length: its max over positions compares whole aligned templates.
        "load": load_tata, "metric": "auroc",
        "cnn": {"model": {"name": "cnn", "params": {
            "conv_layers": [{"filters": 32, "kernel_size": 9, "pool": 4},
                            {"filters": 32, "kernel_size": 151}],
            "global_pool": "max", "hidden": [32], "dropout": 0.2}},
            "trainer": {"epochs": 6, "batch_size": 64}},
        "transformer": {"model": {"name": "token-transformer", "params": {
            "d_model": 64, "n_heads": 4, "n_layers": 2, "positions": "learned",
            "pooling": "cls", "dropout": 0.1}},
            "input": {"k": 3, "stride": 3},
            "optimizer": {"lr": 0.002},
            "trainer": {"epochs": 12, "batch_size": 64}},
    },
    "amp_scanner_v2": {
        # 95% of the peptides are at most 100 residues; longer ones are cut on the right.
        "load": load_amp, "metric": "accuracy",
        "cnn": {"model": {"name": "cnn", "params": {
            "conv_layers": [{"filters": 64, "kernel_size": 7}, {"filters": 64, "kernel_size": 5}],
            "global_pool": "maxavg", "hidden": [64], "dropout": 0.3}},
            "input": {"max_len": 100, "truncate": "right"},
            "trainer": {"epochs": 12, "batch_size": 32, "early_stopping": 4,
                        "monitor": "val_accuracy"}},
        "transformer": {"model": {"name": "token-transformer", "params": {
            "d_model": 64, "n_heads": 4, "n_layers": 2, "dropout": 0.1}},
            "input": {"k": 1, "stride": 1, "max_len": 100, "truncate": "right"},
            "trainer": {"epochs": 12, "batch_size": 32, "early_stopping": 4,
                        "monitor": "val_accuracy"}},
    },
    "uci_splice": {
        # The splice junction sits at the centre (position 30), so the CNN again ends in a
        # kernel that spans the whole sequence.
        "load": load_splice, "metric": "accuracy",
        "cnn": {"model": {"name": "cnn", "params": {
            "conv_layers": [{"filters": 64, "kernel_size": 9}, {"filters": 64, "kernel_size": 61}],
            "global_pool": "max", "hidden": [64], "dropout": 0.3}},
            "optimizer": {"lr": 0.003},
            "trainer": {"epochs": 6, "batch_size": 64}},
        "transformer": {"model": {"name": "conv-transformer", "params": {
            "d_model": 64, "n_heads": 4, "n_layers": 2, "stem_pool": 1, "stem_kernel": 9,
            "positions": "learned", "pooling": "cls"}},
            "optimizer": {"lr": 0.002},
            "trainer": {"epochs": 12, "batch_size": 64}},
    },
    "nrc_ncrna": {
        # 99% of the RNAs are at most 493 nt; longer ones are cut to their first 512 nt.
        "load": load_nrc, "metric": "accuracy",
        "cnn": {"model": {"name": "cnn", "params": {
            "conv_layers": [{"filters": 64, "kernel_size": 9, "pool": 2},
                            {"filters": 96, "kernel_size": 7, "pool": 2},
                            {"filters": 128, "kernel_size": 5}],
            "global_pool": "maxavg", "hidden": [128], "dropout": 0.3}},
            "input": {"max_len": 512, "truncate": "right"},
            "trainer": {"epochs": 8, "batch_size": 64}},
        "transformer": {"model": {"name": "conv-transformer", "params": {
            "d_model": 64, "n_heads": 4, "n_layers": 2, "stem_pool": 4}},
            "input": {"max_len": 512, "truncate": "right"},
            "optimizer": {"lr": 0.002},
            "trainer": {"epochs": 12, "batch_size": 64}},
    },
}


def _config(settings: dict, family: str, seed: int, dedup: str = "report"):
    overrides = {key: dict(value) for key, value in settings[family].items()}
    overrides.setdefault("trainer", {})["seed"] = seed
    overrides["trainer"].setdefault("devices", "1")
    overrides["trainer"]["accelerator"] = "cpu"
    overrides["data"] = {"dedup": dedup, "val_fraction": 0.1, "test_fraction": 0.1}
    return resolve_config(overrides=overrides)


def run_fixed_split(name: str, family: str, out: Path, seed: int) -> dict:
    settings = SETTINGS[name]
    seqset = settings["load"]()
    started = time.time()
    result = train_run(_config(settings, family, seed), out / name / family, seqset)
    row = {"set": name, "family": family, "model": settings[family]["model"]["name"],
           "test_accuracy": result.metrics.get("test_accuracy"),
           "test_auroc": result.metrics.get("test_auroc"),
           "seconds": round(time.time() - started, 1),
           "epochs": result.manifest.get("epochs_run"),
           "n_parameters": result.manifest.get("n_parameters")}
    if name == "nrc_ncrna":
        row.update(_nrc_without_overlap(seqset, out / name / family))
    return row


def _nrc_without_overlap(seqset: SequenceSet, run: Path) -> dict:
    """Score the nRC test set again without the test sequences that also occur in training."""
    import torch

    from bioseq.models.modelfile import load_model
    from bioseq.train.run import evaluate_system
    from bioseq.train.system import SequenceSystem

    train = {seqset.codes_of(i).tobytes() for i in np.flatnonzero(seqset.splits == "train")}
    test_index = np.flatnonzero(seqset.splits == "test")
    unseen = [i for i in test_index if seqset.codes_of(i).tobytes() not in train]
    model, metadata = load_model(run / "model.safetensors")
    from bioseq.encode.batch import InputSpec
    from bioseq.tasks import get_task
    from bioseq.train.config import OptimizerConfig, ScheduleConfig

    spec = InputSpec.from_dict(metadata["input"])
    system = SequenceSystem(model, get_task(metadata["task"]), spec, OptimizerConfig(), ScheduleConfig())
    system.eval()
    with torch.no_grad():
        metrics = evaluate_system(system, seqset.subset(unseen), int(spec.length), 256)
    return {"n_test_overlap": len(test_index) - len(unseen),
            "test_accuracy_without_overlap": metrics["accuracy"]}


def run_cross_validation(name: str, family: str, out: Path, seed: int, folds: int = 5) -> dict:
    """Deduplicate, then stratified k-fold cross-validation; each fold trains on the rest."""
    from sklearn.model_selection import StratifiedKFold

    from bioseq.data.split import drop_duplicates

    settings = SETTINGS[name]
    seqset, dropped = drop_duplicates(settings["load"]())
    started = time.time()
    accuracies = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for fold, (rest, test) in enumerate(splitter.split(np.zeros(len(seqset)), seqset.labels)):
        splits = np.full(len(seqset), "train", dtype=object)
        splits[test] = "test"
        rng = np.random.default_rng(seed + fold)
        valid = rng.choice(rest, size=len(rest) // 10, replace=False)
        splits[valid] = "valid"
        seqset.splits = splits
        result = train_run(_config(settings, family, seed), out / name / family / f"fold{fold}",
                           seqset)
        accuracies.append(result.metrics["test_accuracy"])
    return {"set": name, "family": family, "model": settings[family]["model"]["name"],
            "test_accuracy": float(np.mean(accuracies)),
            "fold_accuracies": [round(a, 4) for a in accuracies],
            "dropped_duplicates": dropped, "seconds": round(time.time() - started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results/real_data"))
    parser.add_argument("--sets", nargs="+", default=list(SETTINGS))
    parser.add_argument("--families", nargs="+", default=["cnn", "transformer"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for family in args.families:
        for name in args.sets:
            if name == "uci_splice":
                row = run_cross_validation(name, family, args.out, args.seed)
            else:
                row = run_fixed_split(name, family, args.out, args.seed)
            rows.append(row)
            print(json.dumps(row), flush=True)
            with open(args.out / "results.jsonl", "a") as stream:
                stream.write(json.dumps(row) + "\n")
    print(" ".join(sys.argv))


if __name__ == "__main__":
    main()
