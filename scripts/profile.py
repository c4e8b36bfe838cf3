"""Snakemake script: profile one MNIST architecture (rule profile)."""

from mlalab.joblog import JobLog
from mlalab.stages.profiling import profile_model

sm = snakemake  # noqa: F821 - injected by Snakemake
profile_model(sm.params.spec, sm.params.batches, sm.output.profile, sm.output.layers, JobLog(sm.log[0]))
