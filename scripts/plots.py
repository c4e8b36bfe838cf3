"""Snakemake script: the report's figures from the tables (rule report_plots)."""

from mlalab.joblog import JobLog
from mlalab.report import plots
from mlalab.report.render import read_table

sm = snakemake  # noqa: F821 - injected by Snakemake
log = JobLog(sm.log[0])
p = sm.params
tables = {name: read_table(path) for name, path in p.tables.items()}
batch_tables = {name: tables[name] for name in p.batch_experiments}
plots.training_time_vs_batch(batch_tables, p.plots["training_time_vs_batch"])
series = {f"{name} ({tables[name]['kind'].iloc[0].upper() if tables[name] is not None and len(tables[name]) else ''})": t
          for name, t in batch_tables.items()}
names = {"part3_resnet18_latency": "ResNet18", "part3_bert_latency": "BERT-base"}
for table, path in p.part3.items():
    frame = read_table(path)
    if frame is not None and "precision" in frame.columns:   # fp32 rows only: the bf16 rows are the precision study
        frame = frame[frame["precision"].astype(str) == "fp32"]
    if frame is not None:  # Part 3 tables name the latency columns median_s / p10_s / p90_s
        frame = frame.rename(columns={"median_s": "latency_median_s", "p10_s": "latency_p10_s",
                                      "p90_s": "latency_p90_s"})
    series[names.get(table, table)] = frame
plots.latency_throughput_vs_batch(series, p.plots["latency_throughput_vs_batch"])
plots.accuracy_vs_params({name: tables[name] for name in p.tables}, p.plots["accuracy_vs_params"])
for name, path in p.layer_tables.items():
    exp = name[: -len("_layers")]
    plots.layers_figure(read_table(path), list(p.batches), p.plots[f"{exp}_layers"])
if "precision_summary" in p.plots:
    precision = snakemake.input.precision  # noqa: F821 - injected by Snakemake
    plots.precision_figure(read_table(precision[0]) if precision else None, p.plots["precision_summary"])
log(f"wrote {len(p.plots)} figures")
