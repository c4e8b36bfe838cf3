"""Snakemake script (rule part3_bert_counts): BERT-base params and MACs by every counter, config -> JSON."""

from mlalab.part3.bert import counts_record
from mlalab.part3.job import run_job

sm = snakemake  # noqa: F821 - injected by Snakemake
run_job(counts_record, sm.output[0], sm.log[0], sm.threads, seq_len=sm.params.seq_len)
