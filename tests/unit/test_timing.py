"""The timing harness: the median's confidence interval, and when an adaptive series stops."""

import itertools
import math
import time

import pytest
import torch

from mlalab.measure import clocks, timing

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
    cfg = timing.settings({"mode": "adaptive", "warmup": 0, "min_repeats": 10, "max_repeats": 500, "budget_s": 1e9,
                           "target_rel_ci": 0.02})
    s = timing.measure_with(lambda: None, CPU, cfg)
    # 12, not 10: an adaptive series never stops on precision before its halves can be checked for drift
    assert s["timing_stop"] == "precision" and s["latency_repeats"] == 12
    assert s["latency_ci95_rel"] == 0.0 and s["latency_median_s"] == 1.0


def test_adaptive_spends_at_most_its_budget_on_a_noisy_call(monkeypatch):
    fake_clock(monkeypatch, [1.0, 3.0])          # never within 2 %: the budget ends the series
    cfg = timing.settings({"mode": "adaptive", "warmup": 0, "min_repeats": 10, "max_repeats": 500, "budget_s": 40.0,
                           "target_rel_ci": 0.02})
    s = timing.measure_with(lambda: None, CPU, cfg)
    assert s["timing_stop"] == "budget" and s["latency_repeats"] == 20     # 10 x (1 + 3) s = 40 s
    assert s["latency_ci95_rel"] > 0.02


def test_fixed_mode_makes_exactly_the_configured_calls(monkeypatch):
    fake_clock(monkeypatch, [1.0, 3.0])
    s = timing.measure_with(lambda: None, CPU, timing.fixed(2, 7))
    assert s["latency_repeats"] == 7 and s["timing_stop"] == "repeats" and s["timing_mode"] == "fixed"


def test_bad_modes_and_counts_are_refused():
    with pytest.raises(ValueError, match="timing.mode"):
        timing.measure_with(lambda: None, CPU, timing.settings({"mode": "sometimes"}))
    with pytest.raises(ValueError, match="max_repeats"):
        timing.measure_with(lambda: None, CPU, timing.settings({"mode": "adaptive", "min_repeats": 5, "max_repeats": 2}))


def test_quantile_bounds_follow_the_binomial():
    xs = [float(i) for i in range(1, 101)]
    assert timing.quantile_bounds(xs, 0.5) == (40.0, 61.0)      # the median's interval, as median_ci
    lo, hi = timing.quantile_bounds(xs, 0.9)
    assert (lo, hi) == (84.0, 96.0)         # exact binomial: P(B < 84) = 2.1 %, P(B >= 96) = 2.4 %
    assert timing.quantile_bounds(xs, 0.99) == (97.0, None)     # 100 calls bound a p99 only from below
    assert timing.quantile_bounds([float(i) for i in range(400)], 0.99)[1] is not None


def steps(monkeypatch, durations):
    """perf_counter that gives the calls these durations in order (then the last one for ever)."""
    it = iter(durations)
    last = {"d": durations[-1]}

    def next_d():
        last["d"] = next(it, last["d"])
        return last["d"]

    state = {"t": 0.0, "reads": 0}

    def clock():
        state["reads"] += 1
        if state["reads"] % 2 == 0:
            state["t"] += next_d()
        return state["t"]

    monkeypatch.setattr(timing.time, "perf_counter", clock)


FIXED = timing.settings({"mode": "fixed", "warmup": 0, "repeats": 40, "drift_retries": 2, "drift_pause_s": 0})


def jitter(base, n, seed=0):
    import random

    rng = random.Random(seed)
    return [base * (1 + 0.01 * rng.random()) for _ in range(n)]


def test_a_steady_series_is_stable_and_timed_once(monkeypatch):
    steps(monkeypatch, jitter(0.010, 40))
    s = timing.measure_with(lambda: None, CPU, FIXED)
    assert s["latency_drift"] == "stable" and s["latency_tries"] == 1
    assert abs(s["latency_drift_ratio"] - 1) < 0.01


def test_a_series_that_steps_down_midway_is_timed_again(monkeypatch):
    # the first try: 25 calls at 25 ms, then 15 at 12 ms (a neighbour stopped); the second try is steady
    steps(monkeypatch, jitter(0.025, 25) + jitter(0.012, 15, seed=1) + jitter(0.012, 40, seed=2))
    logged = []
    s = timing.measure_with(lambda: None, CPU, FIXED, log=logged.append)
    assert s["latency_tries"] == 2 and s["latency_drift"] == "stable"
    assert s["latency_drift_ratios"][0] < 0.6 and "drifted" in logged[0]
    assert s["latency_median_s"] < 0.0125                       # the kept series is the steady one


def test_a_series_that_keeps_stepping_up_is_flagged_with_an_honest_interval(monkeypatch):
    one_try = jitter(0.012, 20) + jitter(0.025, 20, seed=1)
    steps(monkeypatch, one_try * 3)
    s = timing.measure_with(lambda: None, CPU, FIXED)
    assert s["latency_tries"] == 3 and s["latency_drift"] == "drifted" and s["latency_drift_ratio"] > 1.9
    # the interval spans both halves: it claims no precision the calls did not show
    assert s["latency_ci95_low_s"] < 0.0125 and s["latency_ci95_high_s"] > 0.025


