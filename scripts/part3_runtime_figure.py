"""Snakemake script: one Part 3 model's latency and throughput per batch across runtimes (rule part3_figure)."""

from mlalab.report.plots import part3_runtime_figure
from mlalab.runner import run

run(snakemake, part3_runtime_figure)  # noqa: F821 - injected by Snakemake
