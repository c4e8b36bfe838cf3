"""The lab's answers as data: pure functions from measured tables (DataFrames) to *facts*.

A fact is a plain dict of raw numbers and words chosen by comparing numbers (direction, best variant,
whether a difference is within the measured spread). The sentences themselves are written by the
macros in templates/_answers.html.j2, which format the numbers with the report's filters; so reversing the
data reverses the fact, and with it the sentence.

Spread (the rule of mlalab.report.noise, quoted in the Methods section):
* mean over seeds +- sample std: two values differ "beyond the spread" when |d| > sqrt(std_a^2 + std_b^2);
  with a single seed there is no spread (within_spread is None) and the sentence says so;
* latency medians: two medians are within the spread when their p10..p90 intervals overlap.
"""

from __future__ import annotations

import ast
import json
import math

import pandas as pd

from mlalab.report.noise import Latency, Spread, latency_overlap, within_noise


def _f(x) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return math.nan
    return v


def _isnum(x) -> bool:
    return not math.isnan(_f(x))


def ok_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The rows that measured something (status 'ok', or no status column at all)."""
    if "status" not in table.columns:
        return table
    return table[table["status"].fillna("ok").astype(str).str.lower() == "ok"]


# ---- the core comparison ---------------------------------------------------------------------------

def _verdict(a: dict, b: dict, spread: str | None):
    """True if a and b are within the measured spread, False if beyond it, None if no spread was measured."""
    if spread == "std":
        n_a, n_b = int(_f(a.get("n")) or 1), int(_f(b.get("n")) or 1)
        sa, sb = _f(a.get("std")), _f(b.get("std"))
        if n_a < 2 or n_b < 2 or math.isnan(sa) or math.isnan(sb):
            return None
        return bool(within_noise(Spread(a["y"], sa, n_a), Spread(b["y"], sb, n_b)))
    if spread == "p10p90":
        if not all(_isnum(p.get(k)) for p in (a, b) for k in ("lo", "hi")):
            return None
        return bool(latency_overlap(Latency(a["y"], a["lo"], a["hi"], 0), Latency(b["y"], b["lo"], b["hi"], 0)))
    return None


def trend(table: pd.DataFrame, x: str, y: str, *, quantity: str, unit: str, xname: str,
          std: str | None = None, lo: str | None = None, hi: str | None = None, n: str | None = "n_seeds",
          higher_is_better: bool | None = None, best_word: str | None = None, rel_tol: float = 1e-9,
          exact: bool = False) -> dict | None:
    """How `y` changes along the rows of `table` (already in the sweep's order, x ascending).

    direction: 'increases' / 'decreases' (every step the same way), 'unchanged' (all equal within
    rel_tol), or 'mixed'. within_spread compares the two ends (first and last for a monotonic trend,
    lowest and highest otherwise). `best` is the row with the highest (or lowest) y when
    higher_is_better is given. exact=True marks deterministic quantities (params, MACs) with no spread.
    """
    if table is None or y not in table.columns or x not in table.columns:
        return None
    spread = "std" if std else ("p10p90" if lo and hi else None)
    points = []
    for _, r in table.iterrows():
        yv = _f(r[y])
        if math.isnan(yv):
            continue
        p = {"x": r[x], "y": yv}
        if std:
            p["std"] = _f(r.get(std))
            p["n"] = _f(r.get(n)) if n and n in table.columns else 1
        if lo and hi:
            p["lo"], p["hi"] = _f(r.get(lo)), _f(r.get(hi))
        points.append(p)
    if len(points) < 2:
        return None
    ys = [p["y"] for p in points]
    scale = max(abs(v) for v in ys) or 1.0
    steps = [b - a for a, b in zip(ys, ys[1:])]
    if all(abs(s) <= rel_tol * scale for s in steps):
        direction = "unchanged"
    elif all(s > 0 for s in steps):
        direction = "increases"
    elif all(s < 0 for s in steps):
        direction = "decreases"
    else:
        direction = "mixed"
    lowest = min(points, key=lambda p: p["y"])
    highest = max(points, key=lambda p: p["y"])
    first, last = points[0], points[-1]
    a, b = (first, last) if direction != "mixed" else (lowest, highest)
    fact = {
        "quantity": quantity, "unit": unit, "xname": xname, "direction": direction,
        "points": points, "first": first, "last": last, "lowest": lowest, "highest": highest,
        "ratio": (last["y"] / first["y"]) if first["y"] else math.nan,
        "spread_ratio": (highest["y"] / lowest["y"]) if lowest["y"] else math.nan,
        "diff": last["y"] - first["y"],
        "spread_kind": None if exact else spread,
        "within_spread": None if (exact or direction == "unchanged") else _verdict(a, b, spread),
        "flat_steps": [] if exact else [
            {"a": p["x"], "b": q["x"]} for p, q in zip(points, points[1:]) if _verdict(p, q, spread) is True],
        "exact": exact,
        "n_seeds": int(max(_f(p.get("n", 1)) or 1 for p in points)) if std else None,
        "best": None,
    }
    if higher_is_better is not None and direction != "unchanged":
        ranked = sorted(points, key=lambda p: p["y"], reverse=higher_is_better)
        best, runner = ranked[0], ranked[1]
        fact["best"] = {"x": best["x"], "y": best["y"], "word": best_word or ("highest" if higher_is_better else "lowest"),
                        "runner_x": runner["x"], "runner_y": runner["y"],
                        "within_spread": _verdict(best, runner, None if exact else spread)}
    return fact


# ---- Part 1A / 2A: batch size ------------------------------------------------------------------------

def _throughput_spread(t: pd.DataFrame) -> pd.DataFrame:
    """Throughput's p10..p90 from the latency's (batch / p90 latency .. batch / p10 latency), when present."""
    if {"latency_p10_s", "latency_p90_s", "batch_size"} <= set(t.columns):
        return t.assign(_thr_lo=t["batch_size"] / t["latency_p90_s"], _thr_hi=t["batch_size"] / t["latency_p10_s"])
    return t.assign(_thr_lo=math.nan, _thr_hi=math.nan)


def batch_facts(table: pd.DataFrame) -> dict:
    """Q3: the effect of batch size on training time, inference time, accuracy, params and MACs."""
    t = table.sort_values("batch_size", kind="stable")
    common = {"x": "batch_size", "xname": "batch size"}
    facts = {
        "train_time": trend(t, y="train_time_s_mean", std="train_time_s_std", quantity="training time",
                            unit="secs", higher_is_better=False, best_word="fastest to train", **common),
        "test_set_time": trend(t, y="test_set_time_s", quantity="inference time for the whole test set",
                               unit="secs", higher_is_better=False, best_word="fastest over the test set",
                               **common),
        "latency": trend(t, y="latency_median_s", lo="latency_p10_s", hi="latency_p90_s",
                         quantity="latency of one batch", unit="ms", **common),
        "throughput": trend(_throughput_spread(t), y="throughput_per_s", lo="_thr_lo", hi="_thr_hi",
                            quantity="inference throughput", unit="per_s",
                            higher_is_better=True, best_word="highest throughput", **common),
        "accuracy": trend(t, y="accuracy_mean", std="accuracy_std", quantity="test accuracy", unit="pct",
                          higher_is_better=True, best_word="most accurate", **common),
        "params": trend(t, y="params_total", quantity="the number of parameters", unit="si", exact=True, **common),
        "macs_sample": trend(t, y="macs_per_sample_thop", quantity="the MAC count per sample", unit="si", exact=True,
                             **common),
        "macs_batch": trend(t, y="macs_per_batch", quantity="the MAC count per batch", unit="si", exact=True, **common),
    }
    if "latency_median_s" in t and "batch_size" in t and len(t) >= 2:
        # per-image latency: the same measurement divided by the batch, to show amortization
        per = t.assign(latency_per_image_s=t["latency_median_s"] / t["batch_size"],
                       latency_per_image_p10_s=t["latency_p10_s"] / t["batch_size"],
                       latency_per_image_p90_s=t["latency_p90_s"] / t["batch_size"])
        facts["latency_per_image"] = trend(per, y="latency_per_image_s", lo="latency_per_image_p10_s",
                                           hi="latency_per_image_p90_s", quantity="latency per image",
                                           unit="ms", **common)
    return {k: v for k, v in facts.items() if v is not None}


# ---- Part 1B/1C, 2B/2C: variants ------------------------------------------------------------------------

def variant_facts(table: pd.DataFrame, order: list[str] | None = None) -> dict:
    """The effect of width / depth / filter size / conv layers: rows in the config's variant order."""
    t = table.copy()
    t["label"] = t["label"].astype(str)
    if order:
        rank = {label: i for i, label in enumerate(order)}
        t = t.assign(_rank=t["label"].map(lambda v: rank.get(v, len(rank)))).sort_values("_rank", kind="stable")
    common = {"x": "label", "xname": "variant"}
    facts = {
        "accuracy": trend(t, y="accuracy_mean", std="accuracy_std", quantity="test accuracy", unit="pct",
                          higher_is_better=True, best_word="most accurate", **common),
        "train_time": trend(t, y="train_time_s_mean", std="train_time_s_std", quantity="training time",
                            unit="secs", higher_is_better=False, best_word="fastest to train", **common),
        "latency": trend(t, y="latency_median_s", lo="latency_p10_s", hi="latency_p90_s",
                         quantity="inference latency of one batch", unit="ms", higher_is_better=False,
                         best_word="fastest at inference", **common),
        "params": trend(t, y="params_total", quantity="the number of parameters", unit="si", exact=True,
                        **common),
        "macs_sample": trend(t, y="macs_per_sample_thop", quantity="the MAC count per sample", unit="si", exact=True,
                             **common),
    }
    return {k: v for k, v in facts.items() if v is not None}


# ---- Q4: precision --------------------------------------------------------------------------------

def _parse_mapping(value):
    if isinstance(value, dict):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return {}
    text = str(value)
    for parse in (json.loads, ast.literal_eval):
        try:
            got = parse(text)
            if isinstance(got, dict):
                return got
            if isinstance(got, (list, tuple)):
                return {str(i): v for i, v in enumerate(got)}
        except (ValueError, SyntaxError, TypeError):
            pass
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    out = {}
    for i, p in enumerate(parts):
        k, _, v = p.partition(":" if ":" in p else "=")
        out[k.strip() if v else str(i)] = (v or k).strip()
    return out


def precision_fact(row: dict) -> dict:
    """The dtype of the first layer's input, of each layer's weights, and of the last output."""
    weights = {k: str(v).replace("torch.", "") for k, v in _parse_mapping(row.get("weight_dtypes")).items()}
    kinds = sorted(set(weights.values()))
    def clean(v):
        return (None if v is None or (isinstance(v, float) and math.isnan(v))
                 else str(v).replace("torch.", ""))
    inp, out = clean(row.get("input_dtype")), clean(row.get("output_dtype"))
    return {"input": inp, "output": out, "weights": weights, "weight_kinds": kinds,
            "uniform": len(set(kinds) | {inp, out} - {None}) == 1}


# ---- Q1/Q2: per-layer memory ------------------------------------------------------------------------

def layer_facts(layers: pd.DataFrame, batches: list[int]) -> dict:
    """Totals of weight bytes vs activation bytes at each batch, and which of the two dominates."""
    body = layers[layers["name"] != "total"]
    total = layers[layers["name"] == "total"]
    src = total.iloc[0] if len(total) else body.sum(numeric_only=True)
    w = _f(src.get("param_bytes"))
    rows = []
    for b in batches:
        a = _f(src.get(f"act_bytes_b{b}"))
        if math.isnan(a):
            continue
        rows.append({"batch": b, "weights": w, "activations": a, "ratio": a / w if w else math.nan,
                     "dominant": "activations" if a > w else ("weights" if a < w else "neither")})
    biggest_w = body.loc[body["param_bytes"].idxmax()].to_dict() if "param_bytes" in body and len(body) else None
    col = f"act_bytes_b{batches[-1]}" if batches else None
    biggest_a = body.loc[body[col].idxmax()].to_dict() if col in body and len(body) else None
    crossover = next((r["batch"] for r in rows if r["dominant"] == "activations"), None)
    return {"batches": rows, "weights": w, "largest_weights": biggest_w, "largest_activation": biggest_a,
            "crossover": crossover}


# ---- validation: three MAC counters ---------------------------------------------------------------

def validation_rows(tables: dict, config: dict) -> list[dict]:
    """Per model (one row per distinct model over all experiments): MACs per sample by thop, aten, analytic,
    and the relative gaps (counter / analytic - 1)."""
    out, seen = [], set()
    for name in config.get("experiments", {}):
        t = tables.get(name)
        if t is None or not len(t):
            continue
        for _, r in ok_rows(t).iterrows():
            key = r.get("model", r.get("label"))
            if key in seen:
                continue
            seen.add(key)
            out.append(_validation_row(str(key), r.get("kind", ""), r.get("macs_per_sample_thop"),
                                       r.get("macs_per_sample_aten"), r.get("macs_per_sample_analytic"),
                                       experiment=name, label=str(r.get("label", ""))))
    counts = tables.get("part3_counts")
    if counts is not None and len(counts) and {"counter", "macs", "model"} <= set(counts.columns):
        # long format (one row per model x counter): flop_counter is the aten counter
        for model, g in counts.groupby("model", sort=False):
            by = {str(c): m for c, m in zip(g["counter"], g["macs"])}
            out.append(_validation_row(str(model), "part3", by.get("thop"), by.get("flop_counter", by.get("aten")),
                                       by.get("analytic"), experiment="part3", label=str(model),
                                       notes={str(c): n for c, n in zip(g["counter"], g.get("note", [None] * len(g)))}))
    elif counts is not None and len(counts):
        cols = {c: c for c in counts.columns}
        def pick(*names):
            return (next((cols[n] for n in names if n in cols), None))
        th, at, an = (pick("macs_thop", "macs_per_sample_thop", "thop_macs", "macs_thop_total"),
                      pick("macs_aten", "macs_per_sample_aten", "aten_macs"),
                      pick("macs_analytic", "macs_per_sample_analytic", "analytic_macs"))
        for _, r in counts.iterrows():
            out.append(_validation_row(str(r.get("model", "")), "part3", r.get(th) if th else None,
                                       r.get(at) if at else None, r.get(an) if an else None,
                                       experiment="part3", label=str(r.get("model", ""))))
    return out


def _validation_row(model, kind, thop, aten, analytic, **extra) -> dict:
    thop, aten, analytic = _f(thop), _f(aten), _f(analytic)
    def gap(v):
        return ((v / analytic - 1) if analytic and not math.isnan(v) and not math.isnan(analytic) else math.nan)
    g_thop, g_aten = gap(thop), gap(aten)
    return {"model": model, "kind": kind, "thop": thop, "aten": aten, "analytic": analytic,
            "gap_thop": g_thop, "gap_aten": g_aten,
            "thop_above": (not math.isnan(g_thop)) and g_thop > 1e-6,
            "thop_below": (not math.isnan(g_thop)) and g_thop < -1e-6,
            "aten_above": (not math.isnan(g_aten)) and g_aten > 1e-6,
            "aten_below": (not math.isnan(g_aten)) and g_aten < -1e-6,
            "agree": all(abs(g) <= 1e-6 for g in (g_thop, g_aten) if not math.isnan(g)), **extra}


# ---- Part 3 ---------------------------------------------------------------------------------------

def _col(frame: pd.DataFrame, *names):
    return next((n for n in names if n in frame.columns), None)


def latency_facts(frame: pd.DataFrame | None, quantity: str) -> dict:
    """Latency/throughput vs batch for one Part 3 model, and the Q1 comparison of the two ends."""
    if frame is None or not len(frame) or "batch_size" not in frame:
        return {}
    t = ok_rows(frame)
    if "precision" in t.columns:  # the fp32 rows answer the lab; other precisions belong to the precision study
        t = t[t["precision"].astype(str) == "fp32"]
    t = t.sort_values("batch_size", kind="stable")
    med = _col(t, "latency_median_s", "median_s")
    lo, hi = _col(t, "latency_p10_s", "p10_s"), _col(t, "latency_p90_s", "p90_s")
    thr = _col(t, "throughput_per_s", "throughput_images_per_s", "throughput_samples_per_s")
    facts = {}
    if med:
        facts["latency"] = trend(t, "batch_size", med, lo=lo, hi=hi, quantity=f"{quantity} latency per batch",
                                 unit="ms", xname="batch size")
        per = t.assign(_per=t[med] / t["batch_size"],
                       _plo=t[lo] / t["batch_size"] if lo else math.nan,
                       _phi=t[hi] / t["batch_size"] if hi else math.nan)
        facts["per_item"] = trend(per, "batch_size", "_per", lo="_plo" if lo else None, hi="_phi" if hi else None,
                                  quantity=f"{quantity} time per input", unit="ms", xname="batch size")
    if thr:
        tlo = _col(t, "throughput_p10_per_s", "throughput_per_s_p10")
        thi = _col(t, "throughput_p90_per_s", "throughput_per_s_p90")
        facts["throughput"] = trend(t, "batch_size", thr, lo=tlo, hi=thi, quantity=f"{quantity} throughput",
                                    unit="per_s", xname="batch size", higher_is_better=True,
                                    best_word="highest throughput")
    return {k: v for k, v in facts.items() if v}


def part3_facts(part3: dict) -> dict:
    facts = {"resnet18": latency_facts(part3.get("resnet18_latency"), "ResNet18"),
             "bert": latency_facts(part3.get("bert_latency"), "BERT-base")}
    q1 = part3.get("resnet18_q1")
    if q1 is not None and len(q1) and {"one_at_a_time_s", "one_batch_s"} <= set(q1.columns):
        r = q1.iloc[0]
        a = {"y": _f(r["one_at_a_time_s"]), "lo": _f(r.get("one_at_a_time_p10_s")), "hi": _f(r.get("one_at_a_time_p90_s"))}
        b = {"y": _f(r["one_batch_s"]), "lo": _f(r.get("one_batch_p10_s")), "hi": _f(r.get("one_batch_p90_s"))}
        facts["q1"] = {"images": int(_f(r.get("images"))), "one_at_a_time": a["y"], "one_batch": b["y"],
                       "faster": "batch" if b["y"] < a["y"] else "one at a time",
                       "ratio": max(a["y"], b["y"]) / min(a["y"], b["y"]) if min(a["y"], b["y"]) > 0 else math.nan,
                       "saved": abs(a["y"] - b["y"]), "repeats": r.get("repeats"), "image_size": r.get("image_size"),
                       "within_spread": _verdict(a, b, "p10p90")}
    mem = part3.get("resnet18_memory")
    if mem is not None and len(mem):
        w = _col(mem, "weight_bytes", "weights_bytes", "param_bytes")
        a = _col(mem, "activation_bytes_analytic", "activation_bytes", "activations_bytes", "act_bytes")
        if w and a:
            rows = []
            for _, r in mem.iterrows():
                wv, av = _f(r[w]), _f(r[a])
                rows.append({"batch": r.get("batch_size"), "weights": wv, "activations": av,
                             "saved": _f(r.get("saved_activation_bytes")),
                             "crossover": r.get("crossover_batch_analytic"),
                             "dominant": "activations" if av > wv else "weights",
                             "ratio": av / wv if wv else math.nan})
            facts["resnet18_memory"] = rows
    return facts


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
    """The machine's ceilings: best repeat of the largest matmul per dtype (the roofline's roof), and the copy
    bandwidth; with each the median (p10-p90) of the same size, the size and the repeats."""
    if peak is None or not len(peak) or "measure" not in peak.columns:
        return {}
    out = {"ceilings": []}
    for (measure, dtype), g in peak.groupby(["measure", "dtype"], sort=False):
        unit = "GFLOP/s" if measure == "matmul" else "GB/s"
        col = "gflops" if measure == "matmul" else "gbs"
        best_col = f"{col}_best" if f"{col}_best" in g.columns else col
        if g[best_col].isna().all():
            continue
        r = g.loc[g[best_col].idxmax()]
        item = {"measure": str(measure), "dtype": str(dtype), "unit": unit, "best": _f(r[best_col]),
                "median": _f(r.get(col)), "size": _f(r.get("size")), "repeats": r.get("repeats")}
        if measure == "matmul":
            item["lo"], item["hi"] = _f(r.get("gflops_p10")), _f(r.get("gflops_p90"))
        else:  # bandwidth from the copy's timing spread: bytes / time (p90 time -> low bandwidth)
            b = _f(r.get("bytes"))
            item["lo"] = b / _f(r.get("p90_s")) / 1e9 if b and _isnum(r.get("p90_s")) else math.nan
            item["hi"] = b / _f(r.get("p10_s")) / 1e9 if b and _isnum(r.get("p10_s")) else math.nan
        out["ceilings"].append(item)
    first = peak.iloc[0]
    name = first.get("device_name")
    out["device"] = str(first.get("device", "")) + (f" ({name})" if isinstance(name, str) and name else "")
    out["threads"] = first.get("threads")
    return out


def roofline_rows(roof: pd.DataFrame) -> list[dict]:
    """One row per distinct measurement (model x batch): experiments that reuse the same timing (e.g. the
    256x3 MLP at batch 64 in Part 1A and 1B) are listed together instead of repeated."""
    rows: dict = {}
    for _, r in roof.iterrows():
        key = (str(r.get("model")), _f(r.get("batch_size")))
        if key in rows:
            exp = str(r.get("experiment"))
            if exp not in rows[key]["experiments"]:
                rows[key]["experiments"].append(exp)
            continue
        d = r.to_dict()
        d["experiments"] = [str(r.get("experiment"))]
        rows[key] = d
    return list(rows.values())


def roofline_facts(roof: pd.DataFrame | None) -> dict:
    """Per model with more than one timed batch: % of the fp32 peak at its smallest and largest batch, the
    gain in GFLOP/s, and whether the two are apart beyond the p10-p90 spread. Same reading as
    mlalab.stages.roofline.roofline_sentences: a >= 2x gain means the small batch was latency-bound (a fixed cost
    per call), a gain below 1.1x means batching does not help."""
    if roof is None or not len(roof) or "achieved_gflops" not in roof.columns:
        return {}
    rows = roofline_rows(roof)
    t = pd.DataFrame(rows)
    models = []
    for model, g in t.groupby("model", sort=False):
        g = g.sort_values("batch_size", kind="stable")
        if len(g) < 2:
            continue
        lo, hi = g.iloc[0], g.iloc[-1]
        a = {"y": _f(lo.achieved_gflops), "lo": _f(lo.get("achieved_gflops_p10")), "hi": _f(lo.get("achieved_gflops_p90"))}
        b = {"y": _f(hi.achieved_gflops), "lo": _f(hi.get("achieved_gflops_p10")), "hi": _f(hi.get("achieved_gflops_p90"))}
        gain = b["y"] / a["y"] if a["y"] else math.nan
        models.append({
            "model": str(model), "label": str(lo.get("label", "")),
            "small": {"batch": int(lo.batch_size), "gflops": a["y"], "pct": _f(lo.pct_of_peak_fp32),
                      "bound": lo.get("bound")},
            "large": {"batch": int(hi.batch_size), "gflops": b["y"], "pct": _f(hi.pct_of_peak_fp32),
                      "bound": hi.get("bound")},
            "gain": gain,
            "reading": ("latency-bound" if gain >= 2 else "little" if gain > 1.1 else
                        "none" if gain >= 1 / 1.1 else "worse"),
            "within_spread": _verdict(a, b, "p10p90"),
        })
    best = t.loc[t["pct_of_peak_fp32"].astype(float).idxmax()]
    over = t[t["pct_of_peak_fp32"].astype(float) > 100]
    bounds = t["bound"].astype(str).value_counts().to_dict() if "bound" in t else {}
    return {
        "rows": rows, "models": models,
        "peak": _f(t["peak_fp32_gflops"].iloc[0]), "ridge": _f(t["ridge_flop_per_byte"].iloc[0]),
        "best": {"model": str(best.model), "label": str(best.get("label", "")), "batch": int(best.batch_size),
                 "pct": _f(best.pct_of_peak_fp32), "gflops": _f(best.achieved_gflops)},
        "median_pct": float(t["pct_of_peak_fp32"].astype(float).median()),
        "n": len(t), "below_10pct": int((t["pct_of_peak_fp32"].astype(float) < 10).sum()),
        "over_peak": [{"model": str(r.model), "batch": int(r.batch_size), "pct": _f(r.pct_of_peak_fp32)}
                      for _, r in over.iterrows()],
        "n_memory": int(bounds.get("memory", 0)), "n_compute": int(bounds.get("compute", 0)),
    }


def precision_facts(prec: pd.DataFrame | None) -> dict:
    """Per model and non-fp32 mode, at the model's largest batch: size, throughput and accuracy against fp32.
    Latency is 'faster'/'slower' only when the p10-p90 intervals do not overlap, else 'same' (timing noise)."""
    if prec is None or not len(prec) or "mode" not in prec.columns:
        return {}
    ok = ok_rows(prec)
    rows = []
    for _, r in ok.iterrows():
        d = r.to_dict()
        d["weights_text"] = _dtype_map(r.get("weight_dtypes"))
        rows.append(d)
    compare = []
    for model, g in ok.groupby("model", sort=False):
        bs = g["batch_size"].max()
        at = g[g["batch_size"] == bs]
        ref = at[at["mode"].astype(str) == "fp32"]
        if not len(ref):
            continue
        ref = ref.iloc[0]
        for _, r in at.iterrows():
            if str(r["mode"]) == "fp32":
                continue
            a = {"y": _f(r.latency_median_s), "lo": _f(r.get("latency_p10_s")), "hi": _f(r.get("latency_p90_s"))}
            b = {"y": _f(ref.latency_median_s), "lo": _f(ref.get("latency_p10_s")), "hi": _f(ref.get("latency_p90_s"))}
            within = _verdict(a, b, "p10p90")
            speed = _f(r.throughput_per_s) / _f(ref.throughput_per_s) if _f(ref.throughput_per_s) else math.nan
            acc, ref_acc = _f(r.get("accuracy")), _f(ref.get("accuracy"))
            compare.append({
                "model": str(model), "mode": str(r["mode"]), "batch": int(bs),
                "bytes": _f(r.state_dict_bytes), "ref_bytes": _f(ref.state_dict_bytes),
                "size_ratio": _f(r.state_dict_bytes) / _f(ref.state_dict_bytes) if _f(ref.state_dict_bytes) else math.nan,
                "latency": a["y"], "ref_latency": b["y"], "speed": speed,
                "timing": "same" if within else ("faster" if a["y"] < b["y"] else "slower"),
                "within_spread": within, "repeats": r.get("latency_repeats"),
                "accuracy": acc, "ref_accuracy": ref_acc,
                "acc_diff": acc - ref_acc if _isnum(acc) and _isnum(ref_acc) else math.nan,
                "agreement": _f(r.get("agreement_with_fp32")), "rel_error": _f(r.get("rel_error_vs_fp32")),
                "weights_text": _dtype_map(r.get("weight_dtypes")),
                "quantized_layers": _f(r.get("quantized_layers")),
            })
    def ints(col, frame):
        return sorted({int(v) for v in frame[col].dropna()}) if col in frame.columns else []
    with_acc = ok[ok["accuracy"].notna()] if "accuracy" in ok.columns else ok.iloc[0:0]
    return {"rows": rows, "compare": compare, "repeats": ints("latency_repeats", ok),
            "test_samples": ints("test_samples", with_acc)}


def efficiency_facts(tables: dict) -> dict:
    """Issue 6: the measured ceilings, the roofline summary per model and the precision comparisons."""
    return {"peak": peak_facts(tables.get("peak")), "roofline": roofline_facts(tables.get("roofline")),
            "precision": precision_facts(tables.get("precision"))}
