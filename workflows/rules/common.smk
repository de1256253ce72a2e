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

# Every run is named DATASET.MODEL.PARTITION.seedSEED (names contain no dots),
# under results/runs/ for training and results/evaluations/ for evaluation;
# bioseq report labels each run with that name.
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
    """Return loader options as bioseq flags.

    {'label_column': ['a', 'b']} becomes --label-column a --label-column b;
    a true boolean becomes a bare flag and a false one is left out.
    """
    flags = []
    for key, value in options.items():
        flag = f"--{key.replace('_', '-')}"
        if isinstance(value, bool):
            flags += [flag] if value else []
            continue
        for item in as_list(value) if isinstance(value, list) else [value]:
            flags += [flag, str(item)]
    return " ".join(shlex.quote(part) for part in flags)


def data_flags(paths):
    return " ".join(f"--data {shlex.quote(path)}" for path in as_list(paths))


def dataset_loader(dataset):
    return config["datasets"][dataset].get("loader", {})


def fold_loader(dataset):
    # Fold files are CSV with fixed column names; alphabet, task and the
    # declared classes carry over, so every fold keeps the same class order.
    options = dict(FOLD_LOADER)
    loader = dataset_loader(dataset)
    for key in ("alphabet", "task", "classes", "positive_class"):
        if key in loader:
            options[key] = loader[key]
    label_columns = as_list(loader.get("label_column", "label"))
    options["label_column"] = label_columns if loader.get("task") == "multilabel" else "label"
    return options


def source_path(source):
    """Return the file of a data source written [SPLIT:][CLASS=]PATH."""
    split, colon, rest = source.partition(":")
    if colon and split in ("train", "valid", "test"):
        source = rest
    label, equals, rest = source.partition("=")
    if equals and "/" not in label:
        source = rest
    return source


def train_sources(dataset):
    return as_list(config["datasets"][dataset]["train"])


def test_sources(dataset):
    return as_list(config["datasets"][dataset]["test"])


def train_files(dataset):
    return [source_path(source) for source in train_sources(dataset)]


def test_files(dataset):
    return [source_path(source) for source in test_sources(dataset)]


def fold_path(dataset, fold, part):
    return f"{RESULTS}/{dataset}/folds/fold{fold}.{part}.csv"


def run_dir(wildcards):
    return f"{RESULTS}/runs/{wildcards.dataset}.{wildcards.model}.{wildcards.partition}.seed{wildcards.seed}"


def grid_entries():
    """Yield every (dataset, model, partition, seed) run of the grid."""
    for dataset in config["datasets"]:
        for model in config["models"]:
            for partition in PARTITIONS:
                for seed in SEEDS:
                    yield dataset, model, partition, seed


def model_flags(model):
    """Return the bioseq train flags of one models entry.

    None of them depends on the attempt: a retry must repeat the epochs and
    batch size of the attempt it resumes, or bioseq train rejects the
    checkpoint. Only memory and runtime grow with the attempt (profiles).
    """
    entry = config["models"][model]
    flags = ["--model", entry["preset"]]
    if "config" in entry:
        flags += ["--config", entry["config"]]
    if "epochs" in entry:
        flags += ["--epochs", str(entry["epochs"])]
    if "batch_size" in entry:
        flags += ["--batch-size", str(entry["batch_size"])]
    if "lr" in entry:
        flags += ["--lr", str(entry["lr"])]
    for key, value in entry.get("params", {}).items():
        flags += ["--param", f"{key}={value}"]
    return " ".join(shlex.quote(part) for part in flags)



def fold_file(wildcards, part):
    """Return the fold file of this partition.

    The path is requested directly rather than through
    checkpoints.split_folds.get(): when one fold file has been deleted, the
    missing input makes Snakemake run split_folds again, whereas get() on
    Snakemake 9.27 treats the checkpoint as done and plans jobs whose input
    cannot be resolved.
    """
    fold = int(wildcards.partition.removeprefix("fold"))
    if fold >= N_FOLDS:
        raise ValueError(
            f"partition {wildcards.partition} does not exist: grid.folds is {N_FOLDS}"
        )
    return fold_path(wildcards.dataset, fold, part)


def uses_store(wildcards):
    return config["datasets"][wildcards.dataset].get("preprocess", False)


def train_input(wildcards):
    if wildcards.partition != "holdout":
        return {"data": fold_file(wildcards, "train")}
    if uses_store(wildcards):
        return {"data": f"{RESULTS}/{wildcards.dataset}/train.h5"}
    return {"data": train_files(wildcards.dataset)}


def train_data_flags(wildcards):
    """Return --data, loader and input-length flags of a training job."""
    length = loader_flags(config["datasets"][wildcards.dataset].get("length", {}))
    if wildcards.partition != "holdout":
        data = fold_path(wildcards.dataset, int(wildcards.partition[4:]), "train")
        return f"{data_flags(data)} {loader_flags(fold_loader(wildcards.dataset))} {length}"
    if uses_store(wildcards):
        # The store carries labels, classes and the alphabet.
        return f"{data_flags(f'{RESULTS}/{wildcards.dataset}/train.h5')} {length}"
    loader = loader_flags(dataset_loader(wildcards.dataset))
    return f"{data_flags(train_sources(wildcards.dataset))} {loader} {length}"


def evaluate_input(wildcards):
    inputs = {"model": rules.train.output.model.format(**wildcards)}
    if wildcards.partition == "holdout":
        inputs["data"] = test_files(wildcards.dataset)
    else:
        inputs["data"] = fold_file(wildcards, "test")
    return inputs


def evaluate_data_flags(wildcards):
    """Return --data and loader flags of an evaluation job."""
    if wildcards.partition != "holdout":
        data = fold_path(wildcards.dataset, int(wildcards.partition[4:]), "test")
        return f"{data_flags(data)} {loader_flags(fold_loader(wildcards.dataset))}"
    loader = loader_flags(dataset_loader(wildcards.dataset))
    return f"{data_flags(test_sources(wildcards.dataset))} {loader}"


def evaluation_outputs():
    return [
        rules.evaluate.output.metrics.format(
            dataset=dataset, model=model, partition=partition, seed=seed
        )
        for dataset, model, partition, seed in grid_entries()
    ]


def comparison_outputs():
    return [f"{RESULTS}/comparison.html", f"{RESULTS}/comparison.csv"]
