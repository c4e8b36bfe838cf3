"""The per-run jobs on tiny data: records, failures recorded instead of raised, determinism."""

import json

import pandas as pd
import pytest
import torch

from mlalab.stages.bench_job import bench_run
from mlalab.stages.data import fetch
from mlalab.stages.tables import experiment_table
from mlalab.stages.train_job import load_trained, train_run

SPEC = {"kind": "mlp", "model": {"hidden": [16]}, "model_id": "mlp-h16x1", "batch_size": 4, "seed": 0,
        "training": {"optimizer": "sgd", "lr": 0.01, "momentum": 0.0, "epochs": 1}}
TIMING = {"warmup": 1, "repeats": 3, "test_set_pass": True}


@pytest.fixture
def data_dir(tiny_mnist, tmp_path):
    src, expected, _ = tiny_mnist
    out = tmp_path / "mnist"
    fetch(out, src, expected=expected, log=lambda m: None)
    return out


def quiet(msg):
    pass


quiet.exception = lambda e: f"{type(e).__name__}: {e}"


def test_train_then_bench_records(data_dir, tmp_path):
    rec = train_run(SPEC, {}, "cpu", data_dir, 1, tmp_path / "m.json", tmp_path / "m.pt", quiet)
    assert rec["status"] == "ok" and rec["params_total"] == 784 * 16 + 16 + 16 * 10 + 10
    assert rec["steps_per_epoch"] == 5 and rec["train_time_s"] > 0 and 0 <= rec["accuracy"] <= 1
    assert json.loads((tmp_path / "m.json").read_text())["accuracy"] == rec["accuracy"]
    model = load_trained(tmp_path / "m.pt")
    assert sum(p.numel() for p in model.parameters()) == rec["params_total"]
    t = bench_run(SPEC, {}, TIMING, "cpu", data_dir, 1, tmp_path / "t.json", quiet)
    assert t["status"] == "ok" and t["latency"]["n"] == 3 and len(t["latency"]["samples_s"]) == 3
    assert t["latency"]["throughput_per_s"] == pytest.approx(4 / t["latency"]["median_s"])
    assert t["test_set"]["samples"] == 8


def test_same_seed_same_result(data_dir, tmp_path):
    a = train_run(SPEC, {}, "cpu", data_dir, 1, tmp_path / "a.json", tmp_path / "a.pt", quiet)
    b = train_run(SPEC, {}, "cpu", data_dir, 1, tmp_path / "b.json", tmp_path / "b.pt", quiet)
    assert a["accuracy"] == b["accuracy"] and a["test_loss"] == b["test_loss"]
    sa, sb = torch.load(tmp_path / "a.pt")["state_dict"], torch.load(tmp_path / "b.pt")["state_dict"]
    assert all(torch.equal(sa[k], sb[k]) for k in sa)


def test_impossible_batch_size_is_recorded_not_raised(data_dir, tmp_path):
    spec = {**SPEC, "batch_size": 10_000}
    rec = train_run(spec, {}, "cpu", data_dir, 1, tmp_path / "m.json", tmp_path / "m.pt", quiet)
    assert rec["status"] == "failed" and "batch_size 10000" in rec["error"]
    with pytest.raises(RuntimeError, match="the run failed"):
        load_trained(tmp_path / "m.pt")


def test_cuda_without_gpu_is_a_recorded_failure(data_dir, tmp_path):
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    t = bench_run(SPEC, {}, TIMING, "cuda", data_dir, 1, tmp_path / "t.json", quiet)
    assert t["status"] == "failed" and "cuda" in t["error"]


def test_experiment_table_marks_failed_rows_and_averages_seeds():
    rows = [{"experiment": "e", "label": "a", "run": f"a{s}", "model": "m", "batch_size": 2, "seed": s}
            for s in (0, 1)]
    rows.append({"experiment": "e", "label": "b", "run": "b0", "model": "m", "batch_size": 2, "seed": 0})
    env = {"device": "cpu", "device_name": "x", "threads": 1, "method": "perf_counter"}

    def ok_metrics(acc, t):
        return {"status": "ok", "accuracy": acc, "train_time_s": t, "train_time_per_epoch_s": t, "test_loss": 1.0}

    def ok_timing(samples):
        return {"status": "ok", "threads": 1, "environment": env,
                "latency": {"batch_size": 2, "samples_s": samples}, "test_set": {"median_s": 1.0}}

    metrics = {"a0": ok_metrics(0.90, 2.0), "a1": ok_metrics(0.92, 4.0),
               "b0": {"status": "failed", "error": "out of memory: RuntimeError: boom"}}
    timings = {"a0": ok_timing([1.0, 2.0]), "a1": ok_timing([3.0]), "b0": ok_timing([1.0])}
    profile = {"spec": {"kind": "mlp"}, "params_total": 10, "params_trainable": 10, "param_bytes": 40,
               "macs_per_sample": {"analytic": 5, "aten": 5, "thop_total": 5, "thop_conv_linear": 5},
               "input_shape": [None, 1, 28, 28], "output_shape": [None, 10], "input_dtype": "float32",
               "weight_dtypes": {"w": "float32"}, "output_dtype": "float32"}
    table = experiment_table(rows, metrics, timings, {"m": profile}).set_index("label")
    a = table.loc["a"]
    assert a["n_seeds"] == 2 and a["accuracy_mean"] == pytest.approx(0.91)
    assert a["accuracy_std"] == pytest.approx(pd.Series([0.90, 0.92]).std())
    assert a["latency_median_s"] == 2.0 and a["latency_repeats"] == 3 and a["throughput_per_s"] == 1.0
    assert a["macs_per_batch"] == 10 and a["input_shape"] == "2x1x28x28" and a["status"] == "ok"
    b = table.loc["b"]
    assert b["status"] == "failed" and "out of memory" in b["error"] and b["n_seeds"] == 0
