"""Snakemake script: train and evaluate one MNIST run (rule train); a failure is recorded, not raised."""

from pathlib import Path

from mlalab.joblog import JobLog
from mlalab.stages.train_job import train_run

sm = snakemake  # noqa: F821 - injected by Snakemake
train_run(sm.params.spec, sm.params.data, sm.params.device, Path(sm.input.data[0]).parent, sm.threads,
          sm.output.metrics, sm.output.model, JobLog(sm.log[0]))
