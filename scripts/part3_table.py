"""Snakemake script: one Part 3 table from its records (rule part3_table)."""

from mlalab.runner import run
from mlalab.stages.part3_tables import part3_table

run(snakemake, part3_table)  # noqa: F821 - injected by Snakemake
