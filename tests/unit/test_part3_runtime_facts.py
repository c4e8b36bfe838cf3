"""The Part 3 runtime sentence (issue 12) comes from the data: the fastest runtime per batch flips when the
latencies flip, and 'beyond timing noise' follows the medians' 95 % CIs (noise.medians_differ)."""

from __future__ import annotations

import pandas as pd

from mlalab.report.facts.part3 import runtime_facts
from mlalab.stages.part3_models import runtimes


def _record(model, runtime, batch, median, half_ci, status="ok", **extra):
    r = {"model": model, "runtime": runtime, "precision": "fp32", "batch_size": batch, "status": status}
    if status == "ok":
        r.update(latency_median_s=median, latency_ci95_low_s=median - half_ci, latency_ci95_high_s=median + half_ci,
                 output_max_abs_error=0.0 if runtime == "eager" else 2e-6,
                 output_max_rel_error=0.0 if runtime == "eager" else 1e-6)
    r.update(extra)
    return r


def _facts(records):
    return runtime_facts(runtimes(records))


def test_fastest_runtime_per_batch_and_the_noise_verdict_follow_the_data():
    f = _facts([_record("m", "eager", 1, 0.010, 0.0005), _record("m", "onnxruntime", 1, 0.005, 0.0005),
                _record("m", "eager", 4, 0.020, 0.004), _record("m", "onnxruntime", 4, 0.021, 0.004)])[0]
    b1, b4 = f["per_batch"]
    assert (b1["batch"], b1["fastest"], b1["runner_up"], b1["beyond_noise"]) == (1, "onnxruntime", "eager", True)
    assert b1["ratio"] == 2.0
    assert (b4["batch"], b4["fastest"], b4["beyond_noise"]) == (4, "eager", False)
    assert f["max_abs_error"]["onnxruntime"] == 2e-6 and f["max_rel_error"]["onnxruntime"] == 1e-6
    flipped = _facts([_record("m", "eager", 1, 0.005, 0.0005), _record("m", "onnxruntime", 1, 0.010, 0.0005)])
    assert flipped[0]["per_batch"][0]["fastest"] == "eager"


def test_a_failed_runtime_is_named_with_its_reason_and_left_out_of_the_ranking():
    f = _facts([_record("m", "eager", 1, 0.01, 0.001),
                _record("m", "compile", 1, None, None, status="failed", error="InductorError: no compiler")])[0]
    assert f["per_batch"][0]["alone"] and f["per_batch"][0]["fastest"] == "eager"
    assert f["failed"] == [{"runtime": "compile", "batch": 1, "error": "InductorError: no compiler"}]
    assert f["runtimes"] == ["eager", "compile"]


def test_without_a_confidence_interval_the_gap_is_not_tested():
    rows = runtimes([_record("m", "eager", 1, 0.01, 0.001), _record("m", "onnxruntime", 1, 0.02, 0.001)])
    rows.loc[:, ["latency_ci95_low_s", "latency_ci95_high_s"]] = float("nan")
    assert runtime_facts(pd.DataFrame(rows))[0]["per_batch"][0]["beyond_noise"] is None
