"""The lab's answers as data: pure functions from measured tables (DataFrames) to *facts*.

A fact is a plain dict of raw numbers and words chosen by comparing numbers (direction, best variant,
whether a difference is within the measured spread). The sentences themselves are written by the
macros in templates/_answers.html.j2, which format the numbers with the report's filters; so reversing the
data reverses the fact, and with it the sentence.

Spread (the rule of mlalab.noise, quoted in the Methods section):
* mean over seeds +- sample std: two values differ "beyond the spread" when |d| > sqrt(std_a^2 + std_b^2);
  with a single seed there is no spread (within_spread is None) and the sentence says so;
* latency medians: two medians are within the spread when their p10..p90 intervals overlap.
"""

from __future__ import annotations

import ast
import json
import math

import pandas as pd

from .noise import Latency, Spread, latency_overlap, within_noise


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
        "throughput": trend(t, y="throughput_per_s", quantity="inference throughput", unit="per_s",
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
        facts["throughput"] = trend(t, "batch_size", thr, quantity=f"{quantity} throughput", unit="per_s",
                                    xname="batch size", higher_is_better=True, best_word="highest throughput")
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
                       "saved": abs(a["y"] - b["y"]), "repeats": r.get("repeats"),
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


def efficiency_facts(tables: dict) -> dict:
    """Issue 6's tables are rendered as they come; nothing to compare here beyond presence."""
    return {k: (v is not None) for k, v in tables.items()}
