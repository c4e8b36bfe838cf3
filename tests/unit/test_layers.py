import torch
from torch import nn

from mlalab.measure.models import build_model
from mlalab.measure.precision import prepare
from mlalab.measure.walker import dtypes, layer_table, leaves, totals, walk


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


def test_walk_records_each_call_and_what_it_newly_writes():
    model = nn.Sequential(nn.Flatten(), nn.Linear(6, 4), nn.ReLU(inplace=True), nn.Dropout(0.5))
    w = walk(model, (torch.randn(2, 2, 3),))
    assert [(c.name, c.type) for c in w.calls] == [("0", "Flatten"), ("1", "Linear"), ("2", "ReLU"), ("3", "Dropout")]
    assert [c.output_bytes for c in w.calls] == [2 * 6 * 4, 2 * 4 * 4, 2 * 4 * 4, 2 * 4 * 4]
    # a view, an in-place op and eval-mode Dropout write nothing new: only the Linear does
    assert [c.new_output_bytes for c in w.calls] == [0, 2 * 4 * 4, 0, 0]
    assert w.calls[1].input_shape == [2, 6] and w.calls[1].output_dtype == torch.float32
    assert model.training  # the walk runs in eval mode and leaves the mode as it found it
    assert tuple(w.output.shape) == (2, 4)


def test_a_quantized_module_is_one_leaf():
    q = prepare(nn.Sequential(nn.Linear(4, 4), nn.ReLU()), "int8", torch.device("cpu")).model
    assert [(name, type(m).__name__) for name, m in leaves(q)] == [("0", "Linear"), ("1", "ReLU")]
    assert [c.type for c in walk(q, (torch.randn(1, 4),)).calls] == ["quantized.Linear", "ReLU"]
