"""Snakemake script: the four verified MNIST IDX files (rule mnist)."""

from mlalab.runner import run
from mlalab.stages.data import fetch_mnist

run(snakemake, fetch_mnist)  # noqa: F821 - injected by Snakemake
