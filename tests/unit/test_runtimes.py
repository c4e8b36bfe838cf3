"""Part 3 runtimes (issue 12): ONNX Runtime reproduces eager fp32 within a stated tolerance, the agreement
measure, and the names runtimes take in file names and tables."""

from __future__ import annotations

import pytest
import torch

from mlalab.measure import models, onnx_export, runtimes
from mlalab.plan import latency
from mlalab.stages.part3_models import runtime_label

# fp32 kernels of two libraries sum in different orders: their outputs differ by rounding, ~1e-6 of the output's
# scale; a wrong graph or wrong weights differ by ~1 (order 100 %).
REL_TOLERANCE = 1e-4

SPECS = [
    {"source": "torchvision", "name": "mobilenet_v3_small", "image_size": 32},
    {"source": "transformers", "name": "GPT2Config", "config": {"n_layer": 1, "n_embd": 64, "n_head": 4},
     "seq_len": 8},
]


@pytest.mark.parametrize("spec", SPECS, ids=[s["name"] for s in SPECS])
def test_onnxruntime_output_agrees_with_eager_fp32(spec, tmp_path):
    """The exported file, run by onnxruntime's CPU provider at a batch other than the export's (the batch
    dimension is dynamic), gives eager fp32's output within REL_TOLERANCE of its largest value."""
    path = tmp_path / "model.onnx"
    onnx_export.export_spec(spec, path)
    net = models.build(spec)
    x = models.example_batch(spec, net, 3, seed=1)
    runner = runtimes.get("onnxruntime", "fp32").prepare(net, x, torch.device("cpu"), path)
    agree = runtimes.agreement(runtimes.reference(net, x), runner.call())
    assert agree["output_max_rel_error"] < REL_TOLERANCE, agree
    # the check can fail: other weights (seed 1) are far from the file's
    other = models.build(spec, seed=1)
    assert runtimes.agreement(runtimes.reference(other, x), runner.call())["output_max_rel_error"] > 1e-2


def test_agreement_is_the_largest_difference_absolute_and_over_the_largest_reference_value():
    ref = torch.tensor([[1.0, -4.0], [0.0, 2.0]])
    out = torch.tensor([[1.5, -4.0], [0.1, 2.0]])
    agree = runtimes.agreement(ref, out)
    assert agree["output_max_abs_error"] == pytest.approx(0.5)
    assert agree["output_max_rel_error"] == pytest.approx(0.5 / 4.0)
    with pytest.raises(RuntimeError, match="shape"):
        runtimes.agreement(ref, out[:1])


def test_an_unknown_runtime_is_refused():
    with pytest.raises(ValueError, match="no runtime 'tensorrt' at precision 'fp32'; known: eager/fp32"):
        runtimes.get("tensorrt", "fp32")


@pytest.mark.parametrize("name,engine,precision,label", [
    ("fp32", "eager", "fp32", "eager"), ("bf16", "eager", "bf16", "bf16"),
    ("onnxruntime-fp32", "onnxruntime", "fp32", "onnxruntime"), ("compile-fp32", "compile", "fp32", "compile")])
def test_variant_names_round_trip(name, engine, precision, label):
    assert latency.split_variant(name) == (engine, precision)
    assert latency.variant(engine, precision) == name
    assert runtime_label(engine, precision) == label
    assert latency.RUNTIMES[label] == (engine, precision)


def test_the_plan_names_exactly_the_runtimes_the_registry_runs():
    """The torch-free plan spells runtimes and variants (file names, rule inputs); the registry runs them."""
    assert set(latency.RUNTIMES.values()) <= set(runtimes.RUNTIMES)
    assert {e for e, _ in runtimes.RUNTIMES} == set(latency.ENGINES)
    assert {p for _, p in runtimes.RUNTIMES} == set(latency.PRECISIONS)
    assert all(latency.needs_onnx(e) == runtimes.get(e, p).needs_onnx for e, p in runtimes.RUNTIMES)
    with pytest.raises(ValueError, match="no runtime 'onnxruntime' at precision 'bf16'"):
        runtimes.get("onnxruntime", "bf16")


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_eager_runs_every_precision_through_the_one_interface(precision):
    """The MNIST precision rows and Part 3's runtimes are one interface: eager int8 is a runtime like the others."""
    spec = {"source": "mnist", "kind": "mlp", "model": {"hidden": [16]}}
    net = models.build(spec)
    x = models.example_batch(spec, net, 4)
    runner = runtimes.get("eager", precision).prepare(net, x, torch.device("cpu"))
    assert runner.is_reference == (precision == "fp32")
    err = runtimes.agreement(runtimes.reference(net, x), runner.call())["output_max_rel_error"]
    assert err == 0 if precision == "fp32" else 0 < err < 0.1
    assert runner.run(x[:2]).shape == (2, 10)
