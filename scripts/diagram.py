"""Snakemake script: draw one MNIST architecture from its per-layer table (rule diagram)."""

from mlalab.joblog import JobLog
from mlalab.report.diagram import write_diagram
from mlalab.report.render import read_table

sm = snakemake  # noqa: F821 - injected by Snakemake
how = write_diagram(read_table(sm.input.layers), sm.output[0], batch=1)
JobLog(sm.log[0])(f"drew {sm.output[0]} with {how}")
