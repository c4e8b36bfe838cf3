"""Snakemake script: ResNet18 Q1, N images one at a time (rule part3_resnet18_q1)."""

from mlalab.runner import run
from mlalab.stages.part3 import q1_record

run(snakemake, q1_record, record_failures=True)  # noqa: F821 - injected by Snakemake
