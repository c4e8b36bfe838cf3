"""Aggregate one experiment's runs into its report tables (one row per variant x batch size)."""

from __future__ import annotations

import pandas as pd

from mlalab.measure.timing import summarize
from mlalab.report.noise import aggregate

SEED_METRICS = ["train_time_s", "train_time_per_epoch_s", "accuracy", "test_loss"]


def _per_seed(rows: list[dict], metrics: dict, timings: dict) -> pd.DataFrame:
    records = []
    for row in rows:
        m, t = metrics[row["run"]], timings[row["run"]]
        errors = [f"{job}: {r['error']}" for job, r in (("train", m), ("bench", t)) if r.get("status") != "ok"]
        records.append({**row, "status": "failed" if errors else "ok", "error": "; ".join(errors) or None,
                        **{k: m.get(k) for k in SEED_METRICS}})
    return pd.DataFrame(records)


def _pooled_latency(runs: list[str], timings: dict) -> dict:
    samples = [s for r in runs if timings[r].get("status") == "ok" for s in timings[r]["latency"]["samples_s"]]
    if not samples:
        return {}
    stats = summarize(samples)
    ok = [timings[r] for r in runs if timings[r].get("status") == "ok"]
    test_set = [t["test_set"]["median_s"] for t in ok if "test_set" in t]
    bs = ok[0]["latency"]["batch_size"]
    return {
        "latency_median_s": stats["median_s"], "latency_p10_s": stats["p10_s"], "latency_p90_s": stats["p90_s"],
        "latency_repeats": stats["n"], "throughput_per_s": bs / stats["median_s"],
        "test_set_time_s": sum(test_set) / len(test_set) if test_set else None,
        "device": ok[0]["environment"]["device"], "device_name": ok[0]["environment"]["device_name"],
        "threads": ok[0]["threads"],
        "timing_method": ok[0]["environment"]["method"],
    }


def experiment_table(rows: list[dict], metrics: dict, timings: dict, profiles: dict) -> pd.DataFrame:
    """`rows`: dicts with experiment, label, run, model, batch_size, seed (mlalab.plan.config.Row as dict).
    `metrics`/`timings`: run id -> train/bench record; `profiles`: model id -> profile record."""
    per_seed = _per_seed(rows, metrics, timings)
    keys = ["experiment", "label", "model", "batch_size"]
    out = []
    for key, group in per_seed.groupby(keys, sort=False):
        base = dict(zip(keys, key))
        ok = group[group["status"] == "ok"]
        if len(ok):
            stats = aggregate(ok, keys, SEED_METRICS).iloc[0].to_dict()
            stats["accuracy_seeds"] = ";".join(f"{a:.6f}" for a in ok["accuracy"])
        else:
            stats = {"n_seeds": 0}
        prof = profiles[base["model"]]
        out.append({
            **base,
            "kind": prof["spec"]["kind"],
            "runs": ";".join(group["run"]),
            **stats,
            **_pooled_latency(list(ok["run"]), timings),
            "params_total": prof["params_total"],
            "params_trainable": prof["params_trainable"],
            "param_bytes": prof["param_bytes"],
            "macs_per_sample_analytic": prof["macs_per_sample"]["analytic"],
            "macs_per_sample_aten": prof["macs_per_sample"]["aten"],
            "macs_per_sample_thop": prof["macs_per_sample"]["thop_total"],
            "macs_per_sample_thop_conv_linear": prof["macs_per_sample"]["thop_conv_linear"],
            "macs_per_batch": prof["macs_per_sample"]["analytic"] * base["batch_size"],
            "input_shape": "x".join(str(d) for d in [base["batch_size"], *prof["input_shape"][1:]]),
            "output_shape": "x".join(str(d) for d in [base["batch_size"], *prof["output_shape"][1:]]),
            "input_dtype": prof["input_dtype"],
            "weight_dtypes": ";".join(sorted(set(prof["weight_dtypes"].values()))),
            "output_dtype": prof["output_dtype"],
            "status": "failed" if (group["status"] != "ok").any() else "ok",
            "error": "; ".join(e for e in group["error"] if isinstance(e, str)) or None,
        })
    return pd.DataFrame(out)


def layers_table(experiment: str, variants: list[tuple[str, str]], layer_frames: dict) -> pd.DataFrame:
    """Stack the per-layer tables of an experiment's variants: `variants` is [(label, model id)]."""
    parts = []
    for label, model in variants:
        frame = layer_frames[model].copy()
        frame.insert(0, "model", model)
        frame.insert(0, "label", label)
        frame.insert(0, "experiment", experiment)
        parts.append(frame)
    return pd.concat(parts, ignore_index=True)
