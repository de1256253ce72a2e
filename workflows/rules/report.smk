# One comparison report over the whole grid.


def evaluation_outputs():
    return [
        rules.evaluate.output.metrics.format(
            dataset=dataset, model=model, partition=partition, seed=seed
        )
        for dataset, model, partition, seed in grid_entries()
    ]


def comparison_outputs():
    return [f"{RESULTS}/report.html", f"{RESULTS}/comparison.csv"]


rule report:
    input:
        evaluation_outputs(),
    output:
        html=report(
            f"{RESULTS}/report.html",
            caption="../report/comparison.rst",
            category="Comparison",
        ),
        table=report(
            f"{RESULTS}/comparison.csv",
            caption="../report/comparison_table.rst",
            category="Comparison",
        ),
    log:
        f"{RESULTS}/logs/report.log",
    params:
        folders=lambda wildcards, input: " ".join(
            shlex.quote(str(Path(path).parent)) for path in input
        ),
        out=RESULTS,
    shell:
        "bioseq report {params.folders} --out {params.out:q} 2> {log:q}"
