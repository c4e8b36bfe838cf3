"""One timing harness for every latency figure in the report.

Each figure is the wall time of one call of `fn` (one batch) with `time.perf_counter`, after `warmup` untimed
calls; on CUDA each call is followed by `torch.cuda.synchronize()` so the time covers the kernels, not just
their launch. Two ways to decide how many calls (the config's `timing.mode`):

* fixed: exactly `repeats` timed calls;
* adaptive (in the spirit of torch.utils.benchmark.Timer.adaptive_autorange): at least `min_repeats` calls,
  then stop as soon as the 95 % confidence interval of the median is within +-`target_rel_ci` of it, or when
  `budget_s` seconds of timed calls are spent, or at `max_repeats`. The calls made and the precision reached
  are recorded beside the figure (`latency_repeats`, `latency_ci95_rel`, `timing_stop`).

The confidence interval of the median is distribution-free, from order statistics: with n sorted samples,
[x_(j), x_(n+1-j)] where j is the largest rank with P(Binomial(n, 1/2) < j) <= 2.5 %. It needs n >= 6.
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import time
from typing import Callable

import torch


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def quantile(sorted_xs: list[float], q: float) -> float:
    """Linear-interpolated quantile of an already sorted list (numpy's default method)."""
    if not sorted_xs:
        raise ValueError("quantile of an empty list")
    pos = (len(sorted_xs) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(sorted_xs) - 1)
    return sorted_xs[lo] + (sorted_xs[hi] - sorted_xs[lo]) * (pos - lo)


def median_ci(sorted_xs: list[float], level: float = 0.95) -> tuple[float, float] | None:
    """Distribution-free confidence interval of the median from order statistics; None for n < 6 (too few
    samples for any interval at 95 %)."""
    n = len(sorted_xs)
    alpha = (1 - level) / 2
    cdf, j = 0.0, 0
    for k in range(n // 2 + 1):   # cdf = P(Binomial(n, 1/2) <= k - 1) before adding term k
        if cdf + math.comb(n, k) / 2 ** n > alpha:
            j = k
            break
        cdf += math.comb(n, k) / 2 ** n
    if j < 1:
        return None
    return sorted_xs[j - 1], sorted_xs[n - j]


def summarize(times_s: list[float], prefix: str = "latency") -> dict:
    """The record's statistics of one series of timed calls, named `{prefix}_median_s` ... `{prefix}_repeats`
    (docs/columns.md)."""
    xs = sorted(times_s)
    return {
        f"{prefix}_median_s": quantile(xs, 0.5),
        f"{prefix}_p10_s": quantile(xs, 0.1),
        f"{prefix}_p90_s": quantile(xs, 0.9),
        f"{prefix}_mean_s": statistics.fmean(xs),
        f"{prefix}_std_s": statistics.stdev(xs) if len(xs) > 1 else 0.0,
        f"{prefix}_min_s": xs[0],
        f"{prefix}_max_s": xs[-1],
        f"{prefix}_repeats": len(xs),
        **_ci_columns(xs, prefix),
    }


def _ci_columns(xs: list[float], prefix: str) -> dict:
    ci = median_ci(xs)
    med = quantile(xs, 0.5)
    if ci is None:
        return {f"{prefix}_ci95_low_s": None, f"{prefix}_ci95_high_s": None, f"{prefix}_ci95_rel": None}
    return {f"{prefix}_ci95_low_s": ci[0], f"{prefix}_ci95_high_s": ci[1],
            f"{prefix}_ci95_rel": (ci[1] - ci[0]) / 2 / med if med > 0 else None}


def measure(fn: Callable[[], object], device: torch.device, warmup: int, repeats: int,
            prefix: str = "latency") -> dict:
    """Time `fn` per call, exactly `repeats` times; the summary statistics plus the raw samples."""
    return measure_with(fn, device, {"mode": "fixed", "warmup": warmup, "repeats": repeats}, prefix)


def measure_with(fn: Callable[[], object], device: torch.device, cfg: dict, prefix: str = "latency") -> dict:
    """Time `fn` per call as the timing config `cfg` says (fixed or adaptive, see the module doc); returns the
    summary statistics, the raw samples (`{prefix}_samples_s`) and how the series stopped."""
    mode = cfg.get("mode", "fixed")
    if mode == "fixed":
        lo = hi = int(cfg["repeats"])
        budget, target = math.inf, 0.0
    elif mode == "adaptive":
        lo, hi = int(cfg.get("min_repeats", 10)), int(cfg.get("max_repeats", 1000))
        budget, target = float(cfg.get("budget_s", 2.0)), float(cfg.get("target_rel_ci", 0.02))
    else:
        raise ValueError(f"timing.mode must be fixed or adaptive, got {mode!r}")
    if lo < 1 or hi < lo:
        raise ValueError(f"timing: need 1 <= repeats/min_repeats <= max_repeats, got {lo}..{hi}")
    for _ in range(int(cfg.get("warmup", 0))):
        fn()
    sync(device)
    samples: list[float] = []
    stop = "repeats"
    while True:
        t0 = time.perf_counter()
        fn()
        sync(device)
        samples.append(time.perf_counter() - t0)
        n = len(samples)
        if n >= hi:
            stop = "repeats" if mode == "fixed" else "max_repeats"
            break
        if n < lo:
            continue
        if sum(samples) >= budget:
            stop = "budget"
            break
        if n % 5 == 0 or n == lo:  # re-check the interval every few calls: sorting is not free for tiny calls
            xs = sorted(samples)
            ci, med = median_ci(xs), quantile(xs, 0.5)
            if ci is not None and (ci[1] - ci[0]) / 2 <= target * med:
                stop = "precision"
                break
    return {**summarize(samples, prefix), f"{prefix}_samples_s": samples, "timing_mode": mode,
            "timing_stop": stop, **({"timing_budget_s": budget, "timing_target_rel_ci": target}
                                    if mode == "adaptive" else {})}


def latency(model: torch.nn.Module, x: torch.Tensor, device: torch.device, cfg: dict,
            autocast_dtype: torch.dtype | None = None) -> dict:
    """Inference latency of one batch `x` (eval mode, no autograd) timed as `cfg` says (measure_with), and
    throughput = batch / median."""
    model.eval()

    def call():
        with torch.inference_mode():
            if autocast_dtype is not None:
                with torch.autocast(device.type, dtype=autocast_dtype):
                    return model(x)
            return model(x)

    return with_throughput(measure_with(call, device, cfg), x.shape[0])


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
        "timing_method": "time.perf_counter around each call after warm-up"
                  + ("; torch.cuda.synchronize() after each call" if device.type == "cuda" else ""),
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
