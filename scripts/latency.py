"""Snakemake script: the latency record of one (model, precision, batch size) (rule latency)."""

from mlalab.runner import run
from mlalab.stages.latency import measure_latency

run(snakemake, measure_latency, record_failures=True)  # noqa: F821 - injected by Snakemake
