"""Facts of the efficiency part: the measured ceilings (peak), the roofline summary and the precision study."""

from __future__ import annotations

import math

import pandas as pd

from mlalab.report.facts.common import isnum, latency_point, num, ok_rows, verdict
from mlalab.report.noise import wilson


def _dtype_map(value) -> str:
    """'Conv2d=torch.float32;quantized.Linear=torch.qint8' -> 'Conv2d float32, quantized.Linear qint8'."""
    text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
    parts = []
    for item in text.split(";"):
        layer, _, dtypes = item.partition("=")
        if layer.strip():
            parts.append(f"{layer.strip()} {dtypes.replace('torch.', '').strip()}".strip())
    return ", ".join(parts)


def peak_facts(peak: pd.DataFrame | None) -> dict:
    """The machine's ceilings: best repeat of the largest matmul per precision (the roofline's roof), and the
    copy bandwidth; with each the median (p10-p90) of the same size, the size and the repeats."""
    if peak is None or not len(peak):
        return {}
    out = {"ceilings": []}
    if "threads" not in peak:
        peak = peak.assign(threads=math.nan)
    for (threads, measure, precision), g in peak.groupby(["threads", "measure", "precision"], sort=False, dropna=False):
        unit = "GB/s" if measure == "copy" else "GFLOP/s"
        col = "gbs" if measure == "copy" else "gflops"
        best_col = f"{col}_best"
        if g[best_col].isna().all():
            continue
        r = g.loc[g[best_col].idxmax()]
        item = {"measure": str(measure), "precision": str(precision), "unit": unit, "best": num(r[best_col]),
                "median": num(r.get(col)), "size": num(r.get("size")), "repeats": r.get("latency_repeats"),
                "shape": r.get("shape") if isinstance(r.get("shape"), str) else None, "threads": num(threads)}
        if measure != "copy":
            item["lo"], item["hi"] = num(r.get("gflops_p10")), num(r.get("gflops_p90"))
        else:  # bandwidth from the copy's timing spread: bytes / time (p90 time -> low bandwidth)
            b, p10, p90 = num(r.get("bytes")), r.get("latency_p10_s"), r.get("latency_p90_s")
            item["lo"] = b / num(p90) / 1e9 if b and isnum(p90) else math.nan
            item["hi"] = b / num(p10) / 1e9 if b and isnum(p10) else math.nan
        out["ceilings"].append(item)
    first = peak.iloc[0]
    name = first.get("device_name")
    out["device"] = str(first.get("device", "")) + (f" ({name})" if isinstance(name, str) and name else "")
    out["threads"] = first.get("threads")
    # the ceilings are measured at every thread count a latency figure used (mlalab.stages.peak.measure_peaks)
    out["thread_counts"] = sorted({int(t) for t in peak["threads"].dropna()})
    beside = [str(b) for b in peak.get("beside_jobs", pd.Series(dtype=object)).dropna() if str(b)]
    out["beside"] = sorted({j for b in beside for j in b.split(";")})
    return out


def roofline_rows(roof: pd.DataFrame) -> list[dict]:
    """One row per distinct measurement (model x batch): experiments that reuse the same timing (e.g. the
    256x3 MLP at batch 64 in Part 1A and 1B) are listed together instead of repeated."""
    rows: dict = {}
    for _, r in roof.iterrows():
        key = (str(r.get("model")), num(r.get("batch_size")))
        if key in rows:
            exp = str(r.get("experiment"))
            if exp not in rows[key]["experiments"]:
                rows[key]["experiments"].append(exp)
            continue
        d = r.to_dict()
        d["experiments"] = [str(r.get("experiment"))]
        rows[key] = d
    return list(rows.values())


def _reading(gain: float) -> str:
    """A >= 2x gain means the small batch was latency-bound (a fixed cost per call); below 1.1x batching
    does not help."""
    return "latency-bound" if gain >= 2 else "little" if gain > 1.1 else "none" if gain >= 1 / 1.1 else "worse"


