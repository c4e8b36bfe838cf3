"""Snakemake script (rule part3_bert_gemms): GEMM inventory traced inside encoder.layer[0] -> JSON."""

from mlalab.part3.bert import gemm_record
from mlalab.part3.job import run_job

sm = snakemake  # noqa: F821 - injected by Snakemake
p = sm.params
run_job(gemm_record, sm.output[0], sm.log[0], sm.threads, batch_size=p.batch_size, seq_len=p.seq_len,
        block=p.block)
