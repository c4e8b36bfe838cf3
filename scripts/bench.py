"""Snakemake script: time inference for one MNIST run (rule bench); a failure is recorded, not raised."""

from pathlib import Path

from mlalab.joblog import JobLog
from mlalab.stages.bench_job import bench_run

sm = snakemake  # noqa: F821 - injected by Snakemake
bench_run(sm.params.spec, sm.params.data, sm.params.timing, sm.params.device, Path(sm.input.data[0]).parent,
          sm.threads, sm.output.timing, JobLog(sm.log[0]))
