"""Snakemake script: one experiment's table and per-layer table (rule experiment_table)."""

from mlalab.runner import run
from mlalab.stages.tables import experiment_tables

run(snakemake, experiment_tables)  # noqa: F821 - injected by Snakemake
