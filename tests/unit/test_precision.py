import pandas as pd
import pytest
import torch
from torch import nn

from mlalab.measure.models import build_model
from mlalab.measure.precision import bf16_supported, prepare
from mlalab.stages.precision import (
    dtypes,
    quality,
    quality_rows,
    state_dict_bytes,
    tensor_bytes,
)

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def mlp():
    torch.manual_seed(0)
    return build_model("mlp", {"hidden": [32, 32], "batchnorm": False}).eval()


@pytest.fixture(scope="module")
def cnn():
    torch.manual_seed(0)
    return build_model("cnn", {"channels": [4, 8], "kernel": 3, "fc": 16}).eval()


def linear_weight_dtypes(model):
    from mlalab.measure import walker

    return [walker.stored_weight(m).dtype for _, m in walker.leaves(model) if "Linear" in type(m).__name__]


def test_quantized_linear_weights_are_int8(mlp):
    q = prepare(mlp, "int8", CPU).model
    got = linear_weight_dtypes(q)
    assert got == [torch.qint8] * 3
    for m in q.modules():
        if type(m).__module__.startswith("torch.ao.nn.quantized") and hasattr(m, "weight"):
            assert m.weight().int_repr().dtype == torch.int8
    # the original model is untouched
    assert linear_weight_dtypes(mlp) == [torch.float32] * 3


def test_cnn_int8_quantizes_only_linears_and_records_it(cnn):
    v = prepare(cnn, "int8", CPU)
    d = dtypes(v, torch.randn(1, 1, 28, 28))
    assert "quantized.Linear=torch.qint8" in d["weight_dtypes"]
    assert "Conv2d=torch.float32" in d["weight_dtypes"]
    assert d["input_dtype"] == "torch.float32" and d["output_dtype"] == "torch.float32"
    assert d["quantized_layers"] == 2


def test_int8_state_dict_is_about_a_quarter(mlp):
    fp32 = state_dict_bytes(mlp)
    int8 = state_dict_bytes(prepare(mlp, "int8", CPU).model)
    assert int8 < 0.5 * fp32
    # raw tensor bytes: fp32 params are 4 bytes each
    n = sum(p.numel() for p in mlp.parameters())
    assert tensor_bytes(mlp) == 4 * n


@pytest.mark.skipif(not bf16_supported(CPU), reason="no bf16 on this CPU")
def test_bf16_autocast_keeps_fp32_weights_but_computes_linears_in_bf16(mlp):
    v = prepare(mlp, "bf16", CPU)
    d = dtypes(v, torch.randn(1, 1, 28, 28))
    assert d["weight_dtypes"] == "Linear=torch.float32"
    assert "Linear=torch.bfloat16" in d["activation_dtypes"]
    assert d["output_dtype"] == "torch.bfloat16"
    assert state_dict_bytes(v.model) == state_dict_bytes(mlp)


def test_quality_accuracy_and_agreement():
    ref = torch.tensor([[0.0, 1.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    out = torch.tensor([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    q = quality(out, ref, torch.tensor([1, 0, 0, 0]))
    assert q["accuracy"] == pytest.approx(0.5)
    assert q["agreement_with_fp32"] == pytest.approx(0.75)


def test_unknown_mode_is_an_error(mlp):
    with pytest.raises(ValueError, match="unknown precision mode"):
        prepare(mlp, "fp8", CPU)


def test_quality_rows_one_per_mode(mlp):
    x, y = torch.randn(20, 1, 28, 28), torch.randint(0, 10, (20,))
    rows = quality_rows([{"name": "mlp", "kind": "mnist", "model": mlp}], ["fp32", "int8"], CPU, (x, y),
                        log=lambda s: None)
    df = pd.DataFrame(rows)
    assert list(df["precision"]) == ["fp32", "int8"] and (df["status"] == "ok").all()
    assert df.loc[df["precision"] == "fp32", "agreement_with_fp32"].eq(1.0).all()
    int8 = df[df["precision"] == "int8"].iloc[0]
    assert int8["state_dict_bytes"] < df.loc[df["precision"] == "fp32", "state_dict_bytes"].iloc[0]
    assert "quantized.Linear=torch.qint8" in int8["weight_dtypes"] and int8["quantized_layers"] == 3


def test_a_failing_mode_is_recorded_not_raised():
    class Broken(nn.Module):
        def forward(self, x):
            raise RuntimeError("boom")

    rows = quality_rows([{"name": "b", "kind": "mnist", "model": Broken()}], ["fp32"], CPU,
                        (torch.randn(2, 1, 28, 28), torch.zeros(2, dtype=torch.long)), log=lambda s: None)
    assert rows[0]["status"] == "failed" and "boom" in rows[0]["error"]


def test_trained_runs_pick_the_first_seed_of_the_named_batch_size():
    from mlalab.plan.config import expand

    config = {"seeds": [3, 4], "training": {"optimizer": "sgd", "lr": 0.01, "momentum": 0.0, "epochs": 1},
              "experiments": {"e": {"kind": "mlp", "model": {"hidden": [8]}, "variants": [{"label": "a"}],
                                    "batch_sizes": [1, 64]}},
              "precision": {"modes": ["fp32"], "batch_sizes": [1], "models": [{"experiment": "e", "batch_size": 64}]},
              "results": "r", "timing": {"warmup": 0, "repeats": 1}}
    from mlalab.plan.precision import trained_runs
    from mlalab.plan.schema import validate

    validate(config)

    [run] = trained_runs(config, expand(config))
    assert run["run"].endswith("-bs64-sgd-lr0.01-m0-e1-s3") and run["name"] == "mlp-h8x1" and run["source"] == "e"
    config["precision"]["models"] = [{"experiment": "e", "batch_size": 32}]
    with pytest.raises(ValueError, match="no run with batch size 32"):
        trained_runs(config, expand(config))
