"""Snakemake script: params, MACs, shapes and the per-layer table of one MNIST architecture (rule profile)."""

from mlalab.runner import run
from mlalab.stages.profile import profile

run(snakemake, profile)  # noqa: F821 - injected by Snakemake
