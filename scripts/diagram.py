"""Snakemake script (rule diagram): draw one MNIST architecture from its per-layer table."""

from mlalab.report.diagram import draw_diagram
from mlalab.runner import run

run(snakemake, draw_diagram)  # noqa: F821 - injected by Snakemake
