"""Facts of Part 3: ResNet18 and BERT-base latency against batch size, Q1 (one at a time vs one batch),
and ResNet18's weights-vs-activations memory."""

from __future__ import annotations

import math

import pandas as pd

from mlalab.report.facts.common import (
    drop_repeated_steps,
    latency_point,
    num,
    ok_rows,
    trend,
    verdict,
    with_ci_columns,
)
from mlalab.report.noise import Latency, medians_differ


def latency_facts(frame: pd.DataFrame | None, quantity: str) -> dict:
    """Latency, time per input and throughput against batch size for one Part 3 model (its fp32 rows: the
    other precisions belong to the precision study)."""
    if frame is None or not len(frame):
        return {}
    t = ok_rows(frame)
    t = with_ci_columns(t[t["precision"].astype(str) == "fp32"].sort_values("batch_size", kind="stable"))
    facts = {
        "latency": trend(t, "batch_size", "latency_median_s", lo="latency_ci95_low_s", hi="latency_ci95_high_s",
                         quantity=f"{quantity} latency per batch", unit="ms", xname="batch size"),
        "per_item": trend(t, "batch_size", "_per_image_s", lo="_per_image_lo", hi="_per_image_hi",
                          quantity=f"{quantity} time per input", unit="ms", xname="batch size"),
        "throughput": trend(t, "batch_size", "throughput_per_s", lo="_thr_lo", hi="_thr_hi",
                            quantity=f"{quantity} throughput", unit="per_s",
                            xname="batch size", higher_is_better=True, best_word="highest throughput"),
    }
    return drop_repeated_steps({k: v for k, v in facts.items() if v}, "per_item", "throughput")


def q1_fact(q1: pd.DataFrame | None, latency: pd.DataFrame | None = None) -> dict | None:
    """Q1: the same images one at a time (a separate pass of single-image calls) against one batch (the
    latency record of that batch size). `in_latency_table`: that record is a row of the ResNet18 latency
    table too (fp32 at batch = the number of images, the same median), so the two sections show one number."""
    if q1 is None or not len(q1):
        return None
    r = q1.iloc[0]
    a = {"y": num(r.get("one_at_a_time_s")), "lo": num(r.get("one_at_a_time_ci95_low_s")),
         "hi": num(r.get("one_at_a_time_ci95_high_s"))}
    b = latency_point(r)
    images = int(num(r.get("batch_size")))
    shown = False
    if latency is not None and len(latency):
        same = ok_rows(latency)
        same = same[(same["precision"].astype(str) == "fp32") & (same["batch_size"] == images)]
        shown = bool((same["latency_median_s"] == b["y"]).any())
    within = verdict(a, b, "ci95")
    faster = "batch" if b["y"] < a["y"] else "one at a time"
    threads = num(r.get("threads"))
    return {"images": images, "one_at_a_time": a["y"], "one_batch": b["y"], "in_latency_table": shown,
            "faster": faster, "answer": "not measurably" if within else ("yes" if faster == "batch" else "no"),
            "ratio": max(a["y"], b["y"]) / min(a["y"], b["y"]) if min(a["y"], b["y"]) > 0 else math.nan,
            "saved": abs(a["y"] - b["y"]), "image_size": r.get("image_size"),
            "repeats_one_at_a_time": r.get("one_at_a_time_repeats"), "repeats_batch": r.get("latency_repeats"),
            "within_spread": within,
            # the conditions the answer holds under: where it ran and what one image cost each way
            "device": str(r.get("device") or ""), "device_name": str(r.get("device_name") or ""),
            "threads": int(threads) if not math.isnan(threads) else None,
            "per_image_alone": a["y"] / images if images else math.nan,
            "per_image_in_batch": b["y"] / images if images else math.nan,
            "conditions": q1_conditions({"images": images}, None, {}, None)}


def q1_conditions(q1: dict, memory: list[dict] | None, counts: dict, compare: list | None) -> dict:
    """What the Q1 answer depends on, from the data: the batch's activations against the weights (read once
    per call either way), and whether a comparison report puts other machines beside this one."""
    at = [m for m in memory or [] if num(m.get("batch")) == q1["images"]]
    params = (counts.get("resnet18") or {}).get("params")
    return {"batch_activations": at[0]["activations"] if at else None,
            "weights": at[0]["weights"] if at else (params * 4 if params else None),
            "compare": list(compare or [])}


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


def count_facts(counts: pd.DataFrame | None) -> dict:
    """Per model: exact parameters and the reference (analytic: conv + linear, and BERT's attention products)
    MACs of one input, with the input shape they are counted at."""
    if counts is None or not len(counts):
        return {}
    out = {}
    for model, g in counts.groupby("model", sort=False):
        ref = g[g["counter"].astype(str) == "analytic"]
        r = (ref if len(ref) else g).iloc[0]
        out[str(model).replace("-", "_")] = {"model": str(model), "params": num(r["params"]),
                                             "macs": num(r["macs"]), "input_shape": r.get("input_shape")}
    return out


def gemm_facts(gemms: pd.DataFrame | None) -> dict | None:
    """BERT Q3: how many matrix products one encoder block runs, which, and the heads of the batched ones."""
    if gemms is None or not len(gemms):
        return None
    g = gemms[gemms["block"] == gemms["block"].min()]
    batch = num(g["batch_size"].iloc[0]) or 1
    bmm = g[g["op"].astype(str) == "bmm"]
    return {"n": len(g), "linear_roles": [str(r) for r in g[g["op"].astype(str) != "bmm"]["role"]],
            "batched_roles": [str(r) for r in bmm["role"]], "n_linear": len(g) - len(bmm),
            "n_batched": len(bmm), "heads": int(num(bmm["groups"].iloc[0]) / batch) if len(bmm) else None,
            "macs": num(g["macs"].sum()), "batch": int(batch), "seq_len": int(num(g["seq_len"].iloc[0]))}


