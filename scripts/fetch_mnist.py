"""Snakemake script: provide verified MNIST IDX files (rule mnist)."""

from pathlib import Path

from mlalab.joblog import JobLog
from mlalab.stages.data import fetch

log = JobLog(snakemake.log[0])  # noqa: F821 - injected by Snakemake
fetch(Path(snakemake.output[0]).parent, snakemake.params.mnist_dir, log=log)  # noqa: F821
