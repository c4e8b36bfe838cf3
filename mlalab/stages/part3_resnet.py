"""ResNet18 jobs: each returns one JSON-ready record (scripts/part3_resnet18_*.py write it)."""

from __future__ import annotations

import torch

from mlalab.measure import counts, memory, nets
from mlalab.stages import part3_bench as bench


def latency_record(batch_size: int, image_size: int, precision: str, device: torch.device, warmup: int,
                   repeats: int) -> dict:
    model = nets.build_resnet18()
    x = nets.image_batch(batch_size, image_size)
    stats = bench.batch_latency(model, x, device, warmup, repeats, precision)
    return {"model": nets.RESNET18, "image_size": image_size, "precision": precision, **stats}


def q1_record(images: int, image_size: int, device: torch.device, warmup: int, repeats: int) -> dict:
    model = nets.build_resnet18()
    x = nets.image_batch(images, image_size)
    return {"model": nets.RESNET18, "image_size": image_size,
            **bench.one_by_one_vs_batch(model, x, device, warmup, repeats)}


def counts_record(image_size: int) -> dict:
    """Params and MACs of one image by thop, the aten counter and the analytic conv/linear formula (CPU:
    the counts do not depend on the device)."""
    model = nets.build_resnet18()
    x = nets.image_batch(1, image_size)
    return {
        "model": nets.RESNET18,
        "batch_size": 1,
        "input_shape": list(x.shape),
        "params": counts.param_count(model),
        "thop": counts.thop_counts(model, (x,)),
        "aten": counts.aten_counts(model, (x,)),
        "analytic": counts.conv_linear_macs(model, (x,)),
    }


def memory_record(batch_size: int, image_size: int, device: torch.device) -> dict:
    model = nets.build_resnet18().to(device)
    x = nets.image_batch(batch_size, image_size).to(device)
    return {"model": nets.RESNET18, "image_size": image_size, "device": device.type,
            "threads": torch.get_num_threads(), "dtype": "float32", **memory.memory_record(model, x)}
