"""Snakemake script (rule compare): the results folders listed under `compare:` side by side (HTML + PDF)."""

from mlalab.report.compare import compare_folders
from mlalab.runner import run

run(snakemake, compare_folders)  # noqa: F821 - injected by Snakemake
