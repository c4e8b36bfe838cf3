"""Snakemake script: one (model, runtime, MLPerf scenario) measured by LoadGen (rule part3_scenario)."""

from mlalab.runner import run
from mlalab.stages.scenarios import measure_scenario

run(snakemake, measure_scenario, record_failures=True)  # noqa: F821 - injected by Snakemake
