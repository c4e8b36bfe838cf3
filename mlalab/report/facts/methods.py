"""Facts of the Methods section's timing paragraph, read from the latency records (`latency.csv`) and the config:
how many calls each figure took, why its series stopped, how it shared the machine and with what, its drift
verdict and its test-set cross-check. The template writes every sentence from these, so a record that changes
changes the sentence (tests/unit/test_methods.py)."""

from __future__ import annotations

import math

import pandas as pd

from mlalab.report.facts.common import num, ok_rows
from mlalab.report.noise import PASS_TOLERANCE


def record_label(r) -> str:
    runtime = str(r.get("runtime") or "eager")
    variant = str(r.get("precision")) + ("" if runtime == "eager" else f", {runtime}")
    return f"{r.get('model')} {variant} batch {int(num(r.get('batch_size')))}"


def _text(r, key) -> str:
    v = r.get(key)
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)


def _counts(series: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in series.dropna().astype(str).value_counts().items()}


def _truthy(v) -> bool:
    """A CSV boolean (True, 'True', 1) as a bool; missing is False."""
    return str(v).strip().lower() in ("true", "1", "1.0")


def timing_facts(latency: pd.DataFrame | None, config: dict) -> dict:
    """What was done to time every latency figure of this build (module doc); {} without a latency table."""
    if latency is None or not len(latency):
        return {}
    ok = ok_rows(latency)
    rows = [r for _, r in ok.iterrows()]
    timing = config["timing"]
    part3 = config["part3"]["timing"] if "part3" in config else {}
    calls = ok["latency_repeats"].dropna().astype(int) if "latency_repeats" in ok else pd.Series(dtype=int)
    beside = [{"label": record_label(r), "jobs": _text(r, "beside_jobs").split(";")}
              for r in rows if _text(r, "beside_jobs")]
    drift = _counts(ok["latency_drift"]) if "latency_drift" in ok else {}
    stable = [abs(num(r.get("latency_drift_ratio")) - 1) for r in rows if _text(r, "latency_drift") == "stable"]
    passes = [r for r in rows if _text(r, "test_pass_agreement")]
    worst_pass = max(passes, key=lambda r: num(r.get("test_pass_ratio")), default=None)
    return {
        "n": len(rows), "failed": len(latency) - len(rows),
        "modes": sorted(set(ok["timing_mode"].dropna().astype(str))) if "timing_mode" in ok else [],
        "calls_min": int(calls.min()) if len(calls) else None, "calls_max": int(calls.max()) if len(calls) else None,
        "stops": _counts(ok["timing_stop"]) if "timing_stop" in ok else {},
        "warmups": sorted({int(w) for w in (timing.get("warmup"), part3.get("warmup")) if w is not None}),
        "target_rel_ci": timing.get("target_rel_ci"), "min_time_s": timing.get("min_time_s"),
        "pass_tolerance": PASS_TOLERANCE,
        "budgets": sorted({float(b) for b in (timing.get("budget_s"), part3.get("budget_s")) if b is not None}),
        "drift_retries": timing.get("drift_retries"), "drift_pause_s": timing.get("drift_pause_s"),
        "threads": sorted({int(t) for t in ok["threads"].dropna()}) if "threads" in ok else [],
        # which figures ran on which thread count (Part 3's big models may use every core, MNIST's one)
        "threads_use": [{"threads": int(n), "figures": len(g), "models": list(dict.fromkeys(g["model"].astype(str)))}
                        for n, g in ok.groupby("threads")] if "threads" in ok else [],
        "devices": sorted(set(ok["device"].dropna().astype(str))) if "device" in ok else [],
        "clocks": _counts(ok["timing_clock"]) if "timing_clock" in ok else {},
        "isolation": sorted(set(ok["isolation"].dropna().astype(str))) if "isolation" in ok else [],
        "alone": len(rows) - len(beside), "beside": beside,
        "drift": drift,
        "retried": [{"label": record_label(r), "tries": int(num(r.get("latency_tries")))}
                    for r in rows if num(r.get("latency_tries")) > 1],
        "drifted": [{"label": record_label(r), "ratio": num(r.get("latency_drift_ratio"))}
                    for r in rows if _text(r, "latency_drift") == "drifted"],
        "unchecked": [{"label": record_label(r), "calls": int(num(r.get("latency_repeats")))}
                      for r in rows if _text(r, "latency_drift") == "unchecked"],
        "worst_stable_shift": max(stable) if stable else None,
        "passes": len(passes), "pass_counts": _counts(pd.Series([_text(r, "test_pass_agreement") for r in passes])),
        "pass_slower": [{"label": record_label(r), "ratio": num(r.get("test_pass_ratio"))}
                        for r in passes if _text(r, "test_pass_agreement") == "slower"],
        "pass_retimed": [{"label": record_label(r)} for r in passes if _truthy(r.get("test_pass_retimed"))],
        "pass_worst": ({"label": record_label(worst_pass), "ratio": num(worst_pass.get("test_pass_ratio"))}
                       if worst_pass is not None else None),
        "pass_range": ((min(num(r.get("test_pass_ratio")) for r in passes),
                        max(num(r.get("test_pass_ratio")) for r in passes)) if passes else None),
        "p99_bounded": int(ok["latency_p99_ci95_high_s"].notna().sum()) if "latency_p99_ci95_high_s" in ok else 0,
        "rows": [{**{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.to_dict().items()},
                  "label": record_label(r)} for r in rows],
    }
