"""Part 3 on CUDA (skipped without a GPU): synchronized timing and the allocator peak are recorded."""

import pytest
import torch

from mlalab.measure import memory, runtimes, timing
from mlalab.measure import models as nets

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
    runner = runtimes.get("eager", precision).prepare(nets.build_resnet18(), nets.image_batch(4, 64),
                                                      torch.device("cuda"))
    assert runner.device.type == "cuda"
    stats = timing.with_throughput(timing.measure_with(runner.call, runner.device, timing.fixed(1, 3)), 4)
    env = timing.environment(runner.device)
    assert env["device"] == "cuda" and "synchronize" in env["timing_method"]
    assert stats["latency_repeats"] == 3 and stats["throughput_per_s"] > 0
