"""Weights vs activations: hand-checkable accounting on tiny models, and ResNet18's weight bytes."""

import torch
from torch import nn

from mlalab.measure import memory
from mlalab.measure import models as nets


def _mlp(inplace=False):
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 3), nn.ReLU(inplace=inplace), nn.Linear(3, 2))


def test_activation_bytes_by_hand():
    # batch 5, float32: Linear(4,3) out 5x3, ReLU out 5x3, Linear(3,2) out 5x2 -> (15 + 15 + 10) x 4 bytes
    x = torch.randn(5, 4)
    rec = memory.memory_record(_mlp(), x)
    assert rec["weight_bytes"] == (4 * 3 + 3 + 3 * 2 + 2) * 4 == 92
    assert rec["input_bytes"] == 5 * 4 * 4
    assert rec["activation_bytes_analytic"] == 160
    assert [r["activation_bytes"] for r in rec["layers"]] == [60, 60, 40]
    assert [r["activation_shape"] for r in rec["layers"]] == [[5, 3], [5, 3], [5, 2]]
    assert [r["weight_shape"] for r in rec["layers"]] == [[3, 4], [], [2, 3]]
    assert [r["bias_shape"] for r in rec["layers"]] == [[3], [], [2]]
    # autograd keeps: x (for the first weight's grad), the ReLU output (ReLU's backward mask, and the
    # input of the second Linear: the same storage, counted once) and the second weight (by reference)
    assert rec["saved_input_bytes"] == 80
    assert rec["saved_activation_bytes"] == 15 * 4
    assert rec["saved_weight_bytes"] == 3 * 2 * 4
    assert rec["saved_storages"] == 3


def test_inplace_relu_shares_storage_measured_once():
    x = torch.randn(5, 4)
    rec = memory.memory_record(_mlp(inplace=True), x)
    # the in-place ReLU writes into the first Linear's output: one storage, counted once by both measures
    assert [r["activation_bytes"] for r in rec["layers"]] == [60, 60, 40]
    assert [r["activation_new_bytes"] for r in rec["layers"]] == [60, 0, 40]
    assert rec["activation_bytes_analytic"] == 100
    assert rec["saved_activation_bytes"] == 60              # measured: Linear out == ReLU out, one storage


def test_crossover_batch():
    assert memory.crossover_batch(100, 30, 1) == 4          # 3 x 30 = 90 <= 100 < 120
    assert memory.crossover_batch(90, 60, 2) == 4           # 30 per sample: 90 is not > 90 at batch 3
    assert memory.crossover_batch(10, 50, 1) == 1


def test_resnet18_weights_and_linear_activations():
    torch.set_num_threads(1)
    model = nets.build_resnet18()
    one = memory.memory_record(model, nets.image_batch(1, 64))
    two = memory.memory_record(model, nets.image_batch(2, 64))
    assert one["weight_bytes"] == 11_689_512 * 4
    assert sum(r["param_bytes"] for r in one["layers"]) == one["weight_bytes"]
    conv1 = one["layers"][0]
    assert (conv1["layer"], conv1["weight_shape"], conv1["activation_shape"]) == (
        "conv1", [64, 3, 7, 7], [1, 64, 32, 32])
    assert conv1["activation_bytes"] == 64 * 32 * 32 * 4
    assert sum(r["call"] == 1 for r in one["layers"]) == 8     # each BasicBlock calls its ReLU twice
    assert two["activation_bytes_analytic"] == 2 * one["activation_bytes_analytic"]
    assert two["saved_activation_bytes"] == 2 * one["saved_activation_bytes"]
    assert 0 < one["saved_activation_bytes"]


def test_resnet18_inplace_relu_counted_once():
    """ResNet18's ReLUs are in-place: their outputs are the BatchNorm outputs' storage. The analytic total
    counts each storage once (every ReLU row adds 0); the outputs of all leaf calls would count them twice."""
    torch.set_num_threads(1)
    rec = memory.memory_record(nets.build_resnet18(), nets.image_batch(1, 64))
    relu = [r for r in rec["layers"] if r["type"] == "ReLU"]
    assert len(relu) == 17 and all(r["activation_new_bytes"] == 0 < r["activation_bytes"] for r in relu)
    every_output = sum(r["activation_bytes"] for r in rec["layers"])
    assert rec["activation_bytes_analytic"] == every_output - sum(r["activation_bytes"] for r in relu)
    # cross-check against what autograd saves for backward: not the same set (max-pool's int64 indices are
    # saved, the fc output and the downsample branches' BN outputs are not), but storage counted once on both
    # sides agrees to within 10 % (every output counted: 1.45x the saved bytes)
    assert abs(rec["saved_activation_bytes"] / rec["activation_bytes_analytic"] - 1) < 0.10
    assert every_output / rec["saved_activation_bytes"] > 1.3