def roofline_facts(roof: pd.DataFrame | None) -> dict:
    """Per model with more than one timed batch: % of the fp32 peak at its smallest and largest batch, the
    gain in GFLOP/s, and whether the two differ (95 % CIs of the medians, mapped to GFLOP/s)."""
    if roof is None or not len(roof):
        return {}
    rows = roofline_rows(roof)
    t = pd.DataFrame(rows)
    models = []
    for model, g in t.groupby("model", sort=False):
        g = g.sort_values("batch_size", kind="stable")
        if len(g) < 2:
            continue
        lo, hi = g.iloc[0], g.iloc[-1]
        # GFLOP/s = FLOPs / latency: the latency median's CI maps onto a CI of the achieved GFLOP/s
        a = latency_point(lo, scale=num(lo.get("flops_per_batch")) / 1e9, invert=True)
        b = latency_point(hi, scale=num(hi.get("flops_per_batch")) / 1e9, invert=True)
        gain = b["y"] / a["y"] if a["y"] else math.nan
        models.append({
            "model": str(model), "label": str(lo.get("label", "")),
            "small": {"batch": int(lo.batch_size), "gflops": a["y"], "pct": num(lo.pct_of_peak_fp32),
                      "bound": lo.get("bound")},
            "large": {"batch": int(hi.batch_size), "gflops": b["y"], "pct": num(hi.pct_of_peak_fp32),
                      "bound": hi.get("bound")},
            "gain": gain, "reading": _reading(gain), "within_spread": verdict(a, b, "ci95"),
            "unstable": [int(r.batch_size) for r, point in ((lo, a), (hi, b)) if point.get("unstable")],
        })
    pct = t["pct_of_peak_fp32"].astype(float)
    best = t.loc[pct.idxmax()]
    bounds = t["bound"].astype(str).value_counts().to_dict()
    return {
        "rows": rows, "models": models,
        "peak": num(t["peak_fp32_gflops"].iloc[0]), "ridge": num(t["ridge_flop_per_byte"].iloc[0]),
        # one roof per thread count the figures ran on: each row is compared with its own
        "roofs": [{"threads": num(g["peak_threads"].iloc[0]), "peak": num(g["peak_fp32_gflops"].iloc[0]),
                   "ridge": num(g["ridge_flop_per_byte"].iloc[0])}
                  for _, g in t.groupby("peak_threads", sort=True)] if "peak_threads" in t and t["peak_threads"].notna().any() else [],
        "best": {"model": str(best.model), "label": str(best.get("label", "")), "batch": int(best.batch_size),
                 "pct": num(best.pct_of_peak_fp32), "gflops": num(best.achieved_gflops)},
        "median_pct": float(pct.median()), "n": len(t), "below_10pct": int((pct < 10).sum()),
        "over_peak": [{"model": str(r.model), "batch": int(r.batch_size), "pct": num(r.pct_of_peak_fp32),
                       "threads": num(r.get("threads")), "device": str(r.get("device", "")),
                       "peak_threads": num(r.get("peak_threads")), "ceiling": num(r.peak_fp32_gflops)}
                      for _, r in t[pct > 100].iterrows()],
        "n_memory": int(bounds.get("memory", 0)), "n_compute": int(bounds.get("compute", 0)),
    }


