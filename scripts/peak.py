"""Snakemake script: the machine's measured ceilings (rule peak)."""

from mlalab.runner import run
from mlalab.stages.peak import peak

run(snakemake, peak)  # noqa: F821 - injected by Snakemake
