# mla-lab: rebuild the "ML accelerators, lab 1" report from scratch.  Run: snakemake --cores 4
from snakemake.utils import min_version, validate

min_version("9.11")

configfile: "config.yaml"

from mlalab.plan.schema import check as check_config

check_config(config)  # every bad key, one line each, named by its path
validate(config, "workflow/schemas/config.schema.yaml")

include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/latency.smk"
include: "workflow/rules/profile.smk"
include: "workflow/rules/tables.smk"
include: "workflow/rules/part3.smk"
include: "workflow/rules/efficiency.smk"
include: "workflow/rules/export.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        final_outputs(),
    default_target: True
