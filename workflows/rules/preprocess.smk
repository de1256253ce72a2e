# Encode training files into an HDF5 store, and split them into folds.


rule preprocess:
    input:
        lambda wildcards: train_files(wildcards.dataset),
    output:
        store=f"{RESULTS}/{{dataset}}/train.h5",
    conda:
        "../envs/bioseq.yaml"
    log:
        f"{RESULTS}/logs/preprocess/{{dataset}}.log",
    params:
        sources=lambda wildcards: " ".join(
            shlex.quote(source) for source in train_sources(wildcards.dataset)
        ),
        loader=lambda wildcards: loader_flags(dataset_loader(wildcards.dataset)),
    shell:
        "bioseq preprocess {params.sources} --out {output.store:q} {params.loader} > {log:q} 2>&1"


# A checkpoint whose fold files are all declared outputs, requested by path
# (see fold_file), so a deleted fold file is made again by rerunning the split.
checkpoint split_folds:
    input:
        lambda wildcards: train_files(wildcards.dataset),
    output:
        expand(
            f"{RESULTS}/{{{{dataset}}}}/folds/fold{{fold}}.{{part}}.csv",
            fold=range(N_FOLDS),
            part=["train", "test"],
        ),
    conda:
        "../envs/bioseq.yaml"
    log:
        f"{RESULTS}/logs/split_folds/{{dataset}}.log",
    params:
        data=lambda wildcards: data_flags(train_sources(wildcards.dataset)),
        loader=lambda wildcards: loader_flags(dataset_loader(wildcards.dataset)),
        folder=lambda wildcards, output: str(Path(output[0]).parent),
        n_folds=N_FOLDS,
        seed=FOLD_SEED,
    shell:
        "bioseq workflow split-folds {params.data} --folds {params.n_folds} --seed {params.seed}"
        " --out {params.folder:q} {params.loader} > {log:q} 2>&1"
