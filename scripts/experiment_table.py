"""Snakemake script: aggregate one experiment's runs into {experiment}.csv and {experiment}_layers.csv."""

from pathlib import Path

import pandas as pd

from mlalab.io import read_json, write_csv
from mlalab.joblog import JobLog
from mlalab.stages.tables import experiment_table, layers_table

sm = snakemake  # noqa: F821 - injected by Snakemake
log = JobLog(sm.log[0])
rows = sm.params.rows
metrics = {Path(p).parent.name: read_json(p) for p in sm.input.metrics}
timings = {Path(p).parent.name: read_json(p) for p in sm.input.timings}
profiles = {Path(p).parent.name: read_json(p) for p in sm.input.profiles}
# as text: shapes like "32" must stay shapes, not become numbers
layer_frames = {Path(p).parent.name: pd.read_csv(p, dtype=str, keep_default_na=False) for p in sm.input.layers}
table = experiment_table(rows, metrics, timings, profiles)
write_csv(sm.output.table, table)
variants = list(dict.fromkeys((r["label"], r["model"]) for r in rows))
write_csv(sm.output.layers, layers_table(rows[0]["experiment"], variants, layer_frames))
log(f"{len(table)} rows, {int((table['status'] != 'ok').sum())} failed")
