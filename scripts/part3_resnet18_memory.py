"""Snakemake script: ResNet18 weights vs activations at one batch size (rule part3_resnet18_memory)."""

from mlalab.runner import run
from mlalab.stages.part3 import resnet18_memory

run(snakemake, resnet18_memory, record_failures=True)  # noqa: F821 - injected by Snakemake
