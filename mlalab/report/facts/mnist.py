"""Facts of the MNIST parts (1A-2C): batch-size sweeps, variant sweeps, precision (Q4), per-layer memory."""

from __future__ import annotations

import ast
import json
import math

import pandas as pd

from mlalab.report.facts.common import num, trend


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
        "throughput": trend(t, y="throughput_per_s", lo="throughput_p10_per_s", hi="throughput_p90_per_s",
                            quantity="inference throughput", unit="per_s",
                            higher_is_better=True, best_word="highest throughput", **common),
        "accuracy": trend(t, y="accuracy_mean", std="accuracy_std", quantity="test accuracy", unit="pct",
                          higher_is_better=True, best_word="most accurate", **common),
        "params": trend(t, y="params_total", quantity="the number of parameters", unit="si", exact=True, **common),
        "macs_sample": trend(t, y="macs_per_sample_thop", quantity="the MAC count per sample", unit="si", exact=True,
                             **common),
        "macs_batch": trend(t, y="macs_per_batch", quantity="the MAC count per batch", unit="si", exact=True, **common),
    }
    if len(t) >= 2:
        # per-image latency: the same measurement divided by the batch, to show amortization
        per = t.assign(latency_per_image_s=t["latency_median_s"] / t["batch_size"],
                       latency_per_image_p10_s=t["latency_p10_s"] / t["batch_size"],
                       latency_per_image_p90_s=t["latency_p90_s"] / t["batch_size"])
        facts["latency_per_image"] = trend(per, y="latency_per_image_s", lo="latency_per_image_p10_s",
                                           hi="latency_per_image_p90_s", quantity="latency per image",
                                           unit="ms", **common)
    return {k: v for k, v in facts.items() if v is not None}


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
    w = num(src.get("param_bytes"))
    rows = []
    for b in batches:
        a = num(src.get(f"act_bytes_b{b}"))
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
