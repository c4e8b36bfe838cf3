"""Snakemake script: render the report (HTML + PDF) from the declared tables and figures (rule report)."""

from mlalab.joblog import JobLog
from mlalab.report import provenance
from mlalab.report.render import device_summary, read_table, render_report

sm = snakemake  # noqa: F821 - injected by Snakemake
log = JobLog(sm.log[0])
p = sm.params
device, threads = device_summary({name: read_table(path) for name, path in p.tables.items()})
prov = provenance.collect(dict(p.config), p.benchmarks, device_used=device, threads=threads)
sentences = {}
try:  # issue 6's sentence functions, when their tables are part of this run
    import pandas as pd

    from mlalab.stages import precision as _precision
    from mlalab.stages import roofline as _roofline
    if "roofline" in p.tables:
        sentences.setdefault("efficiency", []).extend(_roofline.roofline_sentences(pd.read_csv(p.tables["roofline"])))
    if "precision" in p.tables:
        sentences.setdefault("efficiency", []).extend(_precision.precision_sentences(pd.read_csv(p.tables["precision"])))
    for s in sentences.get("efficiency", []):  # the report writes its own summary (answers.efficiency_facts)
        log(s)
except Exception as exc:  # noqa: BLE001 - the report still renders the tables
    log(f"efficiency sentences skipped: {type(exc).__name__}: {exc}")
render_report(dict(p.config), dict(p.tables), dict(p.figures), dict(p.diagrams), dict(p.onnx),
              sm.output.html, sm.output.pdf, prov)
log(f"wrote {sm.output.html} and {sm.output.pdf}")
