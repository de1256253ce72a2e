# One comparison report over the whole grid.


rule report:
    input:
        evaluation_outputs(),
    output:
        html=report(
            f"{RESULTS}/comparison.html",
            caption="../report/comparison.rst",
            category="Comparison",
        ),
        table=report(
            f"{RESULTS}/comparison.csv",
            caption="../report/comparison_table.rst",
            category="Comparison",
        ),
    conda:
        "../envs/bioseq.yaml"
    log:
        f"{RESULTS}/logs/report.log",
    params:
        folders=lambda wildcards, input: " ".join(
            shlex.quote(str(Path(path).parent)) for path in input
        ),
        out=lambda wildcards, output: str(Path(output.html).parent),
    shell:
        "bioseq report {params.folders} --out {params.out:q} > {log:q} 2>&1"
