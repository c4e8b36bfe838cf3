"""Snakemake script: train and evaluate one MNIST run (rule train)."""

from mlalab.runner import run
from mlalab.stages.mnist import train

run(snakemake, train)  # noqa: F821 - injected by Snakemake
