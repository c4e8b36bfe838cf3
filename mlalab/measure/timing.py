"""One timing harness for every latency figure in the report.

Each figure is the wall time of one call of `fn` (one batch) with `time.perf_counter`, after `warmup` untimed
calls. On CUDA (`timing.cuda_timer`): `events` (the default) records a CUDA event before and after each call and
reads their elapsed time, synchronizing only when the series needs its samples (every 5th call once a stop is
possible, and at its end), so the calls queue as they do in a real inference loop and the time is the GPU's
(optimum-benchmark moved to events for this reason: a synchronize after every call hides the overlap of one
call's launch with the previous call's kernels); `sync` times each call with `time.perf_counter` and a
`torch.cuda.synchronize()` after it, which adds the launch and the sync to every figure. The clock a figure
was timed with is in its record (`timing_clock`). Two ways to decide how many calls (the config's
`timing.mode`):

* fixed: exactly `repeats` timed calls;
* adaptive (in the spirit of torch.utils.benchmark.Timer.adaptive_autorange): at least `min_repeats` calls and
  `min_time_s` seconds of them (a shared VM's speed wanders over seconds: a series of a few milliseconds
  would catch one moment of it and call that the model's figure), then stop as soon as the 95 % confidence interval of the median is within +-`target_rel_ci` of it, or when
  `budget_s` seconds of timed calls are spent, or at `max_repeats`. The calls made and the precision reached
  are recorded beside the figure (`latency_repeats`, `latency_ci95_rel`, `timing_stop`).

Intervals are distribution-free, from order statistics: the q-quantile of n sorted samples lies in
[x_(l), x_(u)] where l is the largest rank with P(Binomial(n, q) < l) <= 2.5 % and u the smallest with
P(Binomial(n, q) >= u) <= 2.5 %. The median's needs n >= 6; the p90's upper bound 36 calls, the p99's 368
(MLPerf's early-stopping estimate of a percentile is the same kind of binomial bound).

Drift. Such an interval is a claim that the calls are alike (exchangeable). A series whose conditions change
midway (a neighbour starts streaming memory, the clock steps) breaks it: the median of a mixture is then
printed as if known to +-2 %. So every series is checked: its calls are split into a first and a second half
in call order, and each half gets its own median and 95 % interval. The halves *drifted* when those intervals
do not overlap (the same noise rule the report uses to compare two medians, so a series is flagged exactly
when the report would call its own two halves different; two disjoint 95 % intervals are a conservative test,
so a steady series is seldom re-measured for nothing). Why halves and not a change-point test: a step, a
ramp and a burst all move one half's median, the statistic is the one the report prints, and it needs no
model of the noise. A drifted series is timed again after a short pause (`drift_retries` more tries); the
first series that holds is kept. If none holds, the last is kept and marked `drifted`, and its interval is
widened to span both halves' intervals, so it never claims a precision the calls did not show. A series too
short for two intervals (fewer than 12 calls) is `unchecked`; an adaptive series never stops on precision
before it can be checked.
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import time
from typing import Callable

import torch

from mlalab.measure.clocks import PerfClock, clock, sync
from mlalab.plan import schema
from mlalab.report.noise import PASS_TOLERANCE


def quantile(sorted_xs: list[float], q: float) -> float:
    """Linear-interpolated quantile of an already sorted list (numpy's default method)."""
    if not sorted_xs:
        raise ValueError("quantile of an empty list")
    pos = (len(sorted_xs) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(sorted_xs) - 1)
    return sorted_xs[lo] + (sorted_xs[hi] - sorted_xs[lo]) * (pos - lo)


MIN_CI_CALLS = 6   # the fewest calls with a 95 % interval of the median: a half of a checked series needs this many


def _binom_cdf(n: int, q: float) -> list[float]:
    """[P(Binomial(n, q) <= k) for k = 0..n], in log space so n in the tens of thousands does not overflow."""
    if q <= 0 or q >= 1:
        raise ValueError(f"quantile level must be in (0, 1), got {q}")
    lq, lp = math.log(q), math.log1p(-q)
    out, acc = [], 0.0
    for k in range(n + 1):
        acc += math.exp(math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * lq + (n - k) * lp)
        out.append(acc)
    return out


def quantile_bounds(sorted_xs: list[float], q: float, level: float = 0.95) -> tuple[float | None, float | None]:
    """Distribution-free (lower, upper) confidence bounds of the q-quantile from order statistics (module doc);
    either is None when the series is too short for it at this level."""
    n = len(sorted_xs)
    if n == 0:
        return None, None
    alpha = (1 - level) / 2
    cdf = _binom_cdf(n, q)
    # lower: the largest rank l (1-based) with P(B < l) = cdf[l - 1] <= alpha
    lows = [r for r in range(1, n + 1) if cdf[r - 1] <= alpha]
    # upper: the smallest rank u with P(B >= u) = 1 - cdf[u - 1] <= alpha
    highs = [r for r in range(1, n + 1) if 1 - cdf[r - 1] <= alpha + 1e-12]
    return (sorted_xs[lows[-1] - 1] if lows else None), (sorted_xs[highs[0] - 1] if highs else None)


def median_ci(sorted_xs: list[float], level: float = 0.95) -> tuple[float, float] | None:
    """The median's interval (quantile_bounds at 1/2); None for n < 6 (too few samples for any 95 % interval)."""
    lo, hi = quantile_bounds(sorted_xs, 0.5, level)
    return None if lo is None or hi is None else (lo, hi)


def summarize(times_s: list[float], prefix: str = "latency") -> dict:
    """The record's statistics of one series of timed calls, named `{prefix}_median_s` ... `{prefix}_repeats`
    (docs/columns.md), with the tail (p90, p99) and the bounds of each tail percentile as MLPerf quotes them."""
    xs = sorted(times_s)
    tails = {}
    for q, name in ((0.9, "p90"), (0.99, "p99")):
        lo, hi = quantile_bounds(xs, q)
        tails[f"{prefix}_{name}_ci95_low_s"], tails[f"{prefix}_{name}_ci95_high_s"] = lo, hi
    return {
        f"{prefix}_median_s": quantile(xs, 0.5),
        f"{prefix}_p10_s": quantile(xs, 0.1),
        f"{prefix}_p90_s": quantile(xs, 0.9),
        f"{prefix}_p99_s": quantile(xs, 0.99),
        f"{prefix}_mean_s": statistics.fmean(xs),
        f"{prefix}_std_s": statistics.stdev(xs) if len(xs) > 1 else 0.0,
        f"{prefix}_min_s": xs[0],
        f"{prefix}_max_s": xs[-1],
        f"{prefix}_repeats": len(xs),
        **_ci_columns(xs, prefix),
        **tails,
    }


def _ci_columns(xs: list[float], prefix: str) -> dict:
    ci = median_ci(xs)
    if ci is None:
        return {f"{prefix}_ci95_low_s": None, f"{prefix}_ci95_high_s": None, f"{prefix}_ci95_rel": None}
    return _interval(ci, quantile(xs, 0.5), prefix)


def _interval(ci: tuple[float, float], med: float, prefix: str) -> dict:
    return {f"{prefix}_ci95_low_s": ci[0], f"{prefix}_ci95_high_s": ci[1],
            f"{prefix}_ci95_rel": (ci[1] - ci[0]) / 2 / med if med > 0 else None}


def halves(samples: list[float]) -> dict:
    """The drift check of one series in call order (module doc): each half's median and 95 % interval, and the
    verdict `stable`, `drifted` (the two intervals do not overlap) or `unchecked` (a half has < 6 calls)."""
    h = len(samples) // 2          # an odd series drops its middle call, so both halves have h calls
    first, second = sorted(samples[:h]), sorted(samples[len(samples) - h:])
    ci1, ci2 = (median_ci(first), median_ci(second)) if h >= MIN_CI_CALLS else (None, None)
    m1, m2 = (quantile(first, 0.5), quantile(second, 0.5)) if h else (math.nan, math.nan)
    if ci1 is None or ci2 is None:
        verdict = "unchecked"
    else:
        verdict = "drifted" if ci1[1] < ci2[0] or ci2[1] < ci1[0] else "stable"
    return {"verdict": verdict, "ratio": m2 / m1 if m1 > 0 else math.nan, "first": ci1, "second": ci2}


def _series(fn: Callable[[], object], device: torch.device, lo: int, hi: int, budget: float, target: float,
            mode: str, watch: Callable[[], set[str]] | None, seen: set[str],
            min_time: float = 0.0, timer=None) -> tuple[list[float], str]:
    """One series of timed calls (module doc) on `timer` (a PerfClock or EventClock; PerfClock by default);
    `watch()` is sampled about twice a second (on a clock apart from the calls' own) and what it returns is
    added to `seen`."""
    check_from = max(lo, 2 * MIN_CI_CALLS)   # never stop on precision before the drift check is possible
    timer = timer or PerfClock(device)
    last_watch = time.monotonic()
    while True:
        timer.call(fn)
        n, total = timer.count(), timer.elapsed()
        if watch is not None and time.monotonic() - last_watch >= 0.5:
            seen.update(watch())
            last_watch = time.monotonic()
        if n >= hi:
            return timer.samples(), ("repeats" if mode == "fixed" else "max_repeats")
        if n < lo:
            continue
        if total >= budget:
            return timer.samples(), "budget"
        if n >= check_from and (n % 5 == 0 or n == check_from) and total >= min_time:  # sorting is not free
            xs = sorted(timer.samples())
            ci, med = median_ci(xs), quantile(xs, 0.5)
            if ci is not None and (ci[1] - ci[0]) / 2 <= target * med:
                return timer.samples(), "precision"


def settings(given: dict) -> dict:
    """`given` over the schema's `timing` defaults: the complete setting of a series that no `timing:` section
    describes (a fixed series of the peak's ceilings or of Q1's pass)."""
    return {**schema.defaults("timing"), **given}


def fixed(warmup: int, repeats: int) -> dict:
    """Exactly `repeats` timed calls after `warmup`, drift-checked as `timing`'s defaults say."""
    return settings({"mode": "fixed", "warmup": warmup, "repeats": repeats})


def measure(fn: Callable[[], object], device: torch.device, warmup: int, repeats: int,
            prefix: str = "latency") -> dict:
    """Time `fn` per call, exactly `repeats` times; the summary statistics plus the raw samples."""
    return measure_with(fn, device, fixed(warmup, repeats), prefix)


def measure_with(fn: Callable[[], object], device: torch.device, cfg: dict, prefix: str = "latency",
                 watch: Callable[[], set[str]] | None = None, log: Callable[[str], None] | None = None) -> dict:
    """Time `fn` per call as the timing config `cfg` says (fixed or adaptive, see the module doc), checking the
    series for drift and timing it again when it drifted (`drift_retries`, after `drift_pause_s`); returns the
    summary statistics, the raw samples (`{prefix}_samples_s`), how the series stopped and its drift verdict.
    `watch`: a callable naming what runs beside the measurement (mlalab.isolation.running_jobs), recorded as
    `beside_jobs`."""
    mode = cfg["mode"]   # `cfg`: a complete timing setting (the config's, filled by the schema, or settings())
    if mode == "fixed":
        lo = hi = int(cfg["repeats"])
        budget, target = math.inf, 0.0
    elif mode == "adaptive":
        lo, hi = int(cfg["min_repeats"]), int(cfg["max_repeats"])
        budget, target = float(cfg["budget_s"]), float(cfg["target_rel_ci"])
    else:
        raise ValueError(f"timing.mode must be fixed or adaptive, got {mode!r}")
    if lo < 1 or hi < lo:
        raise ValueError(f"timing: need 1 <= repeats/min_repeats <= max_repeats, got {lo}..{hi}")
    retries, pause = int(cfg["drift_retries"]), float(cfg["drift_pause_s"])
    seen: set[str] = set(watch()) if watch is not None else set()
    ratios = []
    for attempt in range(1 + max(0, retries)):
        if attempt:
            (log or (lambda _m: None))(f"the series drifted (second half / first half {ratios[-1]:.3f}): pausing "
                                       f"{pause:g} s and timing it again (try {attempt + 1})")
            time.sleep(pause)
        for _ in range(int(cfg["warmup"])):
            fn()
        sync(device)
        timer = clock(device, cfg["cuda_timer"])
        samples, stop = _series(fn, device, lo, hi, budget, target, mode, watch, seen,
                                float(cfg["min_time_s"]) if mode == "adaptive" else 0.0, timer)
        check = halves(samples)
        ratios.append(check["ratio"])
        if check["verdict"] != "drifted":
            break
    if watch is not None:
        seen.update(watch())
    stats = summarize(samples, prefix)
    if check["verdict"] == "drifted":   # an interval that spans both halves: no precision the calls did not show
        both = (min(check["first"][0], check["second"][0]), max(check["first"][1], check["second"][1]))
        stats.update(_interval(both, stats[f"{prefix}_median_s"], prefix))
    return {**stats, f"{prefix}_samples_s": samples, "timing_mode": mode, "timing_stop": stop,
            "timing_clock": timer.name,
            f"{prefix}_drift": check["verdict"], f"{prefix}_drift_ratio": check["ratio"],
            f"{prefix}_tries": len(ratios), f"{prefix}_drift_ratios": ratios,
            **({"beside_jobs": ";".join(sorted(seen))} if watch is not None else {}),
            **({"timing_budget_s": budget, "timing_target_rel_ci": target} if mode == "adaptive" else {})}


def _forward(model: torch.nn.Module, device: torch.device, autocast_dtype: torch.dtype | None):
    """One inference call of `model` on a batch: eval mode, no autograd, under autocast when asked."""
    model.eval()

    def call(x):
        with torch.inference_mode():
            if autocast_dtype is not None:
                with torch.autocast(device.type, dtype=autocast_dtype):
                    return model(x)
            return model(x)

    return call


def latency(model: torch.nn.Module, x: torch.Tensor, device: torch.device, cfg: dict,
            autocast_dtype: torch.dtype | None = None, watch: Callable[[], set[str]] | None = None,
            log: Callable[[str], None] | None = None) -> dict:
    """Inference latency of one batch `x` (eval mode, no autograd) timed as `cfg` says (measure_with), and
    throughput = batch / median: for benchmarks/ scripts; the pipeline times a runtime's Runner.call
    (mlalab.stages.latency)."""
    forward = _forward(model, device, autocast_dtype)
    return with_throughput(measure_with(lambda: forward(x), device, cfg, watch=watch, log=log), x.shape[0])


def data_pass(forward: Callable[[torch.Tensor], object], data: torch.Tensor, batch_size: int,
              device: torch.device) -> dict:
    """One pass over `data` in batches of `batch_size` through `forward` (a runtime's Runner.run), the way the
    lab's test-set inference runs: its total time (`test_set_time_s`), and each full batch timed on its own
    (`test_pass_batch_*`: median and its 95 % interval), an independent figure of what one call costs to set
    beside the latency record's."""
    per_batch = []
    t_start = time.perf_counter()
    for i in range(0, len(data), batch_size):
        t0 = time.perf_counter()
        forward(data[i:i + batch_size])
        sync(device)
        if i + batch_size <= len(data):   # the last, partial batch is not a call of the same size
            per_batch.append(time.perf_counter() - t0)
    total = time.perf_counter() - t_start
    xs = sorted(per_batch)
    ci = median_ci(xs)
    return {"test_set_time_s": total, "test_samples": len(data), "test_pass_batches": len(xs),
            "test_pass_batch_median_s": quantile(xs, 0.5) if xs else None,
            "test_pass_batch_ci95_low_s": ci[0] if ci else None, "test_pass_batch_ci95_high_s": ci[1] if ci else None}


def pass_agreement(record: dict) -> dict:
    """The latency median against the same model's test-set pass per batch: `slower` when a single call is slower
    than a batch of a full pass beyond both medians' 95 % intervals and by more than PASS_TOLERANCE (it cannot be
    unless the series was disturbed), `faster` (the other way round), else `agrees`; `unchecked` without
    intervals. The ratio latency median / pass batch median is kept beside it."""
    med, ref = record.get("latency_median_s"), record.get("test_pass_batch_median_s")
    if not med or not ref:
        return {}
    lo, hi = record.get("latency_ci95_low_s"), record.get("latency_ci95_high_s")
    plo, phi = record.get("test_pass_batch_ci95_low_s"), record.get("test_pass_batch_ci95_high_s")
    if None in (lo, hi, plo, phi):
        verdict = "unchecked"
    else:
        verdict = ("slower" if lo > phi and med > ref * (1 + PASS_TOLERANCE) else
                   "faster" if hi < plo and ref > med * (1 + PASS_TOLERANCE) else "agrees")
    return {"test_pass_ratio": med / ref, "test_pass_agreement": verdict}


def with_throughput(stats: dict, batch: int) -> dict:
    """Latency stats of one batch plus its batch size and throughput = batch / median (p10/p90 from the
    opposite latency quantiles: the slowest tenth of calls gives the lowest throughput)."""
    return {**stats, "batch_size": batch, "throughput_per_s": batch / stats["latency_median_s"],
            "throughput_p10_per_s": batch / stats["latency_p90_s"],
            "throughput_p90_per_s": batch / stats["latency_p10_s"]}


def environment(device: torch.device) -> dict:
    """What a timing depends on, recorded beside every figure."""
    env = {
        "device": device.type,
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else cpu_name(),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "timing_method": "time.perf_counter around each call after warm-up" if device.type != "cuda" else
                         "after warm-up: CUDA events around each call (timing_clock cuda_events), or "
                         "time.perf_counter with torch.cuda.synchronize() after each call (perf_counter+synchronize)",
    }
    return env


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or f"cpu ({os.cpu_count()} cores)"
