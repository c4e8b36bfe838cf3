"""Snakemake script: FP32 vs BF16 vs INT8 of each trained model (rule precision)."""

from mlalab.runner import run
from mlalab.stages.precision import precision_study

run(snakemake, precision_study)  # noqa: F821 - injected by Snakemake
