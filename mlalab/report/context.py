"""What the templates see: config + tables (+ figures, diagrams, ONNX links) -> one context dict.

Python here only loads files and hands raw numbers and facts (mlalab.report.facts) to the templates; every
number is formatted by a filter (mlalab.report.filters) and every sentence is written by a template.
"""

from __future__ import annotations

import base64
import mimetypes
import os
from pathlib import Path

import pandas as pd

from mlalab.io import read_csv
from mlalab.report.facts.common import ok_rows
from mlalab.report.facts.efficiency import efficiency_facts
from mlalab.report.facts.methods import timing_facts
from mlalab.report.facts.mnist import batch_facts, layer_facts, precision_fact, variant_facts
from mlalab.report.facts.part3 import part3_facts
from mlalab.report.facts.scenarios import scenario_facts
from mlalab.report.facts.validation import validation_rows

TEXT_COLUMNS = ("label", "model", "name", "error", "precision", "runtime", "timing_method", "torch", "beside_jobs",
                "cores", "isolation", "latency_drift", "test_pass_agreement", "timing_stop", "timing_mode")


def read_table(path) -> pd.DataFrame | None:
    """A CSV as a DataFrame, or None when the file is absent or holds no table (that part is then reported as
    missing, never as an empty section); a damaged file (0 bytes, not a CSV) fails the report, naming it."""
    if not path or not os.path.exists(path):
        return None
    try:
        header = read_csv(path, nrows=0).columns
    except pd.errors.EmptyDataError:
        return None
    text = {c: str for c in header if "shape" in c or "dtype" in c or c in TEXT_COLUMNS}
    return read_csv(path, dtype=text)


def data_uri(path) -> str | None:
    """An image file as a data: URI, so the HTML is one self-contained file."""
    if not path or not os.path.exists(path):
        return None
    mime = mimetypes.guess_type(str(path))[0] or "application/octet-stream"
    if str(path).endswith(".svg"):
        mime = "image/svg+xml"
    return f"data:{mime};base64,{base64.b64encode(Path(path).read_bytes()).decode('ascii')}"


def records(frame: pd.DataFrame | None) -> list[dict]:
    if frame is None:
        return []
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def sweep_name(exp: dict) -> str:
    """What a variant sweep varies, from its title ('Part 1B: MLP, effect of width' -> 'width')."""
    title = str(exp["title"])
    return title.split("effect of ")[-1].removeprefix("the ").strip() if "effect of " in title else "variant"


def experiment_context(name: str, exp: dict, table: pd.DataFrame | None, layers: pd.DataFrame | None,
                       figures: dict, diagrams: dict, onnx: dict) -> dict:
    """One MNIST experiment: its rows, failed rows, facts (batch or variant sweep) and per-variant layers.
    Q1/Q2 use the experiment's own batch sizes (those its layer table was profiled at)."""
    role = "batch" if len(exp["batch_sizes"]) > 1 else "variants"
    profiled = set() if layers is None else {int(c[len("act_bytes_b"):]) for c in layers.columns
                                             if c.startswith("act_bytes_b")}
    activation_batches = [int(b) for b in exp["batch_sizes"] if int(b) in profiled]
    ctx = {"name": name, "title": exp["title"], "kind": exp["kind"], "role": role,
           "sweep": sweep_name(exp),
           "batch_sizes": exp["batch_sizes"], "variants": [str(v["label"]) for v in exp["variants"]],
           "present": table is not None, "rows": records(table), "failed": [], "facts": {}, "layers": [],
           "figures": {k: v for k, v in figures.items() if k.startswith(name + "_")},
           "activation_batches": activation_batches}
    if table is not None and len(table):
        ok = ok_rows(table)
        ctx["failed"] = records(table[~table.index.isin(ok.index)])
        ctx["facts"] = batch_facts(ok) if role == "batch" else variant_facts(ok, ctx["variants"], ctx["sweep"])
        if role == "batch" and len(ok):
            ctx["facts"]["precision"] = precision_fact(ok.iloc[0].to_dict())
    if layers is not None and len(layers):
        for label, group in layers.groupby("label", sort=False):
            model = str(group["model"].iloc[0])
            body = group[group["name"] != "total"]
            total = group[group["name"] == "total"]
            ctx["layers"].append({
                "label": str(label), "model": model, "rows": records(body),
                "total": records(total)[0] if len(total) else None,
                "facts": layer_facts(group, activation_batches),
                "diagram": diagrams.get(model), "onnx": onnx.get(model),
            })
    return ctx


