# Train one model on one data set, partition and seed.
#
# The training job declares one GPU; the SLURM profile turns it into
# `sbatch --gpus=1` and `bioseq train --devices auto` uses what it is given
# (the CPU when no CUDA device is visible). Memory, runtime and retries come
# from the profiles. The run directory keeps checkpoints/last.ckpt, which is
# not a declared output, so a retry or a rerun after a killed job resumes from
# it (--resume auto) while the declared model file appears only at the end.


rule train:
    input:
        unpack(train_input),
    output:
        model=f"{RESULTS}/runs/{{dataset}}.{{model}}.{{partition}}.seed{{seed}}/model.safetensors",
    conda:
        "../envs/bioseq.yaml"
    log:
        f"{RESULTS}/logs/train/{{dataset}}.{{model}}.{{partition}}.seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train/{{dataset}}.{{model}}.{{partition}}.seed{{seed}}.tsv"
    params:
        run=run_dir,
        data=train_data_flags,
        model=lambda wildcards: model_flags(wildcards.model),
        devices=TRAIN_OPTIONS.get("devices", "auto"),
        precision=TRAIN_OPTIONS.get("precision", "auto"),
        accelerator=TRAIN_OPTIONS.get("accelerator", "auto"),
    resources:
        gpu=1,
    shell:
        "echo \"train: attempt resources mem_mb={resources.mem_mb} runtime={resources.runtime}"
        " CUDA_VISIBLE_DEVICES=${{CUDA_VISIBLE_DEVICES:-unset}}\" > {log:q}; "
        "bioseq train {params.data} {params.model}"
        " --out {params.run:q} --seed {wildcards.seed} --devices {params.devices}"
        " --accelerator {params.accelerator}"
        " --precision {params.precision} --resume auto >> {log:q} 2>&1"
