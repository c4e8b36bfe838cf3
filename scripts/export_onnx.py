"""Snakemake script: export one model to ONNX (rules onnx_mnist, onnx_part3)."""

from mlalab.joblog import JobLog
from mlalab.measure.onnx_export import export_mnist, export_part3

sm = snakemake  # noqa: F821 - injected by Snakemake
log = JobLog(sm.log[0])
if "spec" in sm.params.keys():
    info = export_mnist(sm.params.spec["kind"], sm.params.spec["model"], sm.output[0])
else:
    info = export_part3(sm.params.net, sm.output[0], image_size=sm.params.image_size, seq_len=sm.params.seq_len)
log(f"exported {sm.output[0]} with the {info['exporter']} exporter, opset {info['opset']}, "
    f"{info['bytes'] / 2**20:.1f} MiB in {info['seconds']:.1f} s" + (f"; first tries: {info['errors']}" if info["errors"] else ""))
