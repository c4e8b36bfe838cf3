"""Snakemake script (rule part3_bert_latency): latency of one BERT-base batch -> JSON."""

from mlalab.runner import run_job
from mlalab.stages.part3_bert import latency_record

sm = snakemake  # noqa: F821 - injected by Snakemake
p = sm.params
run_job(latency_record, sm.output[0], sm.log[0], sm.threads, batch_size=p.batch_size, seq_len=p.seq_len,
        precision=p.precision, attn_implementation=p.attn_implementation, device=p.device,
        warmup=p.timing["warmup"], repeats=p.timing["repeats"])
