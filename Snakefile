# bioseq workflow: preprocess -> train -> evaluate -> one comparison report.
#
# Run it through the wrapper, which builds a command line that works with the
# pinned Snakemake 9 (targets first, then the profile):
#   bioseq workflow run --profile workflows/profiles/local
#   bioseq workflow run --profile workflows/profiles/slurm --configfile my.yaml results/report.html
# docs/workflow.md describes the config keys, the profiles and the outputs.

from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "workflows/config/config.yaml"


validate(config, "workflows/schemas/config.schema.yaml")


report: "workflows/report/workflow.rst"


include: "workflows/rules/common.smk"
include: "workflows/rules/preprocess.smk"
include: "workflows/rules/train.smk"
include: "workflows/rules/evaluate.smk"
include: "workflows/rules/report.smk"


rule all:
    input:
        comparison_outputs(),
    default_target: True
