"""What each MAC counter sees: the primary counter (aten, attention expanded) sees every product executed; the
formula counter has rules for Conv/Linear, transformers' Conv1D and nn.MultiheadAttention and reports what it
cannot see; the closed forms per transformers family equal the primary count. Tiny models, so this is fast."""

import pytest
import torch
import torchvision
import transformers
from testlib import one_thread  # noqa: F401 - the fixture pytestmark uses

from mlalab.measure import closed_form, counters
from mlalab.measure import models as nets

pytestmark = pytest.mark.usefixtures("one_thread")   # counted on one torch thread (testlib)


def tiny_vit():
    torch.manual_seed(0)
    return torchvision.models.VisionTransformer(image_size=32, patch_size=16, num_layers=2, num_heads=2,
                                                hidden_dim=32, mlp_dim=64).eval()


def test_vit_primary_sees_the_fused_attention_and_the_formula_agrees():
    model, x = tiny_vit(), torch.randn(2, 3, 32, 32)
    c = counters.all_macs(model, (x,))
    tokens, d, layers, batch = 5, 32, 2, 2                   # 4 patches + the class token
    attention = layers * batch * (4 * tokens * d * d + 2 * tokens * tokens * d)
    mlp = layers * batch * tokens * 2 * d * 64
    patch = batch * 4 * d * 3 * 16 * 16
    head = batch * d * 1000
    assert c["aten"]["macs"] == attention + mlp + patch + head
    assert c["analytic"]["macs"] == c["aten"]["macs"]
    assert c["analytic"]["by_type"]["MultiheadAttention"] == attention
    assert c["analytic"]["unseen_by_type"] == {}
    # thop has no rule for nn.MultiheadAttention: it knows that it misses exactly the attention blocks
    assert c["thop"]["unseen_by_type"] == {"MultiheadAttention": attention}
    # counted as it runs by default, the fused fast path hides the attention from FlopCounterMode
    assert counters.aten_macs(model, (x,), expand_attention=False)["macs"] < c["aten"]["macs"]
    assert torch.backends.mha.get_fastpath_enabled()        # the switch is restored


def test_swin_formula_names_its_blind_spot_on_meta():
    with torch.device("meta"):
        model = torchvision.models.swin_t().eval()
        x = torch.empty(1, 3, 224, 224)
    aten = counters.aten_macs(model, (x,))
    analytic = counters.analytic_macs(model, (x,))
    unseen = counters.unseen_macs(model, aten["by_module"])
    assert set(unseen) == {"ShiftedWindowAttention"}        # its projections are functional F.linear calls
    assert analytic["macs"] + unseen["ShiftedWindowAttention"] == aten["macs"]


def test_gpt2_formula_sees_conv1d_and_closed_form_equals_primary():
    cfg = {"n_layer": 2, "n_embd": 32, "n_head": 2, "vocab_size": 100, "n_positions": 16}
    model = nets.build_transformer("GPT2Config", cfg, "eager")
    batch, seq = 2, 8
    ids = nets.token_batch(batch, seq, 100)
    c = counters.all_macs(model, (ids,))
    form = closed_form.gpt2_analytic(model.config, batch, seq)
    assert c["aten"]["macs"] == form["macs"]
    assert counters.params(model)["total"] == form["params"]
    attention = 2 * 2 * batch * seq * seq * 32
    assert c["analytic"]["macs"] == form["macs"] - attention > 0
    assert c["analytic"]["by_type"] == {"Conv1D": form["macs"] - attention}
    assert c["analytic"]["unseen_by_type"] == {"GPT2Attention": attention}
    assert closed_form.for_config(model.config, batch, seq)["macs"] == form["macs"]


@pytest.mark.parametrize("config", ["LlamaConfig", "MistralConfig"])
def test_grouped_query_closed_form_equals_primary(config):
    cfg = {"num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2,
           "intermediate_size": 96, "vocab_size": 100, "max_position_embeddings": 32}
    model = nets.build_transformer(config, cfg, "eager")
    batch, seq = 2, 8
    ids = nets.token_batch(batch, seq, 100)
    form = closed_form.for_config(model.config, batch, seq)
    assert counters.aten_macs(model, (ids,))["macs"] == form["macs"]
    assert counters.params(model)["total"] == form["params"]
    # grouped-query: K and V project to 2 heads of 16, a half of Q's width
    assert form["macs_per_layer_by_role"]["K projection"] * 2 == form["macs_per_layer_by_role"]["Q projection"]


def test_sdpa_model_counts_in_full_with_the_primary_counter():
    cfg = {"n_layer": 1, "n_embd": 32, "n_head": 2, "vocab_size": 100, "n_positions": 16}
    model = nets.build_transformer("GPT2Config", cfg, "sdpa")
    ids = nets.token_batch(1, 8, 100)
    assert counters.aten_macs(model, (ids,))["macs"] == closed_form.gpt2_analytic(model.config, 1, 8)["macs"]


def test_no_closed_form_for_an_unknown_family():
    assert closed_form.for_config(transformers.OPTConfig(), 1, 8) is None
