"""Repeats and noise: mean and spread across seeds, and the rule that says when a difference is real.

The rule, stated once so the report can quote it:

* Seeds (accuracy, training time). Each variant runs once per seed; a table shows the mean and the sample
  standard deviation (ddof=1) across seeds. Two variants A and B differ by d = mean_B - mean_A. The
  seed-to-seed spread of such a difference is s = sqrt(std_A^2 + std_B^2) (the std of the difference of
  two independent runs). If |d| <= k * s (k = 1 by default), the difference is "not distinguishable
  from seed noise" (`within_noise`). With a single seed there is no spread to compare with (None), and the
  report says so instead of calling the difference real.
* Latency (repeated timed calls). Each figure is a median with its p10..p90 interval over the repeats.
  Two latencies are "not distinguishable from timing noise" when their p10..p90 intervals overlap
  (`latency_overlap`).

The report's facts (mlalab.report.facts.common.verdict) apply this rule; the templates write the sentences.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

import pandas as pd


@dataclass(frozen=True)
class Spread:
    """Mean, sample std (NaN with one value) and count of one variant's repeats."""

    mean: float
    std: float
    n: int

    @classmethod
    def of(cls, values: Iterable[float]) -> "Spread":
        xs = [float(v) for v in values]
        if not xs:
            raise ValueError("no values to summarize")
        m = math.fsum(xs) / len(xs)
        sd = math.sqrt(math.fsum((x - m) ** 2 for x in xs) / (len(xs) - 1)) if len(xs) > 1 else math.nan
        return cls(m, sd, len(xs))


def aggregate(frame: pd.DataFrame, keys: list[str], columns: list[str], seed_col: str = "seed") -> pd.DataFrame:
    """One row per `keys` group: `{col}_mean`, `{col}_std` (ddof=1, NaN for one seed) and `n_seeds`.

    Group order follows first appearance in `frame`, so table rows keep the config's order.
    """
    missing = [c for c in [*keys, *columns] if c not in frame.columns]
    if missing:
        raise KeyError(f"aggregate: columns {missing} not in the frame ({list(frame.columns)})")
    out = []
    for key, group in frame.groupby(keys, sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(keys, key))
        row["n_seeds"] = int(group[seed_col].nunique()) if seed_col in group else len(group)
        for c in columns:
            s = Spread.of(group[c])
            row[f"{c}_mean"], row[f"{c}_std"] = s.mean, s.std
        out.append(row)
    return pd.DataFrame(out)


def difference_spread(a: Spread, b: Spread) -> float:
    """Seed spread of the difference between one run of A and one run of B: sqrt(std_A^2 + std_B^2)."""
    return math.hypot(a.std, b.std)


def within_noise(a: Spread, b: Spread, k: float = 1.0) -> bool | None:
    """True if |mean_B - mean_A| <= k * spread; None if the spread is unknown (a variant has one seed)."""
    s = difference_spread(a, b)
    if math.isnan(s):
        return None
    return abs(b.mean - a.mean) <= k * s


# ---- latency: median with p10..p90 over repeated calls ---------------------------------------------------

@dataclass(frozen=True)
class Latency:
    median: float
    p10: float
    p90: float
    repeats: int


def latency_overlap(a: Latency, b: Latency) -> bool:
    """True if the p10..p90 intervals overlap (the medians are not distinguishable from timing noise)."""
    return a.p10 <= b.p90 and b.p10 <= a.p90
