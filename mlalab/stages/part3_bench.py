"""Latency of one batch (through mlalab.measure.timing, the one harness for every latency figure) and the lab's Q1:
128 images one at a time vs as one batch."""

from __future__ import annotations

import torch
from torch import nn

from mlalab.measure import timing

DTYPES = {"fp32": None, "bf16": torch.bfloat16}
DTYPE_LABELS = {"fp32": "float32", "bf16": "bfloat16 (autocast)"}


def batch_latency(model: nn.Module, x: torch.Tensor, device: torch.device, warmup: int, repeats: int,
                  precision: str = "fp32") -> dict:
    """Latency statistics of model(x) for one batch, and throughput = batch / median latency."""
    if precision not in DTYPES:
        raise ValueError(f"precision must be one of {sorted(DTYPES)}, got {precision!r}")
    model = model.to(device).eval()
    x = x.to(device)
    stats = timing.latency(model, x, device, warmup, repeats, autocast_dtype=DTYPES[precision])
    return {**stats, "dtype": DTYPE_LABELS[precision], **timing.environment(device)}


def one_by_one_vs_batch(model: nn.Module, images: torch.Tensor, device: torch.device, warmup: int,
                        repeats: int) -> dict:
    """Q1: wall time to push all `images` through the model one image per call, and as a single batch.
    Both are timed per pass with timing.measure (median, p10/p90 over `repeats` passes after `warmup`)."""
    model = model.to(device).eval()
    images = images.to(device)
    n = images.shape[0]
    singles = [images[i:i + 1] for i in range(n)]

    def one_at_a_time():
        with torch.inference_mode():
            for x in singles:
                model(x)

    def as_one_batch():
        with torch.inference_mode():
            model(images)

    seq = timing.measure(one_at_a_time, device, warmup, repeats)
    bat = timing.measure(as_one_batch, device, warmup, repeats)
    return {
        "images": n,
        "one_at_a_time": seq,
        "one_batch": bat,
        "one_at_a_time_s": seq["median_s"],
        "one_batch_s": bat["median_s"],
        "ratio_one_at_a_time_over_batch": seq["median_s"] / bat["median_s"],
        "dtype": DTYPE_LABELS["fp32"],
        **timing.environment(device),
    }
