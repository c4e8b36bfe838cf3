"""Snakemake script (rule part3_resnet18_q1): Q1, N images one at a time vs as one batch -> JSON."""

from mlalab.runner import run_job
from mlalab.stages.part3_resnet import q1_record

sm = snakemake  # noqa: F821 - injected by Snakemake
p = sm.params
run_job(q1_record, sm.output[0], sm.log[0], sm.threads, images=p.images, image_size=p.image_size,
        device=p.device, warmup=p.warmup, repeats=p.repeats)
