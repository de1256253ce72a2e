# Evaluate every trained run on its held-out data.


def evaluate_input(wildcards):
    inputs = {"model": rules.train.output.model.format(**wildcards)}
    if wildcards.partition == "holdout":
        inputs["data"] = test_files(wildcards.dataset)
    else:
        inputs["data"] = fold_file(wildcards, "test")
    return inputs


def evaluate_loader(wildcards):
    if wildcards.partition == "holdout":
        return loader_flags(dataset_loader(wildcards.dataset))
    return loader_flags(fold_loader(wildcards.dataset))


rule evaluate:
    input:
        unpack(evaluate_input),
    output:
        metrics=f"{RESULTS}/evaluations/{{dataset}}/{{model}}/{{partition}}/seed{{seed}}/metrics.json",
        report=report(
            f"{RESULTS}/evaluations/{{dataset}}/{{model}}/{{partition}}/seed{{seed}}/report.html",
            caption="../report/evaluation.rst",
            category="Evaluations",
            subcategory="{dataset}",
            labels={
                "model": "{model}",
                "partition": "{partition}",
                "seed": "{seed}",
            },
        ),
    log:
        f"{RESULTS}/logs/evaluate/{{dataset}}.{{model}}.{{partition}}.seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/evaluate/{{dataset}}.{{model}}.{{partition}}.seed{{seed}}.tsv"
    params:
        run=run_dir,
        out=evaluation_dir,
        data=lambda wildcards, input: " ".join(
            f"--data {shlex.quote(path)}" for path in as_list(input.data)
        ),
        loader=evaluate_loader,
    shell:
        "bioseq evaluate {params.run:q} {params.data} {params.loader}"
        " --out {params.out:q} 2> {log:q}"
