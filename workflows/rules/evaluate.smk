# Evaluate every trained run on its held-out data.


rule evaluate:
    input:
        unpack(evaluate_input),
    output:
        metrics=f"{RESULTS}/evaluations/{{dataset}}.{{model}}.{{partition}}.seed{{seed}}/metrics.json",
        report=report(
            f"{RESULTS}/evaluations/{{dataset}}.{{model}}.{{partition}}.seed{{seed}}/report.html",
            caption="../report/evaluation.rst",
            category="Evaluations",
            subcategory="{dataset}",
            labels={"model": "{model}", "partition": "{partition}", "seed": "{seed}"},
        ),
        plots=report(
            directory(
                f"{RESULTS}/evaluations/{{dataset}}.{{model}}.{{partition}}.seed{{seed}}/plots"
            ),
            patterns=["{name}.png"],
            caption="../report/plot.rst",
            category="Plots",
            subcategory="{dataset}",
            labels={
                "model": "{model}",
                "partition": "{partition}",
                "seed": "{seed}",
                "plot": "{name}",
            },
        ),
    conda:
        "../envs/bioseq.yaml"
    log:
        f"{RESULTS}/logs/evaluate/{{dataset}}.{{model}}.{{partition}}.seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/evaluate/{{dataset}}.{{model}}.{{partition}}.seed{{seed}}.tsv"
    params:
        run=run_dir,
        out=lambda wildcards, output: str(Path(output.metrics).parent),
        data=evaluate_data_flags,
    shell:
        "bioseq evaluate {params.run:q} {params.data}"
        " --out {params.out:q} > {log:q} 2>&1"
