"""What every part's facts share: reading a number, the successful rows, the spread verdict and `trend`.

A fact is a plain dict of raw numbers and words chosen by comparing numbers (direction, best variant,
whether a difference is within the measured spread). The sentences are written by the macros in
templates/_answers.html.j2, which format the numbers with the report's filters; so reversing the data
reverses the fact, and with it the sentence.

Spread (the rule of mlalab.report.noise, quoted in the Methods section):
* mean over seeds +- sample std: two values differ "beyond the spread" when |d| > sqrt(std_a^2 + std_b^2);
  with a single seed there is no spread (within_spread is None) and the sentence says so;
* latency medians: two medians differ when the 95 % confidence intervals of the medians (order statistics,
  in every latency record) do not overlap; without an interval (fewer than 6 calls) within_spread is None.
  A median whose series drifted (its halves differ beyond their intervals after every try,
  mlalab.measure.timing) is `unstable`: no verdict is drawn from it (None) and the fact names it.
"""

from __future__ import annotations

import math

import pandas as pd

from mlalab.report.noise import Latency, Spread, medians_differ, within_noise


def num(x) -> float:
    """A table cell as a float (NaN when empty or not a number)."""
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def isnum(x) -> bool:
    return not math.isnan(num(x))


def ok_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The rows that measured something (status 'ok', or no status column at all)."""
    if "status" not in table.columns:
        return table
    return table[table["status"].fillna("ok").astype(str).str.lower() == "ok"]


def verdict(a: dict, b: dict, spread: str | None):
    """True if a and b are within the measured spread, False if beyond it, None if no spread was measured.

    `a`, `b`: points {"y", "std", "n"} (spread 'std') or {"y", "lo", "hi"} (spread 'ci95': lo..hi is the 95 %
    confidence interval of the median y)."""
    if spread == "std":
        n_a, n_b = int(num(a.get("n")) or 1), int(num(b.get("n")) or 1)
        sa, sb = num(a.get("std")), num(b.get("std"))
        if n_a < 2 or n_b < 2 or math.isnan(sa) or math.isnan(sb):
            return None
        return bool(within_noise(Spread(a["y"], sa, n_a), Spread(b["y"], sb, n_b)))
    if spread in ("ci95", "binomial"):   # both are intervals: 'binomial' an accuracy's Wilson interval
        if a.get("unstable") or b.get("unstable"):
            return None
        differ = medians_differ(*(Latency(p["y"], num(p.get("lo")), num(p.get("hi"))) for p in (a, b)))
        return None if differ is None else not differ
    return None


def latency_point(row, prefix: str = "latency", scale: float = 1.0, invert: bool = False) -> dict:
    """A timed median with the 95 % CI of it, as a point for `verdict(..., 'ci95')`: `{prefix}_median_s` and
    `{prefix}_ci95_low_s`..`{prefix}_ci95_high_s` times `scale` (per image: 1 / batch), or `scale` divided by
    them when `invert` (throughput, GFLOP/s: a monotone map, so the interval maps to the interval)."""
    ys = [num(row.get(f"{prefix}_{k}_s")) for k in ("median", "ci95_low", "ci95_high")]
    unstable = {"unstable": True} if unstable_row(row, prefix) else {}
    if invert:
        ys = [scale / y if y else math.nan for y in ys]
        return {"y": ys[0], "lo": ys[2], "hi": ys[1], **unstable}
    return {"y": ys[0] * scale, "lo": ys[1] * scale, "hi": ys[2] * scale, **unstable}


def unstable_row(row, prefix: str = "latency") -> bool:
    """Whether a row's timed figure did not settle after every try: its series drifted (mlalab.measure.timing:
    `{prefix}_drift`), or a single call stayed slower than a batch of its own test-set pass (`test_pass_agreement`,
    a series timed again when it was: mlalab.stages.latency)."""
    return unstable_reason(row, prefix) is not None


def unstable_reason(row, prefix: str = "latency") -> str | None:
    """'drifted' (the halves of the series disagree), 'slower than its test-set pass', or None (settled)."""
    if str(row.get(f"{prefix}_drift", "")) == "drifted":
        return "drifted"
    if prefix == "latency" and str(row.get("test_pass_agreement", "")) == "slower":
        return "slower than its test-set pass"
    return None


def with_ci_columns(t: pd.DataFrame) -> pd.DataFrame:
    """Latency rows with the 95 % CI of the median carried to per-image latency and to throughput:
    `_per_image_s` / `_per_image_lo` / `_per_image_hi` and `_thr_lo` / `_thr_hi` (batch / latency CI bounds)."""
    b = t["batch_size"].astype(float)
    # tables written before the CI columns existed read as "no interval" (not enough calls to tell)
    med, lo, hi = (t[c].astype(float) if c in t.columns else b * math.nan
                   for c in ("latency_median_s", "latency_ci95_low_s", "latency_ci95_high_s"))
    return t.assign(_per_image_s=med / b, _per_image_lo=lo / b,
                    _per_image_hi=hi / b, _thr_lo=b / hi, _thr_hi=b / lo)


def _direction(ys: list[float], rel_tol: float) -> str:
    scale = max(abs(v) for v in ys) or 1.0
    steps = [b - a for a, b in zip(ys, ys[1:])]
    if all(abs(s) <= rel_tol * scale for s in steps):
        return "unchanged"
    if all(s > 0 for s in steps):
        return "increases"
    if all(s < 0 for s in steps):
        return "decreases"
    return "mixed"


def trend(table: pd.DataFrame, x: str, y: str, *, quantity: str, unit: str, xname: str,
          std: str | None = None, lo: str | None = None, hi: str | None = None, n: str | None = "n_seeds",
          higher_is_better: bool | None = None, best_word: str | None = None, rel_tol: float = 1e-9,
          exact: bool = False, interval: str = "ci95") -> dict | None:
    """How `y` changes along the rows of `table` (already in the sweep's order, x ascending).

    direction: 'increases' / 'decreases' (every step the same way), 'unchanged' (all equal within
    rel_tol), or 'mixed'. within_spread compares the two ends (first and last for a monotonic trend,
    lowest and highest otherwise). `best` is the row with the highest (or lowest) y when
    higher_is_better is given. exact=True marks deterministic quantities (params, MACs) with no spread.
    `interval` names what lo..hi is: 'ci95' (a median's 95 % CI) or 'binomial' (an accuracy's Wilson interval).
    """
    if table is None or y not in table.columns or x not in table.columns:
        return None
    spread = "std" if std else (interval if lo and hi else None)
    points = []
    for _, r in table.iterrows():
        yv = num(r[y])
        if math.isnan(yv):
            continue
        p = {"x": r[x], "y": yv}
        if std:
            p["std"] = num(r.get(std))
            p["n"] = num(r.get(n)) if n and n in table.columns else 1
        if lo and hi:
            p["lo"], p["hi"] = num(r.get(lo)), num(r.get(hi))
            if unstable_row(r):
                p["unstable"] = True
                p["why"] = unstable_reason(r)
                p["drift_ratio"] = num(r.get("latency_drift_ratio" if p["why"] == "drifted" else "test_pass_ratio"))
        points.append(p)
    if len(points) < 2:
        return None
    direction = _direction([p["y"] for p in points], rel_tol)
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
        "within_spread": None if (exact or direction == "unchanged") else verdict(a, b, spread),
        "flat_steps": [] if exact else [
            {"a": p["x"], "b": q["x"]} for p, q in zip(points, points[1:]) if verdict(p, q, spread) is True],
        "exact": exact,
        # figures whose timed calls changed speed midway: named, and nothing is ranked on them
        "unstable": [{"x": p["x"], "ratio": p.get("drift_ratio", math.nan), "why": p.get("why")}
                     for p in points if p.get("unstable")],
        "n_seeds": int(max(num(p.get("n", 1)) or 1 for p in points)) if std else None,
        "best": None,
    }
    if higher_is_better is not None and direction != "unchanged":
        ranked = sorted(points, key=lambda p: p["y"], reverse=higher_is_better)
        best, runner = ranked[0], ranked[1]
        fact["best"] = {"x": best["x"], "y": best["y"], "word": best_word or ("highest" if higher_is_better else "lowest"),
                        "runner_x": runner["x"], "runner_y": runner["y"],
                        "within_spread": verdict(best, runner, None if exact else spread),
                        "unstable": bool(best.get("unstable") or runner.get("unstable"))}
    return fact


def ranked_beyond_noise(fact: dict | None) -> dict | None:
    """Name a winner only where the noise rule could test its lead: a training time is one wall-clock run per
    seed, so with one seed its lead over the runner-up is untested (None) and no variant is called fastest
    (2.23 s against 2.29 s is not a ranking)."""
    if fact and fact.get("best") and fact["best"]["within_spread"] is None:
        fact["best"] = None
    return fact


def drop_repeated_steps(facts: dict, kept: str, repeat: str) -> dict:
    """Throughput is batch / latency, so its steps within noise are the per-image latency's: said once (under
    `kept`), not again under `repeat` in the same section."""
    a, b = facts.get(kept), facts.get(repeat)
    if a and b and [(s["a"], s["b"]) for s in a["flat_steps"]] == [(s["a"], s["b"]) for s in b["flat_steps"]]:
        b["flat_steps"] = []
    return facts
