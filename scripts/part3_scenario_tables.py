"""Snakemake script: the scenario records as tables (rule part3_scenario_tables)."""

from mlalab.runner import run
from mlalab.stages.scenarios import scenario_tables

run(snakemake, scenario_tables)  # noqa: F821 - injected by Snakemake
