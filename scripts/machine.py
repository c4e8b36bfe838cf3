"""Snakemake script (rule machine): write {results}/machine.json, the folder's machine and settings summary."""

from mlalab.runner import run
from mlalab.stages.machine import describe_machine

run(snakemake, describe_machine)  # noqa: F821 - injected by Snakemake
