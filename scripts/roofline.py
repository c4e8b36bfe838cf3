"""Snakemake script: every fp32 latency record against the ceilings (rule roofline)."""

from mlalab.runner import run
from mlalab.stages.roofline import roofline

run(snakemake, roofline)  # noqa: F821 - injected by Snakemake
