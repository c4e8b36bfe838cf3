"""Repeats and noise: mean and spread across seeds, and sentences that say when a difference is real.

The rule, stated once so the report can quote it:

* Seeds (accuracy, training time). Each variant runs once per seed; a table shows the mean and the sample
  standard deviation (ddof=1) across seeds. Two variants A and B differ by d = mean_B - mean_A. The
  seed-to-seed spread of such a difference is s = sqrt(std_A^2 + std_B^2) (the std of the difference of
  two independent runs). If |d| <= k * s (k = 1 by default), the difference is "not distinguishable
  from seed noise". With a single seed there is no spread to compare with, and the sentence says so
  instead of calling the difference real.
* Latency (repeated timed calls). Each figure is a median with its p10..p90 interval over the repeats.
  Two latencies are "not distinguishable from timing noise" when their p10..p90 intervals overlap.
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


def _num(x: float, digits: int) -> str:
    return f"{x:.{digits}f}"


def _pm(s: Spread, digits: int, unit: str) -> str:
    if math.isnan(s.std):
        return f"{_num(s.mean, digits)}{unit}"
    return f"{_num(s.mean, digits)} ± {_num(s.std, digits)}{unit}"


def compare_sentence(name_a: str, a: Spread, name_b: str, b: Spread, metric: str = "accuracy",
                     unit: str = "%", diff_unit: str = " points", digits: int = 2, k: float = 1.0,
                     higher: str = "higher", lower: str = "lower") -> str:
    """One sentence comparing two variants' `metric`, derived from the numbers only.

    The variant with the larger mean is named first, so swapping the data swaps the sentence; the verdict
    (real difference / within seed noise / unknown with one seed) follows `within_noise`.
    """
    if b.mean > a.mean:
        (name_a, a), (name_b, b) = (name_b, b), (name_a, a)
    d = a.mean - b.mean
    n = f"{min(a.n, b.n)} seed{'s' if min(a.n, b.n) != 1 else ''}" if a.n == b.n else f"{a.n} and {b.n} seeds"
    head = (f"{name_a} has {metric} {_pm(a, digits, unit)} against {_pm(b, digits, unit)} for {name_b} "
            f"({n})")
    verdict = within_noise(a, b, k)
    s = difference_spread(a, b)
    if d == 0:
        return f"{name_a} and {name_b} have the same {metric}, {_pm(a, digits, unit)} ({n})."
    if verdict is None:
        return (f"{head}: {name_a} is {higher} by {_num(d, digits)}{diff_unit}, but with a single seed "
                f"there is no spread to tell this from seed noise.")
    if verdict:
        return (f"{head}: the difference of {_num(d, digits)}{diff_unit} is smaller than the seed spread "
                f"({_num(s, digits)}{diff_unit}), so it is not distinguishable from seed noise.")
    return (f"{head}: {name_a} is {higher} by {_num(d, digits)}{diff_unit}, more than the seed spread "
            f"({_num(s, digits)}{diff_unit}), so {name_b} is genuinely {lower}.")


def spread_of_row(row, metric: str) -> Spread:
    """A Spread from a table row with `{metric}_mean`, `{metric}_std` and `n_seeds` (as the tables carry)."""
    std = row.get(f"{metric}_std", math.nan)
    std = math.nan if std is None or pd.isna(std) else float(std)
    n = int(row.get("n_seeds", 1))
    if n < 2:
        std = math.nan
    return Spread(float(row[f"{metric}_mean"]), std, n)


def series_sentences(frame: pd.DataFrame, label_col: str, metric: str, **kw) -> list[str]:
    """Compare each row of an experiment table with the next (the order of the sweep): one sentence each."""
    rows = frame.to_dict("records")
    return [compare_sentence(str(r0[label_col]), spread_of_row(r0, metric), str(r1[label_col]),
                             spread_of_row(r1, metric), metric=metric.replace("_", " "), **kw)
            for r0, r1 in zip(rows, rows[1:])]


def noise_verdicts(frame: pd.DataFrame, label_col: str, metric: str, k: float = 1.0) -> pd.DataFrame:
    """Pairwise consecutive comparisons as data: a, b, diff (b - a), spread, within_noise (True/False/None)."""
    rows = frame.to_dict("records")
    out = []
    for r0, r1 in zip(rows, rows[1:]):
        a, b = spread_of_row(r0, metric), spread_of_row(r1, metric)
        out.append({"a": r0[label_col], "b": r1[label_col], "diff": b.mean - a.mean,
                    "spread": difference_spread(a, b), "within_noise": within_noise(a, b, k)})
    return pd.DataFrame(out)


# ---- latency: median with p10..p90 over repeated calls ---------------------------------------------------

@dataclass(frozen=True)
class Latency:
    median: float
    p10: float
    p90: float
    repeats: int

    @classmethod
    def of_row(cls, row, prefix: str = "latency") -> "Latency":
        return cls(float(row[f"{prefix}_median_s"]), float(row[f"{prefix}_p10_s"]),
                   float(row[f"{prefix}_p90_s"]), int(row.get(f"{prefix}_repeats", 0) or 0))


def latency_overlap(a: Latency, b: Latency) -> bool:
    """True if the p10..p90 intervals overlap (the medians are not distinguishable from timing noise)."""
    return a.p10 <= b.p90 and b.p10 <= a.p90


def _ms(s: float) -> str:
    return f"{s * 1e3:.3g} ms"


def latency_sentence(name_a: str, a: Latency, name_b: str, b: Latency) -> str:
    """Compare two latencies by median, citing p10..p90 and repeats; the slower one is named first."""
    if b.median > a.median:
        (name_a, a), (name_b, b) = (name_b, b), (name_a, a)
    reps = f"{a.repeats} and {b.repeats} repeats" if a.repeats != b.repeats else f"{a.repeats} repeats each"
    head = (f"{name_a} takes {_ms(a.median)} (p10–p90 {_ms(a.p10)}–{_ms(a.p90)}) against {_ms(b.median)} "
            f"({_ms(b.p10)}–{_ms(b.p90)}) for {name_b}, {reps}")
    if latency_overlap(a, b):
        return f"{head}: the intervals overlap, so the difference is not distinguishable from timing noise."
    ratio = a.median / b.median if b.median > 0 else math.inf
    return f"{head}: {name_a} is {ratio:.2f}x slower, well outside the spread of either."
