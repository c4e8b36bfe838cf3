"""Snakemake script: BERT-base params and MACs by every counter (rule part3_bert_counts)."""

from mlalab.runner import run
from mlalab.stages.part3 import bert_counts

run(snakemake, bert_counts, record_failures=True)  # noqa: F821 - injected by Snakemake
