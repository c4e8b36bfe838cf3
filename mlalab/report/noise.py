"""Repeats and noise: mean and spread across seeds, and the rule that says when a difference is real.

The rule, stated once so the report can quote it:

* Seeds (accuracy, training time). Each variant runs once per seed; a table shows the mean and the sample
  standard deviation (ddof=1) across seeds. Two variants A and B differ by d = mean_B - mean_A. The
  seed-to-seed spread of such a difference is s = sqrt(std_A^2 + std_B^2) (the std of the difference of
  two independent runs). If |d| <= k * s (k = 1 by default), the difference is "not distinguishable
  from seed noise" (`within_noise`). With a single seed there is no spread to compare with (None), and the
  report says so instead of calling the difference real.
* Latency (repeated timed calls). Each figure is the median of the timed calls; the latency record carries
  the distribution-free 95 % confidence interval of that median from order statistics
  (`latency_ci95_low_s`..`latency_ci95_high_s`, mlalab.measure.timing.median_ci; none below 6 calls).
  Two medians *differ* when their confidence intervals do not overlap, and are "not distinguishable from
  timing noise" when they do (`medians_differ`). Without an interval (fewer than 6 calls) the rule says
  None: not enough calls to tell. The p10..p90 range of the calls is shown for the spread of single calls,
  but it is not the rule: heavy tails widen it without making the medians any less certain.

* Accuracy on a test set of n images (one seed). A test accuracy p is a binomial proportion: its 95 % Wilson
  interval (`wilson`) is what a second draw of n test images could have given. Two accuracies are
  "indistinguishable" when their intervals overlap (conservative: two models scored on the same images would
  need their per-image predictions for McNemar's test, which the tables do not keep).
* A latency against its own test-set pass (mlalab.measure.timing.pass_agreement): the two are timed seconds
  apart, and on a shared machine two series of the same call that far apart differ by more than either's
  interval, so a single call counts as slower than a batch of the pass only beyond both intervals *and* by more
  than PASS_TOLERANCE.

The report's facts (mlalab.report.facts.common.verdict) apply this rule; the templates write the sentences.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

import pandas as pd

PASS_TOLERANCE = 0.10


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


# ---- latency: the median with its 95 % confidence interval ----------------------------------------------

@dataclass(frozen=True)
class Latency:
    """A median and the 95 % CI of it (NaN bounds when the series was too short for one)."""

    median: float
    ci_low: float
    ci_high: float

    @property
    def has_ci(self) -> bool:
        return all(v is not None and not math.isnan(v) for v in (self.ci_low, self.ci_high))


def medians_differ(a: Latency, b: Latency) -> bool | None:
    """True if the two medians' 95 % CIs do not overlap, False if they overlap, None if either has no CI."""
    if not (a.has_ci and b.has_ci):
        return None
    return a.ci_high < b.ci_low or b.ci_high < a.ci_low


# ---- accuracy: a proportion of n test images ------------------------------------------------------------

def wilson(p: float, n: float, z: float = 1.959963984540054) -> tuple[float, float]:
    """The 95 % Wilson score interval of a proportion p measured on n trials (NaN bounds without n)."""
    if not n or math.isnan(float(n)) or math.isnan(float(p)) or n <= 0:
        return math.nan, math.nan
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)
