"""One timing harness for every latency figure in the report.

Each figure is the wall time of one call of `fn` (one batch), measured `repeats` times after `warmup`
untimed calls, with `time.perf_counter`; on CUDA each call is followed by `torch.cuda.synchronize()` so the
time covers the kernels, not just their launch.
"""

from __future__ import annotations

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
    }


def measure(fn: Callable[[], object], device: torch.device, warmup: int, repeats: int,
            prefix: str = "latency") -> dict:
    """Time `fn` per call; returns the summary statistics plus the raw samples (`{prefix}_samples_s`)."""
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    for _ in range(warmup):
        fn()
    sync(device)
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        sync(device)
        samples.append(time.perf_counter() - t0)
    return {**summarize(samples, prefix), f"{prefix}_samples_s": samples}


def latency(model: torch.nn.Module, x: torch.Tensor, device: torch.device, warmup: int, repeats: int,
            autocast_dtype: torch.dtype | None = None) -> dict:
    """Inference latency of one batch `x` (eval mode, no autograd) and throughput = batch / median."""
    model.eval()

    def call():
        with torch.inference_mode():
            if autocast_dtype is not None:
                with torch.autocast(device.type, dtype=autocast_dtype):
                    return model(x)
            return model(x)

    stats = measure(call, device, warmup, repeats)
    batch = x.shape[0]
    stats["batch_size"] = batch
    stats["throughput_per_s"] = batch / stats["latency_median_s"]
    stats["throughput_p10_per_s"] = batch / stats["latency_p90_s"]  # slowest tenth of calls -> lowest throughput
    stats["throughput_p90_per_s"] = batch / stats["latency_p10_s"]
    return stats


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
