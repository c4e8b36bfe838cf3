import pytest
import torch

from mlalab.measure import counters
from mlalab.measure.models import build_model
from mlalab.plan.config import model_slug

# The lab's architectures and their exact parameter counts (issue 2).
PARAMS = [
    ("mlp", {"hidden": [256, 256, 256]}, 335_114),
    ("mlp", {"hidden": [128, 128, 128]}, 134_794),
    ("mlp", {"hidden": [1024, 1024, 1024]}, 2_913_290),
    ("mlp", {"hidden": [256, 256], "batchnorm": True}, 270_346),
    ("mlp", {"hidden": [256, 256, 256], "batchnorm": True}, 336_650),
    ("mlp", {"hidden": [256, 256, 256, 256], "batchnorm": True}, 402_954),
    ("cnn", {"channels": [32, 64], "kernel": 3}, 421_642),
    ("cnn", {"channels": [32, 64], "kernel": 5}, 454_922),
    ("cnn", {"channels": [32, 64], "kernel": 7}, 504_842),
    ("cnn", {"channels": [32], "kernel": 5}, 805_066),
    ("cnn", {"channels": [32, 64, 128, 256], "kernel": 5}, 1_110_666),
]


@pytest.mark.parametrize("kind,arch,expected", PARAMS, ids=[model_slug(k, a) for k, a, _ in PARAMS])
def test_parameter_counts(kind, arch, expected):
    p = counters.params(build_model(kind, arch))
    assert p["total"] == expected
    assert p["trainable"] == expected
    assert p["bytes"] == 4 * expected


MACS = [
    ("mlp", {"hidden": [256, 256, 256]}, 334_336),
    ("cnn", {"channels": [32, 64], "kernel": 3}, 4_241_152),
    ("cnn", {"channels": [32, 64], "kernel": 5}, 11_065_088),
]


@pytest.mark.parametrize("kind,arch,expected", MACS, ids=[model_slug(k, a) for k, a, _ in MACS])
def test_three_mac_counters_agree(kind, arch, expected):
    macs = counters.all_macs(build_model(kind, arch), (torch.randn(4, 1, 28, 28),))
    # counted on a batch of 4: per batch scales with the batch
    assert macs["analytic"]["macs"] == 4 * expected
    assert macs["aten"]["macs"] == 4 * expected
    assert macs["thop"]["conv_linear"] == 4 * expected
    assert sum(macs["analytic"]["by_layer"].values()) == 4 * expected


def test_macs_are_not_twice_the_params():
    # The hand-made report took MACs = 2 x params; for a CNN they differ by an order of magnitude.
    model = build_model("cnn", {"channels": [32, 64], "kernel": 3})
    macs = counters.analytic_macs(model, (torch.randn(1, 1, 28, 28),))["macs"]
    params = counters.params(model)["total"]
    assert macs == 4_241_152 and macs > 5 * params


def test_thop_counts_batchnorm_beyond_conv_linear():
    thop = counters.thop_macs(build_model("mlp", {"hidden": [256, 256], "batchnorm": True}), (torch.randn(2, 1, 28, 28),))
    assert thop["macs"] > thop["conv_linear"]
    assert thop["macs"] - thop["conv_linear"] == thop["by_type"]["BatchNorm1d"]


def test_bad_architectures_name_the_problem():
    with pytest.raises(ValueError, match="kernel=4"):
        build_model("cnn", {"channels": [32], "kernel": 4})
    with pytest.raises(ValueError, match="below 1x1"):
        build_model("cnn", {"channels": [8, 8, 8, 8, 8], "kernel": 3})
    with pytest.raises(ValueError, match="unknown model kind 'rnn'"):
        build_model("rnn", {})
