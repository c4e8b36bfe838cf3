import math

import pandas as pd
import pytest

from mlalab.report.noise import (
    Latency,
    Spread,
    aggregate,
    compare_sentence,
    latency_overlap,
    latency_sentence,
    noise_verdicts,
    series_sentences,
    within_noise,
)


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


def test_sentence_says_within_noise_only_when_the_spread_covers_the_difference():
    noisy = compare_sentence("256x3", Spread(91.78, 0.3, 3), "1024x3", Spread(91.43, 0.3, 3))
    tight = compare_sentence("256x3", Spread(91.78, 0.03, 3), "1024x3", Spread(91.43, 0.03, 3))
    assert "not distinguishable from seed noise" in noisy
    assert "not distinguishable" not in tight and "genuinely lower" in tight
    assert "91.78 ± 0.30%" in noisy and "0.35 points" in noisy


def test_sentence_reverses_when_the_data_reverse():
    one = compare_sentence("A", Spread(92.0, 0.01, 2), "B", Spread(90.0, 0.01, 2))
    two = compare_sentence("A", Spread(90.0, 0.01, 2), "B", Spread(92.0, 0.01, 2))
    assert one.startswith("A has accuracy 92.00") and "B is genuinely lower" in one
    assert two.startswith("B has accuracy 92.00") and "A is genuinely lower" in two


def test_single_seed_sentence_does_not_claim_a_real_difference():
    s = compare_sentence("A", Spread(92.0, math.nan, 1), "B", Spread(90.0, math.nan, 1))
    assert "single seed" in s and "genuinely" not in s and "not distinguishable" not in s


def test_series_sentences_and_verdicts_read_table_columns():
    table = pd.DataFrame({"label": ["bs1", "bs64"], "n_seeds": [2, 2],
                          "accuracy_mean": [95.0, 91.0], "accuracy_std": [0.1, 0.2]})
    [sentence] = series_sentences(table, "label", "accuracy")
    assert sentence.startswith("bs1 has accuracy 95.00") and "genuinely lower" in sentence
    verdicts = noise_verdicts(table, "label", "accuracy")
    assert verdicts.loc[0, "within_noise"] == False  # noqa: E712 - numpy bool
    assert verdicts.loc[0, "diff"] == pytest.approx(-4.0)


def test_latency_overlap_and_sentence():
    a = Latency(1.0e-3, 0.9e-3, 1.2e-3, 30)
    b = Latency(1.1e-3, 1.0e-3, 1.3e-3, 30)
    c = Latency(5.0e-3, 4.8e-3, 5.3e-3, 30)
    assert latency_overlap(a, b) and not latency_overlap(a, c)
    assert "not distinguishable from timing noise" in latency_sentence("x", a, "y", b)
    s = latency_sentence("x", a, "y", c)
    assert s.startswith("y takes 5 ms") and "5.00x slower" in s and "30 repeats each" in s