def _compare(model, batch, r, ref) -> dict:
    """One non-fp32 precision against fp32 at the same batch. Latency is 'faster'/'slower' only when the
    95 % CIs of the medians do not overlap, 'same' when they do, 'unknown' without CIs (too few calls)."""
    a, b = latency_point(r), latency_point(ref)
    within = verdict(a, b, "ci95")
    speed = num(r.throughput_per_s) / num(ref.throughput_per_s) if num(ref.throughput_per_s) else math.nan
    acc, ref_acc = num(r.get("accuracy")), num(ref.get("accuracy"))
    size, ref_size = num(r.state_dict_bytes), num(ref.state_dict_bytes)
    n = num(r.get("test_samples"))
    return {
        "model": str(model), "precision": str(r["precision"]), "batch": int(batch),
        "bytes": size, "ref_bytes": ref_size, "size_ratio": size / ref_size if ref_size else math.nan,
        "latency": a["y"], "ref_latency": b["y"], "speed": speed,
        "timing": ("unstable" if a.get("unstable") or b.get("unstable") else "unknown" if within is None
                   else "same" if within else ("faster" if a["y"] < b["y"] else "slower")),
        "within_spread": within, "repeats": r.get("latency_repeats"),
        "accuracy": acc, "ref_accuracy": ref_acc,
        "acc_diff": acc - ref_acc if isnum(acc) and isnum(ref_acc) else math.nan,
        # the report's rule for accuracies (Part 1's answers): their 95 % Wilson intervals on the test images overlap
        "acc_within": verdict(_accuracy_point(acc, n), _accuracy_point(ref_acc, num(ref.get("test_samples"))),
                              "binomial"),
        "acc_samples": int(n) if isnum(n) else None,
        "agreement": num(r.get("agreement_with_fp32")), "rel_error": num(r.get("rel_error_vs_fp32")),
        "weights_text": _dtype_map(r.get("weight_dtypes")), "quantized_layers": num(r.get("quantized_layers")),
    }


def _accuracy_point(acc: float, n: float) -> dict:
    """A test accuracy on n images as a point for `verdict(..., 'binomial')`: its 95 % Wilson interval (NaN
    bounds, so no verdict, without an accuracy or n)."""
    lo, hi = wilson(acc, n)
    return {"y": acc, "lo": lo, "hi": hi}


def trained_with(row, runs: dict) -> dict | None:
    """Which trained run a precision row's weights come from: the experiment, the batch size and seed it was
    trained with (the plan's run table, `runs`: run id -> run), so a row evaluated at batch 1 is not read as
    Part 1A's batch-1 model. None for a row with no trained run (BERT: random weights)."""
    run = runs.get(str(row.get("run")))
    if not run:
        return None
    return {"experiment": str(row.get("source", "")), "batch": int(run["batch_size"]), "seed": int(run["seed"])}


def precision_facts(prec: pd.DataFrame | None, runs: dict | None = None) -> dict:
    """Per model and non-fp32 precision, at the model's largest batch: size, throughput and accuracy against
    fp32; and every successful row with its weight dtypes as text and the trained run its weights are from."""
    if prec is None or not len(prec):
        return {}
    ok = ok_rows(prec)
    rows = [{**r.to_dict(), "weights_text": _dtype_map(r.get("weight_dtypes")),
             "trained": trained_with(r, runs or {})} for _, r in ok.iterrows()]
    compare = []
    for model, g in ok.groupby("model", sort=False):
        bs = g["batch_size"].max()
        at = g[g["batch_size"] == bs]
        ref = at[at["precision"].astype(str) == "fp32"]
        if not len(ref):
            continue
        compare += [_compare(model, bs, r, ref.iloc[0]) for _, r in at.iterrows() if str(r["precision"]) != "fp32"]

    def ints(col, frame):
        return sorted({int(v) for v in frame[col].dropna()})
    with_acc = ok[ok["accuracy"].notna()]
    return {"rows": rows, "compare": compare, "repeats": ints("latency_repeats", ok),
            "test_samples": ints("test_samples", with_acc)}


def efficiency_facts(tables: dict, runs: dict | None = None) -> dict:
    """The measured ceilings, the roofline summary per model and the precision comparisons (`runs`: the
    plan's run table, which names the trained run of each precision row)."""
    peak, roof = peak_facts(tables.get("peak")), roofline_facts(tables.get("roofline"))
    if roof.get("over_peak"):   # why a model beats the ceiling, from what each was measured with
        roof["peak_threads"], roof["peak_beside"] = num(peak.get("threads")), peak.get("beside", [])
        roof["threads_differ"] = [o for o in roof["over_peak"] if isnum(o["threads"]) and (
            o["threads"] != o["peak_threads"] if isnum(o["peak_threads"]) else
            isnum(roof["peak_threads"]) and o["threads"] != roof["peak_threads"])]
    return {"peak": peak, "roofline": roof, "precision": precision_facts(tables.get("precision"), runs)}
