import math

import pandas as pd
import pytest
import torch
from torch import nn

from mlalab.stages.peak import matmul_flops, summarize
from mlalab.stages.roofline import (
    achieved_gflops,
    analyse,
    arithmetic_intensity,
    model_traffic,
    pct_of_peak,
    plot,
    roof,
    traffic_bytes,
)

PEAK = {"matmul_fp32_gflops": 100.0, "copy_gbs": 10.0, "matmul_bf16_gflops": 200.0}


def test_gflops_arithmetic():
    # 1e9 MACs in 0.5 s = 2e9 FLOPs / 0.5 s = 4 GFLOP/s
    assert achieved_gflops(1e9, 0.5) == pytest.approx(4.0)
    assert pct_of_peak(4.0, 100.0) == pytest.approx(4.0)
    assert arithmetic_intensity(2e9, 1e9) == pytest.approx(2.0)
    assert matmul_flops(1000) == 2_000_000_000
    with pytest.raises(ValueError):
        achieved_gflops(1.0, 0.0)


def test_roof_is_min_of_slope_and_peak():
    assert roof(1.0, 100.0, 10.0) == pytest.approx(10.0)     # memory slope
    assert roof(100.0, 100.0, 10.0) == pytest.approx(100.0)  # compute roof


def test_peak_summary_takes_best_size_and_ridge():
    rows = [{"measure": "matmul", "precision": "fp32", "size": 256, "gflops": 50.0},
            {"measure": "matmul", "precision": "fp32", "size": 512, "gflops": 80.0},
            {"measure": "copy", "precision": "fp32", "gbs": 20.0}]
    s = summarize(rows, key="median")
    assert s["matmul_fp32_gflops"] == 80.0 and s["matmul_fp32_size"] == 512
    assert s["matmul_bf16_gflops"] is None
    assert s["ridge_fp32_flop_per_byte"] == pytest.approx(4.0)
    rows[0]["gflops_best"], rows[1]["gflops_best"] = 120.0, 90.0
    best = summarize(rows)
    assert best["matmul_fp32_gflops"] == 120.0 and best["matmul_fp32_size"] == 256


def test_traffic_of_a_linear_layer_is_weights_input_output():
    model = nn.Sequential(nn.Linear(8, 4), nn.ReLU(inplace=True))
    t = traffic_bytes(model, torch.zeros(1, 8))
    assert t["param_bytes"] == (8 * 4 + 4) * 4
    assert t["input_bytes"] == 8 * 4
    assert t["activation_bytes"] == 4 * 4  # in-place ReLU returns the same storage: counted once


def test_traffic_counts_each_layer_output_once():
    t = model_traffic({"source": "mnist", "kind": "mlp", "model": {"hidden": [16, 16], "batchnorm": False}})
    # fc1, relu1, fc2, relu2 (16 floats each), fc_out (10 floats); flatten is a view of the input
    assert t["activation_bytes"] == (4 * 16 + 10) * 4


def _timings(lat1, lat64):
    return pd.DataFrame({"model": ["m", "m"], "batch_size": [1, 64], "macs_per_batch": [1e6, 64e6],
                         "latency_median_s": [lat1, lat64], "latency_p10_s": [lat1 * 0.9, lat64 * 0.9],
                         "latency_p90_s": [lat1 * 1.1, lat64 * 1.1], "latency_repeats": [30, 30]})


TRAFFIC = {"m": {"param_bytes": 4_000_000, "input_bytes": 1000, "activation_bytes": 3000}}


def test_analyse_columns_and_values():
    df = analyse(_timings(1e-3, 4e-3), TRAFFIC, PEAK)
    r1, r64 = df.iloc[0], df.iloc[1]
    assert r1.achieved_gflops == pytest.approx(2e6 / 1e-3 / 1e9)
    assert r64.achieved_gflops == pytest.approx(64 * 2e6 / 4e-3 / 1e9)
    assert r64.pct_of_peak_fp32 == pytest.approx(r64.achieved_gflops)  # peak is 100
    assert r1.bytes_per_batch == 4_000_000 + 4000
    assert r64.arithmetic_intensity_flop_per_byte > r1.arithmetic_intensity_flop_per_byte
    assert r1.achieved_gflops_p10 < r1.achieved_gflops < r1.achieved_gflops_p90
    assert r1.bound == "memory" and r1.ridge_flop_per_byte == pytest.approx(10.0)
    # roofline time at batch 1 is memory: 4.004e6 B / 10 GB/s = 0.4 ms; latency 1 ms -> 2.5x
    assert r1.latency_over_roofline_time == pytest.approx(1e-3 / (4_004_000 / 10e9))


def test_plot_writes_a_file(tmp_path):
    df = analyse(_timings(1e-3, 4e-3), TRAFFIC, PEAK)
    out = tmp_path / "roofline.svg"
    plot(df, PEAK, [str(out)])
    assert out.stat().st_size > 1000 and math.isfinite(df.achieved_gflops.sum())


def test_each_figure_is_compared_with_the_ceiling_of_its_own_thread_count(tmp_path):
    """MNIST figures on 1 thread, Part 3's on 2: a 2-thread figure against a 1-thread roof would read >100 %."""
    two = {**PEAK, "matmul_fp32_gflops": 200.0, "compute_fp32_gflops": 200.0, "copy_gbs": 20.0}
    t = _timings(1e-3, 4e-3).assign(threads=[1, 2])
    df = analyse(t, TRAFFIC, PEAK, {"1": PEAK, "2": two})
    assert list(df["peak_fp32_gflops"]) == [100.0, 200.0] and list(df["peak_threads"]) == [1, 2]
    assert df.iloc[1].pct_of_peak_fp32 == pytest.approx(df.iloc[1].achieved_gflops / 2)
    assert df.iloc[1].ridge_flop_per_byte == pytest.approx(10.0)
    # a thread count the peak job did not measure falls back on `peak`, and names the threads that one had
    df = analyse(t.assign(threads=[1, 4]), TRAFFIC, PEAK, {"1": PEAK})
    assert df.iloc[1].peak_fp32_gflops == 100.0 and df.iloc[1].peak_threads == 1
    out = tmp_path / "r.svg"
    plot(analyse(t, TRAFFIC, PEAK, {"1": PEAK, "2": two}), PEAK, [str(out)], peaks={"1": PEAK, "2": two})
    assert "2 threads: fp32" in out.read_text()
