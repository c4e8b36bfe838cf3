"""The timing harness: the median's confidence interval, and when an adaptive series stops."""

import itertools

import pytest
import torch

from mlalab.measure import timing

CPU = torch.device("cpu")


def test_median_ci_from_order_statistics():
    xs = [float(i) for i in range(1, 11)]
    assert timing.median_ci(xs) == (2.0, 9.0)          # n = 10: ranks 2 and 9 (97.9 % coverage)
    assert timing.median_ci(xs[:5]) is None              # n < 6: no 95 % interval exists
    big = [float(i) for i in range(1, 101)]
    assert timing.median_ci(big) == (40.0, 61.0)         # n = 100: ranks 40 and 61


def fake_clock(monkeypatch, durations):
    """perf_counter that advances by the next duration on every second reading (start, stop of one call)."""
    state = {"t": 0.0, "reads": 0, "d": itertools.cycle(durations)}

    def clock():
        state["reads"] += 1
        if state["reads"] % 2 == 0:
            state["t"] += next(state["d"])
        return state["t"]

    monkeypatch.setattr(timing.time, "perf_counter", clock)


def test_adaptive_stops_as_soon_as_the_median_is_known(monkeypatch):
    fake_clock(monkeypatch, [1.0])
    cfg = {"mode": "adaptive", "warmup": 0, "min_repeats": 10, "max_repeats": 500, "budget_s": 1e9,
           "target_rel_ci": 0.02}
    s = timing.measure_with(lambda: None, CPU, cfg)
    assert s["timing_stop"] == "precision" and s["latency_repeats"] == 10
    assert s["latency_ci95_rel"] == 0.0 and s["latency_median_s"] == 1.0


def test_adaptive_spends_at_most_its_budget_on_a_noisy_call(monkeypatch):
    fake_clock(monkeypatch, [1.0, 3.0])          # never within 2 %: the budget ends the series
    cfg = {"mode": "adaptive", "warmup": 0, "min_repeats": 10, "max_repeats": 500, "budget_s": 40.0,
           "target_rel_ci": 0.02}
    s = timing.measure_with(lambda: None, CPU, cfg)
    assert s["timing_stop"] == "budget" and s["latency_repeats"] == 20     # 10 x (1 + 3) s = 40 s
    assert s["latency_ci95_rel"] > 0.02


def test_fixed_mode_makes_exactly_the_configured_calls(monkeypatch):
    fake_clock(monkeypatch, [1.0, 3.0])
    s = timing.measure_with(lambda: None, CPU, {"mode": "fixed", "warmup": 2, "repeats": 7})
    assert s["latency_repeats"] == 7 and s["timing_stop"] == "repeats" and s["timing_mode"] == "fixed"


def test_bad_modes_and_counts_are_refused():
    with pytest.raises(ValueError, match="timing.mode"):
        timing.measure_with(lambda: None, CPU, {"mode": "sometimes"})
    with pytest.raises(ValueError, match="max_repeats"):
        timing.measure_with(lambda: None, CPU, {"mode": "adaptive", "min_repeats": 5, "max_repeats": 2})
