"""Facts of Part 3 under MLPerf Inference's scenarios (part3_scenarios.csv, part3_scenario_runs.csv): per model
and runtime, what one input at a time costs (SingleStream), what everything at once gives (Offline), what rate
is served under the latency bound with which batches (Server), and how those tie to ResNet18's Q1 (one batch of
N images against N single-image calls)."""

from __future__ import annotations

import pandas as pd

from mlalab.report.facts.common import num, ok_rows


def _row(t: pd.DataFrame, scenario: str) -> dict | None:
    rows = t[t["scenario"] == scenario]
    return rows.iloc[0].to_dict() if len(rows) else None


def _valid(r: dict | None) -> bool | None:
    return None if r is None else r.get("loadgen_validity") == "VALID"


def runtime_facts(t: pd.DataFrame, tries: pd.DataFrame | None) -> dict:
    """One (model, runtime): the four scenario results as numbers, each with LoadGen's verdict."""
    out = {}
    ss = _row(t, "single_stream")
    if ss:
        out["single_stream"] = {"latency": num(ss["scenario_latency_s"]), "p50": num(ss["loadgen_p50_s"]),
                                "percentile": num(ss["latency_target_percentile"]) * 100,
                                "early": num(ss.get("loadgen_early_stopping_s")), "valid": _valid(ss),
                                "reason": ss.get("loadgen_invalid_reason"), "queries": num(ss["loadgen_queries"])}
    ms = _row(t, "multi_stream")
    if ms:
        out["multi_stream"] = {"latency": num(ms["scenario_latency_s"]), "valid": _valid(ms),
                               "percentile": num(ms["latency_target_percentile"]) * 100,
                               "samples": num(ms["loadgen_samples_per_query"]), "reason": ms.get("loadgen_invalid_reason")}
    off = _row(t, "offline")
    if off:
        out["offline"] = {"throughput": num(off["scenario_throughput_per_s"]), "valid": _valid(off),
                          "mean_batch": num(off["sut_mean_batch"]), "max_batch": num(off["sut_max_batch"]),
                          "reason": off.get("loadgen_invalid_reason")}
    sv = _row(t, "server")
    if sv:
        runs = tries if tries is not None else pd.DataFrame()
        out["server"] = {"peak": num(sv["scenario_throughput_per_s"]), "valid": _valid(sv),
                         "bound": num(sv["latency_bound_s"]), "percentile": num(sv["latency_target_percentile"]) * 100,
                         "latency": num(sv["scenario_latency_s"]), "mean_batch": num(sv["sut_mean_batch"]),
                         "largest_batch": num(sv["sut_largest_batch"]), "window": num(sv["sut_batch_window_s"]),
                         "tries": int(num(sv["server_tries"])) if pd.notna(sv.get("server_tries")) else len(runs),
                         "valid_tries": int((runs.get("loadgen_validity", pd.Series(dtype=str)) == "VALID").sum()),
                         "reason": sv.get("loadgen_invalid_reason")}
    if ss and off and out["single_stream"]["p50"] > 0:
        # one at a time, a stream is served at 1 / (typical latency); Offline at its throughput
        out["offline_over_single"] = out["offline"]["throughput"] * out["single_stream"]["p50"]
    errors = [num(r) for r in t.get("output_max_abs_error", pd.Series(dtype=float)) if pd.notna(r)]
    if errors:
        out["max_abs_error"] = max(errors)
    return out


def q1_tie(q1: pd.DataFrame | None) -> dict | None:
    """ResNet18 Q1's answer in the scenarios' terms: one batch of N against N one at a time."""
    if q1 is None or not len(q1):
        return None
    r = q1.iloc[0]
    return {"images": int(num(r["batch_size"])), "ratio": num(r.get("ratio_one_at_a_time_over_batch"))}


def scenario_facts(part3: dict) -> dict:
    """`part3`: table name without 'part3_' -> frame. {'models': [{model, runtimes: [{runtime, ...}]}], 'q1'}."""
    table = part3.get("scenarios")
    if table is None or not len(table):
        return {}
    runs = part3.get("scenario_runs")
    t = ok_rows(table)
    models = []
    for model, g in t.groupby("model", sort=False):
        per = []
        for runtime, h in g.groupby("runtime_label", sort=False):
            tries = None
            if runs is not None and len(runs):
                tries = runs[(runs["model"].astype(str) == str(model)) & (runs["runtime_label"] == runtime)
                             & (runs["scenario"] == "server")]
            per.append({"runtime": str(runtime), **runtime_facts(h, tries)})
        models.append({"model": str(model), "key": str(model).replace(".", "-"), "runtimes": per})
    failed = table[~table.index.isin(t.index)]
    return {"models": models, "q1": q1_tie(part3.get("resnet18_q1")),
            "failed": [{"model": r["model"], "runtime": r.get("runtime_label"), "scenario": r.get("scenario"),
                        "error": r.get("error")} for _, r in failed.iterrows()]}
