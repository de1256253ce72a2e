# Encode training files into an HDF5 store, and split them into folds.


rule preprocess:
    input:
        lambda wildcards: train_files(wildcards.dataset),
    output:
        store=f"{RESULTS}/{{dataset}}/train.h5",
    log:
        f"{RESULTS}/logs/preprocess/{{dataset}}.log",
    params:
        loader=lambda wildcards: loader_flags(dataset_loader(wildcards.dataset)),
    shell:
        "bioseq preprocess {input:q} --out {output.store:q} {params.loader} 2> {log:q}"


# A checkpoint whose fold files are all declared outputs: when one of them is
# deleted, Snakemake sees the output missing and runs the split again.
checkpoint split_folds:
    input:
        lambda wildcards: train_files(wildcards.dataset),
    output:
        expand(
            f"{RESULTS}/{{{{dataset}}}}/folds/fold{{fold}}.{{part}}.csv",
            fold=range(N_FOLDS),
            part=["train", "test"],
        ),
    log:
        f"{RESULTS}/logs/split_folds/{{dataset}}.log",
    params:
        loader=lambda wildcards: loader_flags(dataset_loader(wildcards.dataset)),
        folder=lambda wildcards: f"{RESULTS}/{wildcards.dataset}/folds",
    shell:
        "bioseq workflow split-folds {input:q} --folds {N_FOLDS} --seed {FOLD_SEED}"
        " --out {params.folder:q} {params.loader} 2> {log:q}"


def fold_file(wildcards, part):
    """Return one fold file, asking the split_folds checkpoint to run first."""
    fold = int(wildcards.partition.removeprefix("fold"))
    outputs = checkpoints.split_folds.get(dataset=wildcards.dataset).output
    path = fold_path(wildcards.dataset, fold, part)
    if path not in outputs:
        raise ValueError(
            f"{path} is not an output of rule split_folds for data set "
            f"{wildcards.dataset!r}; grid.folds is {N_FOLDS}"
        )
    return path