def test_a_short_series_is_unchecked(monkeypatch):
    steps(monkeypatch, jitter(0.010, 8))
    s = timing.measure_with(lambda: None, CPU, {**FIXED, "repeats": 8})
    assert s["latency_drift"] == "unchecked" and s["latency_tries"] == 1


def test_what_runs_beside_a_series_is_recorded(monkeypatch):
    steps(monkeypatch, jitter(0.010, 40))
    s = timing.measure_with(lambda: None, CPU, FIXED, watch=lambda: {"train mlp-h256x3-bs1"})
    assert s["beside_jobs"] == "train mlp-h256x3-bs1"


def test_an_adaptive_series_lasts_its_minimum_time(monkeypatch):
    fake_clock(monkeypatch, [0.001])                # steady 1 ms calls: precise at once, but 12 ms is one moment
    cfg = timing.settings({"mode": "adaptive", "warmup": 0, "min_repeats": 10, "max_repeats": 5000, "budget_s": 10.0,
                           "target_rel_ci": 0.02, "min_time_s": 0.5})
    s = timing.measure_with(lambda: None, CPU, cfg)
    assert s["timing_stop"] == "precision" and 500 <= s["latency_repeats"] <= 505


def test_the_test_pass_flags_only_a_call_clearly_slower_than_its_batches():
    rec = {"latency_median_s": 1.3, "latency_ci95_low_s": 1.25, "latency_ci95_high_s": 1.35,
           "test_pass_batch_median_s": 1.0, "test_pass_batch_ci95_low_s": 0.98, "test_pass_batch_ci95_high_s": 1.02}
    assert timing.pass_agreement(rec)["test_pass_agreement"] == "slower"
    rec.update(latency_median_s=1.05, latency_ci95_low_s=1.04, latency_ci95_high_s=1.06)
    assert timing.pass_agreement(rec)["test_pass_agreement"] == "agrees"    # beyond the intervals, within 10 %
    rec.update(latency_ci95_low_s=None)
    assert timing.pass_agreement(rec) == {"test_pass_ratio": 1.05, "test_pass_agreement": "unchecked"}


def test_a_real_function_whose_cost_steps_midway_is_timed_again():
    import time as clock

    calls = {"n": 0}

    def step_then_steady():      # the first series: 20 calls of 1 ms, then 20 of 4 ms; after that 4 ms always
        calls["n"] += 1
        clock.sleep(0.001 if calls["n"] <= 20 else 0.004)

    s = timing.measure_with(step_then_steady, CPU, {**FIXED, "repeats": 40})
    # real sleeps jitter, so a steady retry may be re-timed once more: the step itself must be caught and dropped
    assert s["latency_drift_ratios"][0] > 2 and s["latency_tries"] >= 2
    # the kept series is of the 4 ms calls (a sleep is never shorter than asked); how steady a retry reads on a
    # loaded machine is not this test's business (the fake-clock tests pin the exact logic)
    assert s["latency_median_s"] > 0.0035 and all(r < 2 for r in s["latency_drift_ratios"][1:])

    calls["n"] = 10 ** 6         # a steady real function shows no step (the exact "timed once" is the fake-clock test)
    assert timing.measure_with(step_then_steady, CPU, {**FIXED, "repeats": 40})["latency_drift_ratio"] < 2


class FakeEvent:
    """A stand-in for torch.cuda.Event on the CPU: records the host clock; counts synchronizations."""
    syncs = 0

    def record(self):
        self.t = time.perf_counter()

    def synchronize(self):
        FakeEvent.syncs += 1

    def elapsed_time(self, end):
        return (end.t - self.t) * 1e3


def test_cuda_events_are_read_only_when_the_series_needs_them():
    FakeEvent.syncs = 0
    timer = clocks.EventClock(torch.device("cpu"), event=FakeEvent)
    samples, stop = timing._series(lambda: time.sleep(0.002), torch.device("cpu"), 20, 20, math.inf, 0.0, "fixed",
                                   None, set(), timer=timer)
    assert stop == "repeats" and len(samples) == 20 and FakeEvent.syncs == 1    # once, at the end: calls queue
    assert all(0.0015 < s < 0.05 for s in samples) and timer.name == "cuda_events"
    FakeEvent.syncs = 0
    timer = clocks.EventClock(torch.device("cpu"), event=FakeEvent)
    samples, stop = timing._series(lambda: time.sleep(0.001), torch.device("cpu"), 12, 300, math.inf, 0.5,
                                   "adaptive", None, set(), timer=timer)
    assert stop == "precision" and FakeEvent.syncs <= len(samples) // 5 + 2   # a read per check, not per call


def test_the_clock_follows_the_device_and_the_setting():
    assert isinstance(clocks.clock(torch.device("cpu")), clocks.PerfClock)
    assert isinstance(clocks.clock(torch.device("cuda"), "events"), clocks.EventClock)
    assert isinstance(clocks.clock(torch.device("cuda"), "sync"), clocks.PerfClock)
    assert clocks.clock(torch.device("cuda"), "sync").name == "perf_counter+synchronize"
    with pytest.raises(ValueError, match="cuda_timer"):
        clocks.clock(torch.device("cpu"), "often")
    rec = timing.measure_with(lambda: None, torch.device("cpu"), timing.fixed(0, 3))
    assert rec["timing_clock"] == "perf_counter"
