# mla-lab: rebuild the "ML accelerators, lab 1" report from scratch.  Run: snakemake --cores 4
from snakemake.utils import min_version

min_version("9.11")

import os

# The workflow's own defaults, also under `snakemake -s COPY/Snakefile -d OTHER` (from the workflow's folder this
# is plain "config.yaml"); files of the workflow are spelled from the working folder the same way (here()).
configfile: os.path.relpath(os.path.join(workflow.basedir, "config.yaml"))

from mlalab.plan import checks
from mlalab.plan.config import expand as expand_lab
from mlalab.plan.schema import validate

CONFIG_SOURCE = checks.sources(workflow)  # the files merged, named in every config error
# every bad key, one line each, named by its path; then every default of the schema filled in, once: the rules and
# the package read the config without fallbacks (workflow/schemas/config.schema.yaml, docs/config.md)
validate(config, source=CONFIG_SOURCE)
checks.check(config, expand_lab(config), CONFIG_SOURCE)  # repeated variants, batch > data, precision.models

from mlalab.io import hold_build_lock, sweep_temporaries
from mlalab.runner import mark_build

mark_build()  # jobs inherit the name of this build and end if it is killed (mlalab.runner)

include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/latency.smk"
include: "workflow/rules/profile.smk"
include: "workflow/rules/tables.smk"
include: "workflow/rules/part3.smk"
include: "workflow/rules/scenarios.smk"
include: "workflow/rules/efficiency.smk"
include: "workflow/rules/export.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/machine.smk"
include: "workflow/rules/compare.smk"

# Under a cluster executor these run on the submit host: each is seconds of pandas, matplotlib or WeasyPrint on
# files already there, where a cluster job would add a queue start and a nested Snakemake; `mnist` downloads, and
# compute nodes are often offline.  Nothing timed is among them.
localrules: mnist, experiment_table, latency_table, part3_table, part3_figure, roofline, report_plots, report, compare
localrules: part3_scenario_tables, part3_scenario_figure


onstart:
    # A real run with jobs to do (not -n, --list, --report) holds the results folder until this process ends;
    # a run of only `compare` reads other folders and takes no lock (mlalab.io).
    if {job.rule.name for job in workflow.dag.needrun_jobs()} - {"compare"}:
        hold_build_lock(R)
        for path in sweep_temporaries(R):
            print(f"removed {path}: the temporary file of a job that was killed", file=sys.stderr)


rule all:
    input:
        final_outputs(),
    default_target: True
