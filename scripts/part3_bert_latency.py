"""Snakemake script (rule part3_bert_latency): latency of one BERT-base batch -> JSON."""

from mlalab.part3.bert import latency_record
from mlalab.part3.job import run_job

sm = snakemake  # noqa: F821 - injected by Snakemake
p = sm.params
run_job(latency_record, sm.output[0], sm.log[0], sm.threads, batch_size=p.batch_size, seq_len=p.seq_len,
        precision=p.precision, attn_implementation=p.attn_implementation, device=p.device,
        warmup=p.timing["warmup"], repeats=p.timing["repeats"])
