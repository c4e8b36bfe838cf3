"""Snakemake script (rule part3_resnet18_counts): ResNet18 params and MACs by thop / aten / analytic -> JSON."""

from mlalab.runner import run_job
from mlalab.stages.part3_resnet import counts_record

sm = snakemake  # noqa: F821 - injected by Snakemake
run_job(counts_record, sm.output[0], sm.log[0], sm.threads, image_size=sm.params.image_size)
