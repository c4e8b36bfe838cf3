"""Snakemake script: the four verified MNIST IDX files (rule mnist).

`mnist_dir` comes from the config here, not from the rule's params: where the files come from must not make
Snakemake rerun the data step (see workflow/rules/data.smk)."""

from mlalab.runner import run
from mlalab.stages.data import fetch_mnist_from

run(snakemake, fetch_mnist_from(snakemake.config["mnist_dir"]))  # noqa: F821 - injected by Snakemake
