"""Snakemake script: the GEMM inventory of BERT encoder.layer[0] (rule part3_bert_gemms)."""

from mlalab.runner import run
from mlalab.stages.part3 import bert_gemms

run(snakemake, bert_gemms, record_failures=True)  # noqa: F821 - injected by Snakemake
