"""What every part's facts share: reading a number, the successful rows, the spread verdict and `trend`.

A fact is a plain dict of raw numbers and words chosen by comparing numbers (direction, best variant,
whether a difference is within the measured spread). The sentences are written by the macros in
templates/_answers.html.j2, which format the numbers with the report's filters; so reversing the data
reverses the fact, and with it the sentence.

Spread (the rule of mlalab.report.noise, quoted in the Methods section):
* mean over seeds +- sample std: two values differ "beyond the spread" when |d| > sqrt(std_a^2 + std_b^2);
  with a single seed there is no spread (within_spread is None) and the sentence says so;
* latency medians: two medians are within the spread when their p10..p90 intervals overlap.
"""

from __future__ import annotations

import math

import pandas as pd

from mlalab.report.noise import Latency, Spread, latency_overlap, within_noise


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

    `a`, `b`: points {"y", "std", "n"} (spread 'std') or {"y", "lo", "hi"} (spread 'p10p90')."""
    if spread == "std":
        n_a, n_b = int(num(a.get("n")) or 1), int(num(b.get("n")) or 1)
        sa, sb = num(a.get("std")), num(b.get("std"))
        if n_a < 2 or n_b < 2 or math.isnan(sa) or math.isnan(sb):
            return None
        return bool(within_noise(Spread(a["y"], sa, n_a), Spread(b["y"], sb, n_b)))
    if spread == "p10p90":
        if not all(isnum(p.get(k)) for p in (a, b) for k in ("lo", "hi")):
            return None
        return bool(latency_overlap(Latency(a["y"], a["lo"], a["hi"], 0), Latency(b["y"], b["lo"], b["hi"], 0)))
    return None


def latency_point(row, median: str = "latency_median_s", p10: str = "latency_p10_s",
                  p90: str = "latency_p90_s") -> dict:
    """A latency median with its p10..p90 interval, as a point for `verdict(..., 'p10p90')`."""
    return {"y": num(row.get(median)), "lo": num(row.get(p10)), "hi": num(row.get(p90))}


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
        yv = num(r[y])
        if math.isnan(yv):
            continue
        p = {"x": r[x], "y": yv}
        if std:
            p["std"] = num(r.get(std))
            p["n"] = num(r.get(n)) if n and n in table.columns else 1
        if lo and hi:
            p["lo"], p["hi"] = num(r.get(lo)), num(r.get(hi))
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
        "n_seeds": int(max(num(p.get("n", 1)) or 1 for p in points)) if std else None,
        "best": None,
    }
    if higher_is_better is not None and direction != "unchanged":
        ranked = sorted(points, key=lambda p: p["y"], reverse=higher_is_better)
        best, runner = ranked[0], ranked[1]
        fact["best"] = {"x": best["x"], "y": best["y"], "word": best_word or ("highest" if higher_is_better else "lowest"),
                        "runner_x": runner["x"], "runner_y": runner["y"],
                        "within_spread": verdict(best, runner, None if exact else spread)}
    return fact
