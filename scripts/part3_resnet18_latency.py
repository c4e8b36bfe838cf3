"""Snakemake script (rule part3_resnet18_latency): latency of one ResNet18 batch -> JSON."""

from mlalab.runner import run_job
from mlalab.stages.part3_resnet import latency_record

sm = snakemake  # noqa: F821 - injected by Snakemake
p = sm.params
run_job(latency_record, sm.output[0], sm.log[0], sm.threads, batch_size=p.batch_size, image_size=p.image_size,
        precision=p.precision, device=p.device, warmup=p.timing["warmup"], repeats=p.timing["repeats"])