def _latency(r) -> Latency:
    return Latency(num(r.get("latency_median_s")), num(r.get("latency_ci95_low_s")),
                   num(r.get("latency_ci95_high_s")))


def runtime_facts(frame: pd.DataFrame | None) -> list[dict] | None:
    """Per Part 3 model, in table order: at each batch size the fastest runtime, the runner-up and whether the
    gap is beyond timing noise (noise.medians_differ: the medians' 95 % CIs do not overlap; None without a CI),
    the largest output error of each runtime against eager fp32, and the runtimes that failed with why."""
    if frame is None or not len(frame):
        return None
    out = []
    for model, g in frame.groupby("model", sort=False):
        ok = ok_rows(g)
        per_batch = []
        for batch, b in ok.sort_values("batch_size", kind="stable").groupby("batch_size", sort=True):
            b = b.sort_values("latency_median_s", kind="stable")
            first = b.iloc[0]
            row = {"batch": int(batch), "fastest": str(first["runtime_label"]), "latency": num(first["latency_median_s"]),
                   "alone": len(b) == 1}
            if len(b) > 1:
                second = b.iloc[1]
                row.update(runner_up=str(second["runtime_label"]), runner_up_latency=num(second["latency_median_s"]),
                           ratio=num(second["latency_median_s"]) / row["latency"] if row["latency"] else math.nan,
                           beyond_noise=medians_differ(_latency(first), _latency(second)))
            per_batch.append(row)
        errors = {str(k): num(e["output_max_abs_error"].max()) for k, e in ok.groupby("runtime_label", sort=False)
                  if "output_max_abs_error" in e and e["output_max_abs_error"].notna().any()}
        rel = {str(k): num(e["output_max_rel_error"].max()) for k, e in ok.groupby("runtime_label", sort=False)
               if "output_max_rel_error" in e and e["output_max_rel_error"].notna().any()}
        bad = g[g["status"].astype(str) != "ok"] if "status" in g else g.iloc[0:0]
        failed = [{"runtime": str(r["runtime_label"]), "batch": r.get("batch_size"), "error": r.get("error")}
                  for _, r in bad.iterrows()]
        out.append({"model": str(model), "key": str(model).replace("-", "_").replace(".", "_"),
                    "runtimes": list(dict.fromkeys(str(x) for x in g["runtime_label"])), "per_batch": per_batch,
                    "measured": list(dict.fromkeys(str(x) for x in ok["runtime_label"])),
                    "max_abs_error": errors, "max_rel_error": rel, "failed": failed})
    return out


def model_facts(counts: pd.DataFrame | None, memory: pd.DataFrame | None, gemms: pd.DataFrame | None) -> dict:
    """Per `part3.models` model: exact params, reference (flop_counter) MACs, torchvision's documented figures
    beside our count at their input size (torchvision builders), weights vs activations per batch, and the number and MACs of the GEMMs in its first block (none for a model without blocks)."""
    out: dict = {}
    if counts is not None and len(counts):
        for model, g in counts.groupby("model", sort=False):
            ref = g[g["counter"].astype(str) == "flop_counter"]
            r = (ref if len(ref) else g).iloc[0]
            out[str(model)] = {"params": num(r["params"]), "macs": num(r["macs"]), "input_shape": r.get("input_shape")}
            tv = g[g["counter"].astype(str) == "torchvision"]
            if len(tv):
                t = tv.iloc[0]
                ours = ref[ref["input_shape"] == t["input_shape"]]
                out[str(model)]["torchvision"] = {
                    "params": num(t["params"]), "macs": num(t["macs"]), "input_shape": t.get("input_shape"),
                    "macs_ours": num(ours["macs"].iloc[0]) if len(ours) else math.nan,
                    "rel_diff": num(t.get("macs_rel_diff")), "params_equal": num(t["params"]) == num(r["params"])}
    if memory is not None and len(memory):
        for model, g in memory.groupby("model", sort=False):
            out.setdefault(str(model), {})["memory"] = memory_rows(g)
    if gemms is not None and len(gemms):
        for model, g in gemms.groupby("model", sort=False):
            out.setdefault(str(model), {}).update(
                block=str(g["block"].iloc[0]), n_gemms=len(g), gemm_macs=num(g["macs"].sum()),
                n_batched=int((g["op"].astype(str) == "bmm").sum()))
    return out


def part3_facts(part3: dict, compare: list | None = None) -> dict:
    """`part3`: table name without the 'part3_' prefix -> frame (or None); `compare`: the results folders a
    comparison report of this build lists (config `compare:`)."""
    facts = {"resnet18": latency_facts(part3.get("resnet18_latency"), "ResNet18"),
             "bert": latency_facts(part3.get("bert_latency"), "BERT-base"),
             "q1": q1_fact(part3.get("resnet18_q1"), part3.get("resnet18_latency")),
             "resnet18_memory": memory_rows(part3.get("resnet18_memory")),
             "counts": count_facts(part3.get("counts")), "gemms": gemm_facts(part3.get("bert_gemms")),
             "runtimes": runtime_facts(part3.get("runtimes")),
             "models": model_facts(part3.get("models_counts"), part3.get("models_memory"),
                                   part3.get("models_gemms")) or None}
    if facts["q1"]:
        facts["q1"]["conditions"] = q1_conditions(facts["q1"], facts["resnet18_memory"], facts["counts"], compare)
    return {k: v for k, v in facts.items() if v is not None}
