# Helpers shared by the rules: the run grid, output paths and the flags that
# turn config entries into bioseq command-line options.

import shlex
from pathlib import Path

RESULTS = config.get("results", "results")
GRID = config.get("grid", {})
SEEDS = GRID.get("seeds", [0])
N_FOLDS = GRID.get("folds", 0)
FOLD_SEED = GRID.get("fold_seed", 0)
TRAIN_OPTIONS = config.get("train", {})

# Partition "holdout" trains on the training files and evaluates on the test
# files; "fold3" trains on every fold but 3 and evaluates on fold 3.
PARTITIONS = [f"fold{k}" for k in range(N_FOLDS)] if N_FOLDS >= 2 else ["holdout"]

# Columns of the fold files that `bioseq workflow split-folds` writes.
FOLD_LOADER = {"format": "csv", "sequence_column": "sequence", "id_column": "id"}

wildcard_constraints:
    dataset="[A-Za-z0-9][A-Za-z0-9_-]*",
    model="[A-Za-z0-9][A-Za-z0-9_-]*",
    partition="holdout|fold[0-9]+",
    seed="[0-9]+",


def as_list(value):
    return [value] if isinstance(value, str) else list(value)


for _name, _dataset in config["datasets"].items():
    if N_FOLDS < 2 and "test" not in _dataset:
        raise ValueError(
            f"data set {_name!r} has no 'test' files; add datasets.{_name}.test "
            f"or set grid.folds to 2 or more"
        )


def loader_flags(options):
    """Return loader options as bioseq flags: {'label_column': ['a', 'b']} -> --label-column a --label-column b."""
    flags = []
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        for item in as_list(value) if isinstance(value, list) else [value]:
            flags += [flag, str(item)]
    return " ".join(shlex.quote(part) for part in flags)


def dataset_loader(dataset):
    return config["datasets"][dataset].get("loader", {})


def fold_loader(dataset):
    # Fold files are CSV with fixed column names; alphabet and task carry over.
    options = dict(FOLD_LOADER)
    loader = dataset_loader(dataset)
    for key in ("alphabet", "task"):
        if key in loader:
            options[key] = loader[key]
    label_columns = as_list(loader.get("label_column", "label"))
    options["label_column"] = label_columns if loader.get("task") == "multilabel" else "label"
    return options


def train_files(dataset):
    return as_list(config["datasets"][dataset]["train"])


def test_files(dataset):
    return as_list(config["datasets"][dataset]["test"])


def fold_path(dataset, fold, part):
    return f"{RESULTS}/{dataset}/folds/fold{fold}.{part}.csv"


def run_dir(wildcards):
    return f"{RESULTS}/runs/{wildcards.dataset}/{wildcards.model}/{wildcards.partition}/seed{wildcards.seed}"


def evaluation_dir(wildcards):
    return f"{RESULTS}/evaluations/{wildcards.dataset}/{wildcards.model}/{wildcards.partition}/seed{wildcards.seed}"


def grid_entries():
    """Yield every (dataset, model, partition, seed) run of the grid."""
    for dataset in config["datasets"]:
        for model in config["models"]:
            for partition in PARTITIONS:
                for seed in SEEDS:
                    yield dataset, model, partition, seed


def model_flags(model):
    """Return the bioseq train flags of one models entry, except --batch-size."""
    entry = config["models"][model]
    flags = ["--model", entry["preset"]]
    if "config" in entry:
        flags += ["--config", entry["config"]]
    if "epochs" in entry:
        flags += ["--epochs", str(entry["epochs"])]
    if "lr" in entry:
        flags += ["--lr", str(entry["lr"])]
    return " ".join(shlex.quote(part) for part in flags)


def batch_size_for_attempt(wildcards, attempt):
    """Return the model's batch size, halved on every retry (at least 1).

    A resource rather than a param, because Snakemake re-evaluates resources
    for each attempt but computes params once.
    """
    base = config["models"][wildcards.model].get("batch_size", 0)
    if not base:
        return 0
    return max(1, base // 2 ** (attempt - 1))
