import torch
from torch import nn

from mlalab.measure.layers import dtypes, layer_table, totals
from mlalab.measure.models import build_model


def test_cnn_layer_bytes_by_hand():
    model = build_model("cnn", {"channels": [32, 64], "kernel": 3})
    rows = layer_table(model, lambda b: (torch.randn(b, 1, 28, 28),), [1, 64, 128])
    by_name = {r["name"]: r for r in rows}
    conv1 = by_name["conv1"]
    assert conv1["weight_shape"] == [32, 1, 3, 3] and conv1["bias_shape"] == [32]
    assert conv1["param_bytes"] == (32 * 9 + 32) * 4
    assert conv1["weight_bytes"] == 32 * 9 * 4 and conv1["bias_bytes"] == 32 * 4
    assert conv1["output_shape_b64"] == [64, 32, 28, 28]
    assert conv1["act_bytes_b64"] == 64 * 32 * 28 * 28 * 4
    # pooling halves each side: this is why the FC layer sees 64 x 7 x 7 = 3136 inputs
    assert by_name["pool2"]["output_shape_b1"] == [1, 64, 7, 7]
    assert by_name["fc1"]["weight_shape"] == [128, 3136]
    total = totals(rows, [1, 64, 128])
    assert total["params"] == 421_642
    assert total["param_bytes"] == 421_642 * 4
    assert total["act_bytes_b128"] == 128 * total["act_bytes_b1"]


def test_mlp_activation_totals_by_hand():
    model = build_model("mlp", {"hidden": [256, 256, 256]})
    rows = layer_table(model, lambda b: (torch.randn(b, 1, 28, 28),), [1, 64])
    # flatten 784, three (linear 256 + relu 256), output 10 floats per sample
    per_sample = (784 + 3 * 2 * 256 + 10) * 4
    assert totals(rows, [1, 64])["act_bytes_b1"] == per_sample
    assert totals(rows, [1, 64])["act_bytes_b64"] == 64 * per_sample


def test_shared_module_counts_parameters_once():
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            return self.fc(self.fc(x))

    rows = layer_table(Twice(), lambda b: (torch.randn(b, 4),), [2])
    assert [r["name"] for r in rows] == ["fc", "fc"]
    assert totals(rows, [2])["params"] == 20
    assert totals(rows, [2])["act_bytes_b2"] == 2 * 2 * 4 * 4


def test_dtypes_are_read_off_tensors():
    model = build_model("mlp", {"hidden": [8]}).to(torch.float64)
    got = dtypes(model, torch.randn(2, 1, 28, 28, dtype=torch.float64))
    assert got["input_dtype"] == "float64" and got["output_dtype"] == "float64"
    assert set(got["weight_dtypes"].values()) == {"float64"}
