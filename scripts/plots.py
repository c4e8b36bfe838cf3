"""Snakemake script (rule report_plots): the report's figures from the tables."""

from mlalab.report.plots import draw_plots
from mlalab.runner import run

run(snakemake, draw_plots)  # noqa: F821 - injected by Snakemake
