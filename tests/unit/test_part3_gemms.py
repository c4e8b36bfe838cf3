"""The GEMM inventory of BERT-base's first encoder block, traced at the aten level."""

import pytest
import torch

from mlalab.measure import closed_form, gemms
from mlalab.measure import models as nets

ROLES = ["Q projection", "K projection", "V projection", "attention scores (QKᵀ)", "context (softmax·V)",
         "attention output dense", "FFN intermediate", "FFN output"]


@pytest.fixture(scope="module")
def bert():
    torch.set_num_threads(1)
    return nets.build_bert("eager")


@pytest.fixture(scope="module")
def inventory(bert):
    ids = nets.token_batch(2, 16, bert.config.vocab_size)      # B=2, L=16 -> T=32 tokens; 12 heads of 64
    return gemms.bert_block_inventory(bert, ids, block=0)


def test_roles_in_execution_order(inventory):
    assert [g["role"] for g in inventory] == ROLES
    assert all(g["module"].startswith("encoder.layer.0.") for g in inventory)


def test_shapes_and_mnk(inventory):
    by_role = {g["role"]: g for g in inventory}
    for role in ROLES[:3] + ["attention output dense"]:
        g = by_role[role]
        assert (g["a_shape"], g["b_shape"], g["out_shape"]) == ([32, 768], [768, 768], [32, 768])
        assert (g["M"], g["N"], g["K"], g["groups"]) == (32, 768, 768, 1)
        assert g["b_is_weight"] and g["weight_shape"] == [768, 768]
    s = by_role["attention scores (QKᵀ)"]
    assert (s["a_shape"], s["b_shape"], s["out_shape"]) == ([24, 16, 64], [24, 64, 16], [24, 16, 16])
    assert (s["groups"], s["M"], s["N"], s["K"]) == (24, 16, 16, 64)
    assert not s["b_is_weight"]
    c = by_role["context (softmax·V)"]
    assert (c["a_shape"], c["b_shape"], c["out_shape"]) == ([24, 16, 16], [24, 16, 64], [24, 16, 64])
    assert (c["groups"], c["M"], c["N"], c["K"]) == (24, 16, 64, 16)
    f1, f2 = by_role["FFN intermediate"], by_role["FFN output"]
    assert (f1["a_shape"], f1["out_shape"], f1["weight_shape"]) == ([32, 768], [32, 3072], [3072, 768])
    assert (f2["a_shape"], f2["out_shape"], f2["weight_shape"]) == ([32, 3072], [32, 768], [768, 3072])


def test_macs_match_the_analytic_per_layer_formula(bert, inventory):
    an = closed_form.bert_analytic(bert.config, 2, 16)
    for g in inventory:
        assert g["macs"] == g["groups"] * g["M"] * g["N"] * g["K"] == an["macs_per_layer_by_role"][g["role"]]
    assert sum(g["macs"] for g in inventory) == an["macs_per_layer"]


def test_other_blocks_are_not_traced(inventory):
    assert len(inventory) == 8       # one block only, not the 12 x 8 of the whole encoder


def test_fused_attention_is_refused():
    sdpa = nets.build_bert("sdpa")
    with pytest.raises(ValueError, match="eager"):
        gemms.bert_block_inventory(sdpa, nets.token_batch(1, 8, sdpa.config.vocab_size))
