"""Facts of the MNIST parts (1A-2C): batch-size sweeps, variant sweeps, precision (Q4), per-layer memory."""

from __future__ import annotations

import ast
import json
import math

import pandas as pd

from mlalab.report.facts.common import drop_repeated_steps, num, ranked_beyond_noise, trend, with_ci_columns
from mlalab.report.noise import wilson


def accuracy_trend(t: pd.DataFrame, **common) -> dict | None:
    """Test accuracy along the sweep. Over several seeds the seed spread decides whether two accuracies
    differ; with one seed, the binomial (Wilson) interval of each accuracy on its `test_samples` images does
    (mlalab.report.noise): +3 of 10,000 images is indistinguishable. `test_samples` and, per point,
    `steps` (the optimizer steps it was trained with) let the sentence say what changed."""
    seeds = t["n_seeds"].astype(float).max() if "n_seeds" in t.columns else 1
    n = t["test_samples"].astype(float) if "test_samples" in t.columns else t["accuracy_mean"] * math.nan
    if seeds >= 2 or n.isna().all():
        fact = trend(t, y="accuracy_mean", std="accuracy_std", quantity="test accuracy", unit="pct",
                     higher_is_better=True, best_word="most accurate", **common)
    else:
        bounds = [wilson(p, k) for p, k in zip(t["accuracy_mean"].astype(float), n)]
        t = t.assign(_acc_lo=[b[0] for b in bounds], _acc_hi=[b[1] for b in bounds])
        fact = trend(t, y="accuracy_mean", lo="_acc_lo", hi="_acc_hi", interval="binomial",
                     quantity="test accuracy", unit="pct", higher_is_better=True, best_word="most accurate",
                     **common)
    if fact is None:
        return None
    fact["test_samples"] = int(n.max()) if n.notna().any() else None
    if "train_steps" in t.columns:
        steps = dict(zip(t[common["x"]], t["train_steps"]))
        for p in fact["points"]:
            p["steps"] = num(steps.get(p["x"]))
    return fact


def batch_facts(table: pd.DataFrame) -> dict:
    """Q3: the effect of batch size on training time, inference time, accuracy, params and MACs. Latency
    comparisons use the 95 % CI of each median (mlalab.report.noise)."""
    t = with_ci_columns(table.sort_values("batch_size", kind="stable"))
    common = {"x": "batch_size", "xname": "batch size"}
    facts = {
        "train_time": ranked_beyond_noise(trend(t, y="train_time_s_mean", std="train_time_s_std",
                                                quantity="training time", unit="secs", higher_is_better=False,
                                                best_word="fastest to train", **common)),
        "test_set_time": trend(t, y="test_set_time_s", quantity="inference time for the whole test set",
                               unit="secs", higher_is_better=False, best_word="fastest over the test set",
                               **common),
        "latency": trend(t, y="latency_median_s", lo="latency_ci95_low_s", hi="latency_ci95_high_s",
                         quantity="latency of one batch", unit="ms", **common),
        "latency_per_image": trend(t, y="_per_image_s", lo="_per_image_lo", hi="_per_image_hi",
                                   quantity="latency per image", unit="ms", **common),
        "throughput": trend(t, y="throughput_per_s", lo="_thr_lo", hi="_thr_hi",
                            quantity="inference throughput", unit="per_s",
                            higher_is_better=True, best_word="highest throughput", **common),
        "accuracy": accuracy_trend(t, **common),
        "params": trend(t, y="params_total", quantity="the number of parameters", unit="int", exact=True, **common),
        "macs_sample": trend(t, y="macs_per_sample_analytic", quantity="the MAC count per sample", unit="int",
                             exact=True, **common),
        "macs_batch": trend(t, y="macs_per_batch", quantity="the MAC count per batch", unit="int", exact=True,
                            **common),
    }
    return drop_repeated_steps({k: v for k, v in facts.items() if v is not None}, "latency_per_image", "throughput")


