"""Snakemake script: every latency record in one table (rule latency_table)."""

from mlalab.runner import run
from mlalab.stages.tables import latency_table

run(snakemake, latency_table)  # noqa: F821 - injected by Snakemake
