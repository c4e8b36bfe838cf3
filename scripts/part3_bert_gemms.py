"""Snakemake script (rule part3_bert_gemms): GEMM inventory traced inside encoder.layer[0] -> JSON."""

from mlalab.runner import run_job
from mlalab.stages.part3_bert import gemm_record

sm = snakemake  # noqa: F821 - injected by Snakemake
p = sm.params
run_job(gemm_record, sm.output[0], sm.log[0], sm.threads, batch_size=p.batch_size, seq_len=p.seq_len,
        block=p.block)
