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


# ---- Part 3 models from config (issue 12) ------------------------------------------------------------------
def test_an_added_torchvision_model_counts_match_torchvision_documentation():
    """mobilenet_v3_small through the generic profile job: its exact parameter count is the one torchvision
    documents for the architecture (the weights' metadata, read offline), and the aten counter's MACs equal
    the conv + linear formula (a CNN's only matrix ops)."""
    import torchvision

    from mlalab.measure import reference
    from mlalab.stages.part3 import model_profile

    documented = torchvision.models.MobileNet_V3_Small_Weights.IMAGENET1K_V1.meta["num_params"]
    assert documented == 2_542_856
    spec = {"source": "torchvision", "name": "mobilenet_v3_small", "image_size": 64}
    rec = model_profile("mobilenet_v3_small", spec, [1, 4], log=lambda _: None)
    assert rec["params"] == documented
    assert rec["counters"]["aten"]["macs"] == rec["counters"]["analytic"]["macs"] > 0
    assert [m["batch_size"] for m in rec["memory"]] == [1, 4]
    assert rec["memory"][1]["activation_bytes_analytic"] == 4 * rec["memory"][0]["activation_bytes_analytic"]
    assert rec["block"] is None and rec["gemms"] == []
    # torchvision's documented MACs are at 224 px: our primary count at that size stands beside them
    tv = rec["torchvision"]
    assert tv["image_size"] == 224 and tv["params"] == documented
    assert reference.agreement(tv["macs_ours"], tv["macs"])["within_tolerance"]    # 0.057 G, rounded
    assert rec["counters"]["analytic"]["unseen_by_type"] == {}
    from mlalab.stages.part3_models import model_counts

    t = model_counts([rec]).set_index(["counter", "input_shape"])
    assert t.loc[("torchvision", "1x3x224x224"), "macs"] == tv["macs"]
    assert t.loc[("flop_counter", "1x3x224x224"), "macs"] == tv["macs_ours"]
    assert t.loc[("analytic", "1x3x64x64"), "unseen_macs"] == 0
    from mlalab.report.facts.part3 import model_facts

    f = model_facts(model_counts([rec]), None, None)["mobilenet_v3_small"]
    assert f["input_shape"] == "1x3x64x64" and f["macs"] == rec["counters"]["aten"]["macs"]
    assert f["torchvision"]["macs_ours"] == tv["macs_ours"] and f["torchvision"]["params_equal"]


def test_a_transformers_config_with_overrides_builds_its_bare_model_and_first_block_gemms():
    """GPT2Config with {n_layer: 2}: GPT2Model with 2 blocks, random weights; the first block (h.0) runs the
    4 weight GEMMs (c_attn, attn c_proj, c_fc, mlp c_proj) and the 2 per-head attention products, and the
    aten MACs of one sequence are exactly 2 blocks of them (the embeddings are lookups, not GEMMs)."""
    from mlalab.measure import models
    from mlalab.stages.part3 import model_profile

    spec = {"source": "transformers", "name": "GPT2Config", "config": {"n_layer": 2, "n_embd": 64, "n_head": 4},
            "seq_len": 8}
    net = models.build(spec)
    assert type(net).__name__ == "GPT2Model" and len(net.h) == 2
    rec = model_profile("gpt2-tiny", spec, [1], log=lambda _: None)
    assert rec["block"] == "h.0"
    assert [g["op"] for g in rec["gemms"]] == ["addmm", "bmm", "bmm", "addmm", "addmm", "addmm"]
    d, s = 64, 8
    per_block = s * d * 3 * d + 2 * s * s * d + s * d * d + 2 * s * d * 4 * d
    assert sum(g["macs"] for g in rec["gemms"]) == per_block
    assert rec["counters"]["aten"]["macs"] == 2 * per_block
    # the formula sees the Conv1D projections, knows it misses the functional attention products, and the
    # family's closed form counts them all
    attention = 2 * 2 * s * s * d
    assert rec["counters"]["analytic"]["macs"] == 2 * per_block - attention > 0
    assert rec["counters"]["analytic"]["unseen_by_type"] == {"GPT2Attention": attention}
    assert rec["counters"]["closed_form"]["macs"] == 2 * per_block
    assert rec["torchvision"] is None
    from mlalab.stages.part3_models import model_counts

    t = model_counts([rec]).set_index("counter")
    assert t.loc["analytic", "unseen_macs"] == attention and t.loc["analytic", "unseen_in"] == "GPT2Attention"
    assert t.loc["closed_form", "macs_diff"] == 0 and t.loc["flop_counter", "unseen_macs"] == 0


def test_an_unknown_builder_or_config_class_is_refused_by_name():
    from mlalab.measure import models

    with pytest.raises(ValueError, match="GPT3Config"):
        models.build({"source": "transformers", "name": "GPT3Config", "seq_len": 4})