def variant_facts(table: pd.DataFrame, order: list[str] | None = None, xname: str = "variant") -> dict:
    """The effect of width / depth / filter size / conv layers (`xname`): rows in the config's variant order."""
    t = with_ci_columns(table)
    t["label"] = t["label"].astype(str)
    if order:
        rank = {label: i for i, label in enumerate(order)}
        t = t.assign(_rank=t["label"].map(lambda v: rank.get(v, len(rank)))).sort_values("_rank", kind="stable")
    common = {"x": "label", "xname": xname}
    facts = {
        "accuracy": accuracy_trend(t, **common),
        "train_time": ranked_beyond_noise(trend(t, y="train_time_s_mean", std="train_time_s_std",
                                                quantity="training time", unit="secs", higher_is_better=False,
                                                best_word="fastest to train", **common)),
        "latency": trend(t, y="latency_median_s", lo="latency_ci95_low_s", hi="latency_ci95_high_s",
                         quantity="inference latency of one batch", unit="ms", higher_is_better=False,
                         best_word="fastest at inference", **common),
        "params": trend(t, y="params_total", quantity="the number of parameters", unit="int", exact=True,
                        **common),
        "macs_sample": trend(t, y="macs_per_sample_analytic", quantity="the MAC count per sample", unit="int",
                             exact=True, **common),
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

def _numel(shape) -> int:
    text = "" if shape is None or (isinstance(shape, float) and math.isnan(shape)) else str(shape)
    dims = [int(float(d)) for d in text.split("x") if d.strip()]
    return math.prod(dims) if dims else 0


def _arithmetic(row: dict, batch: int) -> dict:
    """One layer's bytes as the product that gives them: weight numel x element size, and the activation at
    `batch` (output shape x element size)."""
    numel = _numel(row.get("weight_shape"))
    w = num(row.get("weight_bytes"))
    act_numel = _numel(row.get(f"output_shape_b{batch}"))
    return {"name": row.get("name"), "type": row.get("type"), "weight_shape": row.get("weight_shape"),
            "weight_numel": numel, "elem": int(w / numel) if numel else None, "weight_bytes": w,
            "bias_shape": row.get("bias_shape"), "bias_bytes": num(row.get("bias_bytes")),
            "batch": batch, "act_shape": row.get(f"output_shape_b{batch}"), "act_numel": act_numel,
            "act_bytes": num(row.get(f"act_bytes_b{batch}"))}


def layer_facts(layers: pd.DataFrame, batches: list[int]) -> dict:
    """Q1/Q2 from one variant's layer table, at the experiment's own batch sizes (those profiled): weights +
    biases against activations per batch, the exact crossover batch, the layer holding most parameters and
    the byte arithmetic of the first layer of each kind."""
    body = layers[layers["name"] != "total"]
    total = layers[layers["name"] == "total"]
    src = total.iloc[0] if len(total) else body.sum(numeric_only=True)
    w = num(src.get("param_bytes"))
    profiled = sorted(int(c[len("act_bytes_b"):]) for c in layers.columns if c.startswith("act_bytes_b"))
    shown = [b for b in batches if b in profiled]
    rows = []
    for b in shown:
        a = num(src.get(f"act_bytes_b{b}"))
        rows.append({"batch": b, "weights": w, "activations": a, "total": w + a,
                     "ratio": a / w if w else math.nan,
                     "dominant": "activations" if a > w else ("weights" if a < w else "neither")})
    # activations are linear in the batch: the crossover is the smallest b with b x per-sample bytes > w
    per_sample = num(src.get(f"act_bytes_b{profiled[0]}")) / profiled[0] if profiled else math.nan
    crossover = int(w // per_sample) + 1 if per_sample > 0 and not math.isnan(w) else None
    params_total = num(src.get("params"))
    big = body.loc[body["params"].astype(float).idxmax()].to_dict() if len(body) else None
    biggest_w = body.loc[body["weight_bytes"].astype(float).idxmax()].to_dict() if len(body) else None
    col = f"act_bytes_b{shown[-1]}" if shown else None
    biggest_a = body.loc[body[col].astype(float).idxmax()].to_dict() if col and len(body) else None
    kinds = {}
    for _, r in body.iterrows():
        if r["type"] in ("Linear", "Conv2d") and r["type"] not in kinds and shown:
            kinds[r["type"]] = _arithmetic(r.to_dict(), shown[0])
    linear = body[body["type"].astype(str) == "Linear"]
    fc = linear.iloc[0].to_dict() if len(linear) else None
    fc_in = int(str(fc["weight_shape"]).split("x")[1]) if fc and "x" in str(fc.get("weight_shape")) else None
    return {"fc": fc, "fc_in": fc_in, "batches": rows, "weights": w, "weight_bytes": num(src.get("weight_bytes")),
            "bias_bytes": num(src.get("bias_bytes")), "per_sample": per_sample, "crossover": crossover,
            "params": params_total, "largest_params": big,
            "largest_share": num(big["params"]) / params_total if big and params_total else math.nan,
            "largest_weights": biggest_w, "largest_activation": biggest_a, "arithmetic": list(kinds.values())}
