"""Snakemake script: params, MACs, memory and first-block GEMMs of one `part3.models` model (rule part3_model)."""

from mlalab.runner import run
from mlalab.stages.part3 import model_profile

run(snakemake, model_profile, record_failures=True)  # noqa: F821 - injected by Snakemake
