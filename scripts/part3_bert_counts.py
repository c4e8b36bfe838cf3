"""Snakemake script (rule part3_bert_counts): BERT-base params and MACs by every counter, config -> JSON."""

from mlalab.runner import run_job
from mlalab.stages.part3_bert import counts_record

sm = snakemake  # noqa: F821 - injected by Snakemake
run_job(counts_record, sm.output[0], sm.log[0], sm.threads, seq_len=sm.params.seq_len)
