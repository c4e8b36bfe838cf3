"""Snakemake script (rule report): render the report (HTML + PDF) from the declared tables and figures."""

from mlalab.report.render import render
from mlalab.runner import run

run(snakemake, render)  # noqa: F821 - injected by Snakemake
