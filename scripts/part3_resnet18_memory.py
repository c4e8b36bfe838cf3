"""Snakemake script (rule part3_resnet18_memory): weights vs activations and the per-layer table at one
batch size -> JSON."""

from mlalab.runner import run_job
from mlalab.stages.part3_resnet import memory_record

sm = snakemake  # noqa: F821 - injected by Snakemake
p = sm.params
run_job(memory_record, sm.output[0], sm.log[0], sm.threads, batch_size=p.batch_size, image_size=p.image_size,
        device=p.device)
