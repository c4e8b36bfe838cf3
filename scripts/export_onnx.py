"""Snakemake script: one model to ONNX (rule onnx)."""

from mlalab.measure.onnx_export import export_model
from mlalab.runner import run

run(snakemake, export_model)  # noqa: F821 - injected by Snakemake
