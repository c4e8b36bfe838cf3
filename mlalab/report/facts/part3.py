"""Facts of Part 3: ResNet18 and BERT-base latency against batch size, Q1 (one at a time vs one batch),
and ResNet18's weights-vs-activations memory."""

from __future__ import annotations

import math

import pandas as pd

from mlalab.report.facts.common import latency_point, num, ok_rows, trend, verdict


def latency_facts(frame: pd.DataFrame | None, quantity: str) -> dict:
    """Latency, time per input and throughput against batch size for one Part 3 model (its fp32 rows: the
    other precisions belong to the precision study)."""
    if frame is None or not len(frame):
        return {}
    t = ok_rows(frame)
    t = t[t["precision"].astype(str) == "fp32"].sort_values("batch_size", kind="stable")
    per = t.assign(_per=t["latency_median_s"] / t["batch_size"], _plo=t["latency_p10_s"] / t["batch_size"],
                   _phi=t["latency_p90_s"] / t["batch_size"])
    facts = {
        "latency": trend(t, "batch_size", "latency_median_s", lo="latency_p10_s", hi="latency_p90_s",
                         quantity=f"{quantity} latency per batch", unit="ms", xname="batch size"),
        "per_item": trend(per, "batch_size", "_per", lo="_plo", hi="_phi", quantity=f"{quantity} time per input",
                          unit="ms", xname="batch size"),
        "throughput": trend(t, "batch_size", "throughput_per_s", lo="throughput_p10_per_s",
                            hi="throughput_p90_per_s", quantity=f"{quantity} throughput", unit="per_s",
                            xname="batch size", higher_is_better=True, best_word="highest throughput"),
    }
    return {k: v for k, v in facts.items() if v}


def q1_fact(q1: pd.DataFrame | None, latency: pd.DataFrame | None = None) -> dict | None:
    """Q1: the same images one at a time (a separate pass of single-image calls) against one batch (the
    latency record of that batch size). `in_latency_table`: that record is a row of the ResNet18 latency
    table too (fp32 at batch = the number of images, the same median), so the two sections show one number."""
    if q1 is None or not len(q1):
        return None
    r = q1.iloc[0]
    a = latency_point(r, "one_at_a_time_s", "one_at_a_time_p10_s", "one_at_a_time_p90_s")
    b = latency_point(r)
    images = int(num(r.get("batch_size")))
    shown = False
    if latency is not None and len(latency):
        same = ok_rows(latency)
        same = same[(same["precision"].astype(str) == "fp32") & (same["batch_size"] == images)]
        shown = bool((same["latency_median_s"] == b["y"]).any())
    return {"images": images, "one_at_a_time": a["y"], "one_batch": b["y"], "in_latency_table": shown,
            "faster": "batch" if b["y"] < a["y"] else "one at a time",
            "ratio": max(a["y"], b["y"]) / min(a["y"], b["y"]) if min(a["y"], b["y"]) > 0 else math.nan,
            "saved": abs(a["y"] - b["y"]), "image_size": r.get("image_size"),
            "repeats_one_at_a_time": r.get("one_at_a_time_repeats"), "repeats_batch": r.get("latency_repeats"),
            "within_spread": verdict(a, b, "p10p90")}


def memory_rows(mem: pd.DataFrame | None) -> list[dict] | None:
    """ResNet18 per batch: analytic activation bytes against weight bytes, and which dominates."""
    if mem is None or not len(mem):
        return None
    rows = []
    for _, r in mem.iterrows():
        wv, av = num(r["weight_bytes"]), num(r["activation_bytes_analytic"])
        rows.append({"batch": r.get("batch_size"), "weights": wv, "activations": av,
                     "saved": num(r.get("saved_activation_bytes")),
                     "crossover": r.get("crossover_batch_analytic"),
                     "dominant": "activations" if av > wv else "weights",
                     "ratio": av / wv if wv else math.nan})
    return rows


def part3_facts(part3: dict) -> dict:
    """`part3`: table name without the 'part3_' prefix -> frame (or None)."""
    facts = {"resnet18": latency_facts(part3.get("resnet18_latency"), "ResNet18"),
             "bert": latency_facts(part3.get("bert_latency"), "BERT-base"),
             "q1": q1_fact(part3.get("resnet18_q1"), part3.get("resnet18_latency")),
             "resnet18_memory": memory_rows(part3.get("resnet18_memory"))}
    return {k: v for k, v in facts.items() if v is not None}
