"""Part 3 params and MACs: ResNet18 by three counters, BERT-base by every counter vs the analytic formula."""

import pytest
import torch

from mlalab.measure import closed_form, counters, gemms
from mlalab.measure import models as nets

RESNET18_PARAMS = 11_689_512
RESNET18_MACS_224 = 1_814_073_344          # conv + fc MACs of one 224x224 image
BERT_BASE_PARAMS = 109_482_240
BERT_BASE_MACS_128 = 11_174_215_680        # one sequence of 128 tokens, pooler included


@pytest.fixture(scope="module")
def resnet():
    torch.set_num_threads(1)
    model = nets.build_resnet18()
    x = nets.image_batch(1, 224)
    return {"params": counters.params(model)["total"], **counters.all_macs(model, (x,))}


def test_resnet18_params(resnet):
    assert resnet["params"] == RESNET18_PARAMS
    assert resnet["thop"]["params"] == RESNET18_PARAMS


def test_resnet18_macs_aten_equals_analytic(resnet):
    assert resnet["aten"]["macs"] == RESNET18_MACS_224
    assert resnet["analytic"]["macs"] == RESNET18_MACS_224
    assert set(resnet["aten"]["by_op"]) == {"convolution", "addmm"}
    assert resnet["aten"]["by_op"]["addmm"] == 512 * 1000
    assert resnet["analytic"]["by_type"] == {"Conv2d": RESNET18_MACS_224 - 512 * 1000, "Linear": 512 * 1000}


def test_resnet18_thop_within_1pct_and_gap_is_batchnorm_plus_pooling(resnet):
    thop, aten = resnet["thop"], resnet["aten"]["macs"]
    assert abs(thop["macs"] - aten) / aten < 0.01
    by_type = thop["by_type"]
    assert by_type["Conv2d"] + by_type["Linear"] == thop["conv_linear"] == aten
    assert thop["macs"] - aten == by_type["BatchNorm2d"] + by_type["AdaptiveAvgPool2d"]
    assert by_type["AdaptiveAvgPool2d"] == (7 * 7 + 1) * 512     # (kernel adds + 1 divide) per output
    assert by_type["ReLU"] == 0 and by_type["MaxPool2d"] == 0


def test_bert_base_closed_form_at_seq_128():
    from transformers import BertConfig

    an = closed_form.bert_analytic(BertConfig(), 1, 128)
    assert an["macs"] == BERT_BASE_MACS_128
    assert an["params"] == BERT_BASE_PARAMS


@pytest.fixture(scope="module")
def berts():
    torch.set_num_threads(1)
    return nets.build_bert("eager"), nets.build_bert("sdpa")


def test_bert_base_params_and_config(berts):
    eager, _ = berts
    assert counters.params(eager)["total"] == BERT_BASE_PARAMS
    cfg = nets.bert_config_record(eager)
    assert (cfg["num_layers"], cfg["d_model"], cfg["num_heads"], cfg["ffn_dim"]) == (12, 768, 12, 3072)
    an = closed_form.bert_analytic(eager.config, 1, 16)
    assert an["params"] == BERT_BASE_PARAMS
    assert an["params_pooler"] == 768 * 768 + 768


@pytest.mark.parametrize("batch,seq", [(1, 16), (2, 8)])
def test_bert_macs_include_attention_and_equal_analytic(berts, batch, seq):
    eager, sdpa = berts
    ids = nets.token_batch(batch, seq, eager.config.vocab_size)
    an = closed_form.bert_analytic(eager.config, batch, seq)
    d, n = 768, 12
    attention = 2 * n * batch * seq * seq * d
    assert an["macs_attention_matmuls"] == attention
    assert an["macs"] == n * batch * seq * (4 * d * d + 2 * d * 3072) + attention + batch * d * d

    aten_eager = counters.aten_macs(eager, (ids,))
    assert aten_eager["macs"] == an["macs"]
    assert aten_eager["by_op"]["bmm"] == attention
    traced, _ = gemms.trace_gemms(eager, (ids,))
    assert gemms.total_macs(traced) == an["macs"]
    assert gemms.macs_by_op(traced)["bmm"] == attention
    # the fused CPU SDPA kernel is counted as 0 by FlopCounterMode: exactly the attention products go missing
    aten_sdpa = counters.aten_macs(sdpa, (ids,), expand_attention=False)
    assert aten_sdpa["macs"] == an["macs"] - attention
    # the primary counter puts SDPA on its math backend: the fused model counts in full
    assert counters.aten_macs(sdpa, (ids,))["macs"] == an["macs"]
    _, fused = gemms.trace_gemms(sdpa, (ids,))
    assert len(fused) == n


def test_bert_thop_misses_attention_and_embedding_params(berts):
    eager, _ = berts
    ids = nets.token_batch(1, 16, eager.config.vocab_size)
    an = closed_form.bert_analytic(eager.config, 1, 16)
    thop = counters.thop_macs(eager, (ids,))
    assert thop["by_type"]["Linear"] == an["macs"] - an["macs_attention_matmuls"]
    assert thop["params"] == BERT_BASE_PARAMS - (30522 + 512 + 2) * 768
    assert thop["by_type_params"]["Embedding"] == 0
