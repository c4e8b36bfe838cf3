import math

import pandas as pd
import pytest

from mlalab.report.noise import Latency, Spread, aggregate, latency_overlap, within_noise


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


def test_latency_overlap():
    a = Latency(1.0e-3, 0.9e-3, 1.2e-3, 30)
    b = Latency(1.1e-3, 1.0e-3, 1.3e-3, 30)
    c = Latency(5.0e-3, 4.8e-3, 5.3e-3, 30)
    assert latency_overlap(a, b) and latency_overlap(b, a)
    assert not latency_overlap(a, c) and not latency_overlap(c, a)
