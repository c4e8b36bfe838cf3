import pytest
import torch

from mlalab.measure.counting import count_all
from mlalab.measure.models import build_model, count_params
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
    total, trainable = count_params(build_model(kind, arch))
    assert total == expected
    assert trainable == expected


MACS = [
    ("mlp", {"hidden": [256, 256, 256]}, 334_336),
    ("cnn", {"channels": [32, 64], "kernel": 3}, 4_241_152),
    ("cnn", {"channels": [32, 64], "kernel": 5}, 11_065_088),
]


@pytest.mark.parametrize("kind,arch,expected", MACS, ids=[model_slug(k, a) for k, a, _ in MACS])
def test_three_mac_counters_agree(kind, arch, expected):
    counts = count_all(build_model(kind, arch), torch.randn(4, 1, 28, 28))
    assert counts["per_sample"]["analytic"] == expected
    assert counts["per_sample"]["aten"] == expected
    assert counts["per_sample"]["thop_conv_linear"] == expected
    assert counts["analytic"] == 4 * expected  # per batch scales with the batch


def test_macs_are_not_twice_the_params():
    # The hand-made report took MACs = 2 x params; for a CNN they differ by an order of magnitude.
    model = build_model("cnn", {"channels": [32, 64], "kernel": 3})
    macs = count_all(model, torch.randn(1, 1, 28, 28))["per_sample"]["analytic"]
    params = count_params(model)[0]
    assert macs == 4_241_152 and macs > 5 * params


def test_thop_counts_batchnorm_beyond_conv_linear():
    counts = count_all(build_model("mlp", {"hidden": [256, 256], "batchnorm": True}), torch.randn(2, 1, 28, 28))
    assert counts["per_sample"]["thop_total"] > counts["per_sample"]["thop_conv_linear"]


def test_bad_architectures_name_the_problem():
    with pytest.raises(ValueError, match="kernel=4"):
        build_model("cnn", {"channels": [32], "kernel": 4})
    with pytest.raises(ValueError, match="below 1x1"):
        build_model("cnn", {"channels": [8, 8, 8, 8, 8], "kernel": 3})
    with pytest.raises(ValueError, match="unknown model kind 'rnn'"):
        build_model("rnn", {})
