"""Snakemake script: ResNet18 params and MACs by every counter (rule part3_resnet18_counts)."""

from mlalab.runner import run
from mlalab.stages.part3 import resnet18_counts

run(snakemake, resnet18_counts, record_failures=True)  # noqa: F821 - injected by Snakemake
