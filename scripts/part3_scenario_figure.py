"""Snakemake script: one model's latency percentiles against the offered rate (rule part3_scenario_figure)."""

from mlalab.report.scenario_plots import scenario_figure
from mlalab.runner import run

run(snakemake, scenario_figure)  # noqa: F821 - injected by Snakemake