def layers_by_batch(frame: pd.DataFrame) -> pd.DataFrame:
    """Part 3's long per-layer table (one row per layer call x batch) -> one row per layer call, activation
    shape and bytes per batch as columns (activation_shape_b{b}, activation_bytes_b{b}, and
    activation_new_bytes_b{b}: the storage it allocated, 0 in place), `batch_shape`: the shape with the batch
    dimension written B."""
    if frame is None or not len(frame):
        return frame
    batches = sorted(frame["batch_size"].dropna().unique())
    keys = ["layer", "call"]
    per_batch = [c for c in ("activation_shape", "activation_bytes", "activation_new_bytes") if c in frame.columns]
    base = frame[frame["batch_size"] == batches[0]].drop(columns=[*per_batch, "batch_size", "model"])
    first = frame[frame["batch_size"] == batches[0]]["activation_shape"].fillna("").astype(str)
    base = base.assign(batch_shape=["B" + s[s.index("x"):] if "x" in s else s for s in first])
    for b in batches:
        part = frame[frame["batch_size"] == b][keys + per_batch]
        part = part.rename(columns={c: f"{c}_b{int(b)}" for c in per_batch})
        base = base.merge(part, on=keys, how="left")
    return base


def planned_runs(config: dict) -> dict:
    """The plan's run table (run id -> kind, batch size, seed, ...), or {} for a config too partial to plan."""
    from mlalab.plan.config import expand
    try:
        return expand(config).runs
    except (KeyError, TypeError, ValueError):
        return {}


def build_context(config: dict, tables: dict[str, pd.DataFrame | None], figures: dict[str, str],
                  diagrams: dict[str, str], onnx: dict[str, str], provenance: dict) -> dict:
    """Everything the templates need. `tables` maps table names (file stems) to frames or None."""
    parts = {"mlp": [], "cnn": []}
    for name, exp in config["experiments"].items():
        ctx = experiment_context(name, exp, tables.get(name), tables.get(f"{name}_layers"), figures,
                                 diagrams, onnx)
        parts.setdefault(exp["kind"], []).append(ctx)
    part3 = {k[len("part3_"):]: v for k, v in tables.items() if k.startswith("part3_")}
    if part3.get("resnet18_layers") is not None:
        part3["resnet18_layers_wide"] = layers_by_batch(part3["resnet18_layers"])
        part3["resnet18_layer_batches"] = sorted(int(b) for b in part3["resnet18_layers"]["batch_size"].dropna().unique())
    efficiency = {k: v for k, v in tables.items() if k in ("roofline", "precision", "peak")}
    return {
        "config": config,
        "title": "ML accelerators — Lab 1",
        "parts": parts,
        "part3": {k: records(v) if isinstance(v, pd.DataFrame) else v for k, v in part3.items()},
        "part3_present": {k: v is not None for k, v in part3.items()},
        "part3_facts": part3_facts(part3),   # report.smk leaves `compare` out of its config: no comparison reruns it
        "scenario_facts": scenario_facts(part3),
        "efficiency": {k: records(v) if isinstance(v, pd.DataFrame) else v for k, v in efficiency.items()},
        "efficiency_facts": efficiency_facts(efficiency, planned_runs(config)),
        "figures": figures,
        "onnx": onnx,
        "diagrams": diagrams,
        "validation": validation_rows(tables, config),
        "timing_facts": timing_facts(tables.get("latency"), config),
        "provenance": provenance,
    }


def device_summary(tables: dict) -> tuple[str | None, object]:
    """The device and threads the MNIST timings ran with, read from the experiment tables."""
    for frame in tables.values():
        if frame is not None and len(frame) and "device" in frame.columns:
            ok = ok_rows(frame)
            if len(ok) and pd.notna(ok["device"].iloc[0]):
                name = ok["device_name"].iloc[0] if "device_name" in ok.columns else None
                threads = ok["threads"].iloc[0] if "threads" in ok.columns else None
                dev = str(ok["device"].iloc[0]) + (f" ({name})" if isinstance(name, str) and name else "")
                return dev, (int(threads) if pd.notna(threads) else None)
    return None, None
