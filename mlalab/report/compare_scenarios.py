"""The MLPerf scenario results of several results folders side by side (part of rule compare): per model,
runtime, input size and scenario (part3_scenarios.csv), each folder's headline figure with LoadGen's verdict,
and each folder's ratio against the first.

Headline: SingleStream and MultiStream the latency at the scenario's target percentile (`scenario_latency_s`),
Offline samples/s and Server the highest offered rate LoadGen called VALID under its bound
(`scenario_throughput_per_s`). The ratio reads like the comparison's speed-up: above 1, this folder is faster
(latency: the first's / this one's; rate: this one's / the first's).

Whether a ratio is beyond the noise follows the report's rule (mlalab.report.noise.medians_differ: two intervals
that do not overlap). Only the Server result has an interval in the scenario tables: its bisection brackets the
peak between the highest VALID rate and the lowest INVALID rate above it (part3_scenario_runs.csv). LoadGen's
latency percentiles and Offline's single run carry none, and the ratio says so instead of judging. Figures
judged at other percentiles, or Server peaks under other bounds, are not compared.
"""

from __future__ import annotations

import math
import os

import pandas as pd

from mlalab.report.compare import _key, _keyed, _missing, _num, _read
from mlalab.report.noise import Latency, medians_differ

KEYS = ["model", "runtime", "input_size", "scenario"]
HEADLINE = {"single_stream": "scenario_latency_s", "multi_stream": "scenario_latency_s",
            "offline": "scenario_throughput_per_s", "server": "scenario_throughput_per_s"}
LOWER_IS_BETTER = {"scenario_latency_s"}
ABSENT = "no MLPerf scenario tables: its build ran no scenario (part3.scenarios)"
NO_INTERVAL = "no interval to judge by"


def _bracket(runs: pd.DataFrame | None, model: str, runtime: str, peak: float | None) -> tuple[float, float]:
    """The Server peak's bracket: [peak, lowest INVALID rate tried above it]; NaN where the search found none."""
    if runs is None or peak is None or not {"server_target_qps", "loadgen_validity"} <= set(runs.columns):
        return math.nan, math.nan
    tried = runs[(runs["model"].astype(str) == model) & (runs["runtime_label"].astype(str) == runtime)
                 & (runs["scenario"] == "server")]
    above = tried[(tried["loadgen_validity"] != "VALID") & (tried["server_target_qps"] > peak)]
    return peak, float(above["server_target_qps"].min()) if len(above) else math.nan


def cell(record: dict, runs: pd.DataFrame | None = None) -> dict:
    """One folder's result of one (model, runtime, input size, scenario)."""
    scenario = record["scenario"]
    column = HEADLINE.get(scenario)
    value = _num(record.get(column)) if column else None
    status = "ok" if _missing(record.get("status")) else str(record["status"])
    validity = None if _missing(record.get("loadgen_validity")) else str(record["loadgen_validity"])
    bracket = (_bracket(runs, str(record["model"]), str(record["runtime_label"]), value)
               if scenario == "server" and status == "ok" else (math.nan, math.nan))
    return {"scenario": scenario, "column": column, "value": value, "status": status, "valid": validity == "VALID",
            "validity": validity, "reason": None if _missing(record.get("loadgen_invalid_reason"))
            else str(record["loadgen_invalid_reason"]),
            "error": None if _missing(record.get("error")) else str(record["error"]),
            "percentile": _num(record.get("latency_target_percentile")),
            "bound": _num(record.get("latency_bound_s")) if scenario == "server" else None,
            "bracket": bracket, "no_valid_rate": scenario == "server" and status == "ok" and value is None}


def ratio(first: dict | None, other: dict | None) -> dict:
    """`other` against `first`: the ratio (> 1: other is faster), whether it is beyond the noise (True / False /
    None) and, when it cannot be judged or computed, why not (`note`)."""
    out = {"ratio": None, "differs": None, "note": None}
    if first is None or other is None or first["status"] != "ok" or other["status"] != "ok":
        return out
    if first["no_valid_rate"] or other["no_valid_rate"]:
        return {**out, "note": "no valid rate"}
    if first["percentile"] != other["percentile"]:
        return {**out, "note": "judged at other percentiles"}
    if first["bound"] != other["bound"]:
        return {**out, "note": "under other latency bounds"}
    a, b = first["value"], other["value"]
    if a is None or b is None or not a or not b:
        return out
    out["ratio"] = a / b if first["column"] in LOWER_IS_BETTER else b / a
    if not (first["valid"] and other["valid"]):
        return {**out, "note": "an INVALID run: not judged"}
    if first["scenario"] != "server":
        return {**out, "note": NO_INTERVAL}
    if any(math.isnan(c["bracket"][1]) for c in (first, other)):
        return {**out, "note": "no INVALID rate tried above a peak: it is only a lower bound"}
    out["differs"] = medians_differ(*(Latency(c["value"], *c["bracket"]) for c in (first, other)))
    return out


def _frames(folders) -> list[tuple[pd.DataFrame | None, pd.DataFrame | None, str | None]]:
    """Each folder's scenario table and run table, or None and why not."""
    out = []
    for f in folders:
        frame, why = _keyed(os.path.join(f.path, "tables", "part3_scenarios.csv"),
                            ["model", "runtime_label", "scenario"])
        runs = _read(os.path.join(f.path, "tables", "part3_scenario_runs.csv")) if frame is not None else None
        out.append((frame, runs, ABSENT if why == "table missing" else why))
    return out


def _input_size(record: dict):
    sizes = [record.get(c) for c in ("image_size", "seq_len") if not _missing(record.get(c))]
    return _key(sizes[0]) if sizes else ""


def scenario_section(folders) -> dict | None:
    """The comparison's scenario table, or None when no folder ran a scenario: rows joined on KEYS (in order of
    first appearance), each folder's cell (None: it lacks the row), each folder's ratio against the first, the
    folders without scenario tables and why, and the rows only some folders with the tables have."""
    found = _frames(folders)
    if all(frame is None and why == ABSENT for frame, _, why in found):
        return None
    rows: dict[tuple, dict] = {}
    for i, (frame, runs, _) in enumerate(found):
        for record in [] if frame is None else frame.to_dict("records"):
            key = (str(record["model"]), str(record["runtime_label"]), _input_size(record), str(record["scenario"]))
            row = rows.setdefault(key, {"key": dict(zip(KEYS, key)), "cells": [None] * len(folders)})
            row["cells"][i] = cell(record, runs)
    has_table = [i for i, (frame, _, _) in enumerate(found) if frame is not None]
    for row in rows.values():
        row["pairs"] = [ratio(row["cells"][0], other) for other in row["cells"][1:]]
        row["present"] = [i for i, c in enumerate(row["cells"]) if c is not None]
        row["shared"] = len(row["present"]) == len(folders)
    return {"kind": "scenarios", "name": "scenarios", "title": "MLPerf scenarios", "keys": KEYS,
            "rows": list(rows.values()),
            "absent": [{"folder": i, "reason": why} for i, (frame, _, why) in enumerate(found) if frame is None],
            "left_out": [r for r in rows.values() if any(r["cells"][i] is None for i in has_table)]}
