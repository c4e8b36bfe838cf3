import pytest
import torch

from mlalab.plan import schema
from mlalab.stages import peak

CPU = torch.device("cpu")


def test_measure_peak_rows_and_arithmetic(monkeypatch):
    monkeypatch.setattr(peak, "bf16_supported", lambda device: False)  # tf32: CUDA only, skipped on the CPU
    res = peak.measure_peak({**schema.defaults("peak"), "matmul_sizes": [16, 32], "copy_mib": 1, "warmup": 0,
                             "repeats": 2}, CPU, log=lambda s: None)
    rows = res["rows"]
    assert [(r["measure"], r["precision"], r["size"]) for r in rows] == [
        ("matmul", "fp32", 16), ("matmul", "fp32", 32), ("copy", "fp32", 2 ** 20 // 4)]
    mm = rows[1]
    assert mm["flops"] == 2 * 32 ** 3
    assert mm["gflops"] == pytest.approx(2 * 32 ** 3 / mm["latency_median_s"] / 1e9)
    assert mm["gflops_p10"] <= mm["gflops"] <= mm["gflops_p90"]
    cp = rows[2]
    assert cp["bytes"] == 2 * 2 ** 20  # read + write
    assert cp["gbs"] == pytest.approx(2 * 2 ** 20 / cp["latency_median_s"] / 1e9)
    assert mm["gflops_best"] >= mm["gflops_p90"]
    # the ceiling: the fastest repeat of the best size (a slowed-down call does not lower the roof)
    assert res["peak"]["matmul_fp32_gflops"] == max(r["gflops_best"] for r in rows[:2])
    assert res["peak"]["copy_gbs"] == cp["gbs_best"] and cp["gbs_best"] >= cp["gbs"]
    assert res["peak"]["ceiling_from"] == "fastest repeat"
    assert res["peak"]["matmul_bf16_gflops"] is None
    assert res["skipped"] == ["tf32: not supported on this cpu", "bf16: not supported on this cpu"]
    assert res["peak"]["matmul_tf32_gflops"] is None
    assert all(r["latency_repeats"] == 2 and r["threads"] >= 1 for r in rows)


def test_bf16_rows_when_supported(monkeypatch):
    monkeypatch.setattr(peak, "bf16_supported", lambda device: True)
    res = peak.measure_peak({"matmul_sizes": [16], "copy_mib": 1, "warmup": 0, "repeats": 1, "dtypes": ["bf16"]},
                            CPU, log=lambda s: None)
    assert [r["precision"] for r in res["rows"] if r["measure"] == "matmul"] == ["bf16"]
    assert res["peak"]["matmul_fp32_gflops"] is None and res["peak"]["matmul_bf16_gflops"] > 0


def test_every_thread_count_gets_its_ceilings(monkeypatch):
    monkeypatch.setattr(peak, "bf16_supported", lambda device: False)
    before = torch.get_num_threads()
    res = peak.measure_peaks({"matmul_sizes": [16], "copy_mib": 1, "warmup": 0, "repeats": 1, "dtypes": ["fp32"]},
                             CPU, [2, 1, 2], log=lambda s: None)
    assert res["thread_counts"] == [1, 2] and sorted(res["peaks"]) == ["1", "2"]
    assert [r["threads"] for r in res["rows"]] == [1, 1, 2, 2] and res["environment"]["threads"] == 1
    assert res["peak"] == res["peaks"]["1"] and torch.get_num_threads() == before
    assert peak.ceiling_for(res, 2) is res["peaks"]["2"] and peak.ceiling_for(res, 8) is res["peak"]
    assert peak.ceiling_for({"peak": {"a": 1}}, 2) == {"a": 1}     # a record from before `peaks`
