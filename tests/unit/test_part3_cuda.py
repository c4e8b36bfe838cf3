"""Part 3 on CUDA (skipped without a GPU): synchronized timing and the allocator peak are recorded."""

import pytest
import torch

from mlalab.measure import memory, timing
from mlalab.measure import models as nets
from mlalab.measure import precision as modes

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


def test_resnet18_memory_on_cuda_records_peaks():
    device = torch.device("cuda")
    model = nets.build_resnet18().to(device)
    rec = memory.memory_record(model, nets.image_batch(2, 64).to(device))
    assert rec["cuda_peak_inference_bytes"] > 0
    assert rec["cuda_peak_grad_bytes"] >= rec["cuda_peak_inference_bytes"]
    # with grad on, the graph keeps at least the saved activations alive after the forward
    assert rec["cuda_retained_grad_bytes"] >= rec["saved_activation_bytes"]


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_latency_on_cuda(precision):
    v = modes.prepare(nets.build_resnet18(), precision, torch.device("cuda"))
    stats = timing.latency(v.model, nets.image_batch(4, 64).to(v.device), v.device, {"warmup": 1, "repeats": 3}, v.autocast_dtype)
    env = timing.environment(v.device)
    assert env["device"] == "cuda" and "synchronize" in env["timing_method"]
    assert stats["latency_repeats"] == 3 and stats["throughput_per_s"] > 0
