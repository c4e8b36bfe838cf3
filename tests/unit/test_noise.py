import math

import pandas as pd
import pytest

from mlalab.measure.timing import summarize
from mlalab.report.noise import Latency, Spread, aggregate, medians_differ, within_noise


def test_aggregate_mean_and_sample_std_across_seeds():
    frame = pd.DataFrame({
        "label": ["a", "a", "a", "b", "b", "b"],
        "seed": [0, 1, 2, 0, 1, 2],
        "accuracy": [90.0, 92.0, 94.0, 80.0, 80.0, 83.0],
        "train_time_s": [1.0, 2.0, 3.0, 5.0, 5.0, 5.0],
    })
    out = aggregate(frame, ["label"], ["accuracy", "train_time_s"])
    assert list(out["label"]) == ["a", "b"]
    assert list(out["n_seeds"]) == [3, 3]
    assert out.loc[0, "accuracy_mean"] == pytest.approx(92.0)
    assert out.loc[0, "accuracy_std"] == pytest.approx(2.0)  # ddof=1: sqrt((4+0+4)/2)
    assert out.loc[1, "accuracy_mean"] == pytest.approx(81.0)
    assert out.loc[1, "accuracy_std"] == pytest.approx(math.sqrt(3.0))
    assert out.loc[1, "train_time_s_std"] == pytest.approx(0.0)


def test_aggregate_single_seed_has_unknown_std_and_keeps_order():
    frame = pd.DataFrame({"label": ["z", "y"], "seed": [0, 0], "accuracy": [1.0, 2.0]})
    out = aggregate(frame, ["label"], ["accuracy"])
    assert list(out["label"]) == ["z", "y"]
    assert out["accuracy_std"].isna().all()
    assert list(out["n_seeds"]) == [1, 1]


def test_aggregate_reports_missing_columns():
    with pytest.raises(KeyError, match="accuracy"):
        aggregate(pd.DataFrame({"label": ["a"], "seed": [0]}), ["label"], ["accuracy"])


def test_within_noise_flips_with_the_data():
    a = Spread(91.78, 0.3, 3)
    assert within_noise(a, Spread(91.43, 0.3, 3)) is True      # 0.35 < sqrt(0.18) = 0.42
    assert within_noise(a, Spread(91.43, 0.05, 3)) is False    # 0.35 > 0.30
    assert within_noise(Spread(91.78, math.nan, 1), Spread(91.43, math.nan, 1)) is None


def _latency(times) -> Latency:
    """A series of timed calls through the timing harness's own summary (median and its 95 % CI)."""
    rec = summarize(list(times))
    return Latency(rec["latency_median_s"], rec.get("latency_ci95_low_s", math.nan),
                   rec.get("latency_ci95_high_s", math.nan))


def _heavy_tailed(median, n, rng):
    """Calls around `median` with a heavy right tail: about one call in seven is 2-4x slower (load, page faults)."""
    return [median * (1 + 0.02 * rng.random()) * (rng.uniform(2, 4) if rng.random() < 0.15 else 1)
            for _ in range(n)]


def test_medians_differ_on_a_real_difference_with_heavy_tails():
    """Part 1B's case: medians 0.272 vs 0.495 ms over 30 calls whose p10-p90 ranges overlap because of slow
    tails. The p10-p90 overlap called that a tie; the CIs of the medians do not overlap: a real difference."""
    import random
    rng = random.Random(1)
    fast, slow = _heavy_tailed(0.272e-3, 30, rng), _heavy_tailed(0.495e-3, 30, rng)
    a, b = _latency(fast), _latency(slow)
    p90_fast, p10_slow = sorted(fast)[26], sorted(slow)[3]
    assert p90_fast > p10_slow                     # the old rule's p10-p90 ranges overlap
    assert medians_differ(a, b) is True and medians_differ(b, a) is True


def test_medians_differ_on_a_real_tie():
    """Two series drawn from the same distribution (same median, same tails): not a difference."""
    import random
    rng = random.Random(2)
    a, b = _latency(_heavy_tailed(0.3e-3, 30, rng)), _latency(_heavy_tailed(0.3e-3, 30, rng))
    assert medians_differ(a, b) is False


def test_medians_differ_needs_an_interval():
    """Below 6 calls there is no 95 % CI of the median: the rule says it cannot tell (None)."""
    a, b = _latency([1e-3] * 5), _latency([9e-3] * 5)
    assert not a.has_ci and medians_differ(a, b) is None
