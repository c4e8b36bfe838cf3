"""MLPerf scenarios under the real LoadGen (issue 24): a stand-in system under test whose service time is known
(a sleep) checks what the parsed logs say against what that service time implies, with loose bounds (a sleep
lasts at least its length, so the floors are hard and the ceilings generous); the plan's refusals name the key."""

from __future__ import annotations

import copy
import re
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from mlalab.measure import loadgen
from mlalab.plan import checks, paths, scenarios, schema, targets
from mlalab.plan.config import expand
from mlalab.plan.schema import SCHEMA

FIXED_S, PER_SAMPLE_S, MAX_BATCH = 0.005, 0.001, 8
CAPACITY = MAX_BATCH / (FIXED_S + PER_SAMPLE_S * MAX_BATCH)    # samples/s at full batches: 615


def stand_in(indices: list[int]) -> np.ndarray:
    """A batch of n samples takes FIXED_S + n * PER_SAMPLE_S; sample i's output row is [i, 2i]."""
    time.sleep(FIXED_S + PER_SAMPLE_S * len(indices))
    return np.array([[i, 2 * i] for i in indices], dtype=np.float32)


def _summary(outdir: Path) -> dict[str, str]:
    return dict(re.findall(r"^(\S.*?)\s*:\s*(\S+)\s*$", (outdir / "mlperf_log_summary.txt").read_text(), flags=re.M))


def test_single_stream_p90_is_one_sample_service_time_and_matches_the_summary(tmp_path):
    rec = loadgen.run(stand_in, 16, "single_stream", {"min_duration_ms": 300, "min_query_count": 64}, tmp_path)
    one = FIXED_S + PER_SAMPLE_S
    assert rec["loadgen_validity"] == "VALID" and rec["loadgen_invalid_reason"] is None
    assert one <= rec["loadgen_p90_s"] < 10 * one
    assert rec["sut_largest_batch"] == 1 and rec["loadgen_queries"] >= 64
    summary = _summary(tmp_path)   # the kept log and the record say the same
    assert summary["Result is"] == rec["loadgen_validity"] == loadgen.summary_validity(tmp_path)
    assert int(summary["90.0th percentile latency (ns)"]) == round(rec["loadgen_p90_s"] * 1e9)
    assert {p.name for p in tmp_path.iterdir()} >= set(loadgen.LOGS)


def test_offline_throughput_is_full_batches_at_most(tmp_path):
    rec = loadgen.run(stand_in, 16, "offline", {"min_duration_ms": 300, "offline_expected_qps": CAPACITY},
                      tmp_path, max_batch=MAX_BATCH)
    assert rec["loadgen_validity"] == "VALID"
    assert CAPACITY / 4 < rec["loadgen_samples_per_s"] <= CAPACITY * 1.02   # a sleep is never shorter
    assert rec["sut_largest_batch"] == MAX_BATCH and rec["sut_mean_batch"] > MAX_BATCH / 2


def test_server_peak_lies_below_capacity_and_every_try_is_kept(tmp_path):
    # a bound of ~8 full batches: a loaded machine's late sleeps still fit at the low rates, while 1.25x capacity
    # over 500 queries queues ~0.16 s of backlog, past it
    bound = 0.1

    def at(qps):
        return loadgen.run(stand_in, 16, "server", {"min_duration_ms": 300, "min_query_count": 500,
                                                    "server_target_qps": qps,
                                                    "server_target_latency_ns": int(bound * 1e9)},
                           tmp_path / f"qps{qps:.1f}", max_batch=MAX_BATCH, window_s=0.002)

    runs = loadgen.server_search(at, CAPACITY, 4)
    assert [r["server_try"] for r in runs] == [0, 1, 2, 3]
    assert len({r["server_target_qps"] for r in runs}) == 4
    for r in runs:   # LoadGen's verdict: VALID only with p99 under the bound
        assert (r["loadgen_validity"] == "VALID") <= (r["loadgen_p99_s"] <= bound)
        assert r["loadgen_validity"] == "VALID" or r["loadgen_invalid_reason"]
    peak = loadgen.server_peak(runs)
    assert peak is not None
    assert CAPACITY / 16 < peak["server_target_qps"] < CAPACITY * 1.25
    assert max(r["sut_largest_batch"] for r in runs) > 1    # the SUT batched arrivals


def test_an_invalid_run_stays_a_record_with_loadgens_reason(tmp_path):
    rec = loadgen.run(stand_in, 16, "single_stream", {"min_duration_ms": 10, "min_query_count": 5}, tmp_path)
    assert rec["loadgen_validity"] == "INVALID"
    assert "early stopping" in rec["loadgen_invalid_reason"] and rec["loadgen_p90_s"] > 0


def test_accuracy_mode_logs_every_sample_output(tmp_path):
    rec = loadgen.run(stand_in, 12, "offline", {"min_duration_ms": 10}, tmp_path, max_batch=4, mode="accuracy")
    got = loadgen.accuracy_outputs(tmp_path)
    assert sorted(got) == list(range(12)) and rec["loadgen_mode"] == "accuracy"
    for i, row in got.items():
        assert row.tolist() == [i, 2 * i]


def test_server_search_bisects_on_loadgens_verdict():
    capacity = 100.0
    fake = lambda qps: {"loadgen_validity": "VALID" if qps <= 70 else "INVALID", "server_target_qps": qps}  # noqa: E731
    runs = loadgen.server_search(fake, capacity, 6)
    assert [r["server_target_qps"] for r in runs][:3] == [100.0, 50.0, 75.0]
    assert 62.5 <= loadgen.server_peak(runs)["server_target_qps"] <= 70
    rising = loadgen.server_search(lambda q: {"loadgen_validity": "VALID", "server_target_qps": q}, 10.0, 3)
    assert [r["server_target_qps"] for r in rising] == [10.0, 20.0, 40.0]


# --- plan -------------------------------------------------------------------------------------------------------
ROOT = SCHEMA.parents[2]
BASE = yaml.safe_load((ROOT / "config.yaml").read_text())


def _merged(*overlays: str) -> dict:
    cfg = copy.deepcopy(BASE)
    for name in overlays:
        _update(cfg, yaml.safe_load((ROOT / name).read_text()))
    return cfg


def _update(base: dict, new: dict) -> None:
    for k, v in new.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            _update(base[k], v)
        else:
            base[k] = v


def _refusals(cfg: dict) -> list[str]:
    if found := schema.errors(cfg):
        return found
    cfg = schema.validate(copy.deepcopy(cfg))
    return checks.errors(cfg, expand(cfg))


def test_default_build_runs_no_scenario_the_overlay_and_quick_run_all_four():
    base = schema.validate(copy.deepcopy(BASE))
    assert scenarios.points(base) == [] and targets.scenario_tables(base) == {}
    for overlay in ("config.mlperf.yaml", "config.quick.yaml"):
        cfg = _merged(overlay)
        assert _refusals(cfg) == []
        schema.validate(cfg)
        pts = scenarios.points(cfg)
        assert {(m, sc) for m, _, sc in pts} == {(m, sc) for m in ("resnet18", "bert-base") for sc in scenarios.SCENARIOS}
        r = cfg["results"].rstrip("/")
        assert paths.scenario_record(cfg, *pts[0]).startswith(f"{r}/part3/scenarios/")
        assert set(targets.scenario_tables(cfg)) == {"part3_scenarios", "part3_scenario_runs"}
        assert set(targets.scenario_figures(cfg)) == {"part3_scenarios_resnet18", "part3_scenarios_bert-base"}


def test_each_scenario_job_gets_its_loadgen_and_sut_settings():
    cfg = schema.validate(_merged("config.quick.yaml"))
    ss = scenarios.job(cfg, "resnet18", "eager", "single_stream")
    assert ss["max_batch"] == 1 and ss["batch_window_s"] == 0 and ss["loadgen"]["min_query_count"] == 64
    ms = scenarios.job(cfg, "resnet18", "eager", "multi_stream")
    assert ms["loadgen"]["multi_stream_samples_per_query"] == ms["max_batch"] == cfg["part3"]["scenarios"]["multi_stream_samples"]
    assert ms["loadgen"]["multi_stream_target_latency_percentile"] == 0.9
    server = scenarios.job(cfg, "bert-base", "eager", "server")
    assert server["latency_bound_s"] == cfg["part3"]["scenarios"]["server_latency_ms"]["bert-base"] / 1000
    assert server["batch_window_s"] > 0 and server["tries"] == cfg["part3"]["scenarios"]["server_tries"]
    assert set(ss["loadgen"]) <= set(loadgen.SETTINGS)


@pytest.mark.parametrize("change, key", [
    ({"colour": 1}, "part3.scenarios"),                                   # unknown key
    ({"run": ["datacenter"]}, "part3.scenarios.run.0"),                   # unknown scenario
    ({"max_batch": 0}, "part3.scenarios.max_batch"),                      # impossible value
    ({"batch_window_ms": -1}, "part3.scenarios.batch_window_ms"),
    ({"min_queries": {"server": 0}}, "part3.scenarios.min_queries.server"),
    ({"server_latency_ms": {"resnet18": 50}}, "part3.scenarios.server_latency_ms.bert-base"),   # bound missing
    ({"server_latency_ms": {"resnet18": 50, "bert-base": 50, "gpt": 9}}, "part3.scenarios.server_latency_ms.gpt"),
    ({"models": ["resnet50"]}, "part3.scenarios.models[0]"),
    ({"samples": 2}, "part3.scenarios.samples"),                          # fewer than a MultiStream query
])
def test_bad_scenario_settings_are_refused_naming_the_key(change, key):
    cfg = _merged("config.quick.yaml")
    cfg["part3"]["scenarios"].update(change)
    found = _refusals(cfg)
    assert any(key in line for line in found), found


# --- report facts -------------------------------------------------------------------------------------------------
def _scenario_frames(server_valid: bool):
    import pandas as pd

    base = {"model": "resnet18", "runtime_label": "eager", "status": "ok", "loadgen_p50_s": 0.01,
            "loadgen_p90_s": 0.012, "loadgen_p99_s": 0.02, "loadgen_queries": 64, "sut_max_batch": 8,
            "sut_mean_batch": 1.0, "sut_largest_batch": 1, "sut_batch_window_s": 0.0, "latency_bound_s": None,
            "latency_target_percentile": 0.9, "loadgen_validity": "VALID", "loadgen_invalid_reason": None,
            "output_max_abs_error": 1e-6, "loadgen_early_stopping_s": 0.013, "loadgen_samples_per_query": 1,
            "server_tries": None}
    rows = [{**base, "scenario": "single_stream", "scenario_latency_s": 0.012, "scenario_throughput_per_s": 90.0},
            {**base, "scenario": "offline", "scenario_latency_s": None, "scenario_throughput_per_s": 300.0,
             "sut_mean_batch": 7.5},
            {**base, "scenario": "server", "scenario_latency_s": 0.03 if server_valid else 0.5,
             "scenario_throughput_per_s": 200.0 if server_valid else None, "latency_bound_s": 0.05,
             "latency_target_percentile": 0.99, "sut_mean_batch": 3.0, "sut_largest_batch": 8, "server_tries": 2,
             "loadgen_validity": "VALID" if server_valid else "INVALID",
             "loadgen_invalid_reason": None if server_valid else "no offered rate of 2 tried was VALID"}]
    runs = pd.DataFrame([{"model": "resnet18", "runtime_label": "eager", "scenario": "server",
                          "loadgen_validity": v} for v in (["VALID", "INVALID"] if server_valid else ["INVALID"] * 2)])
    return {"scenarios": pd.DataFrame(rows), "scenario_runs": runs,
            "resnet18_q1": pd.DataFrame([{"batch_size": 8, "ratio_one_at_a_time_over_batch": 2.5}])}


def test_scenario_facts_follow_the_data():
    from mlalab.report.facts.scenarios import scenario_facts

    good = scenario_facts(_scenario_frames(True))
    f = good["models"][0]["runtimes"][0]
    assert f["single_stream"]["latency"] == 0.012 and f["offline"]["throughput"] == 300.0
    assert f["offline_over_single"] == pytest.approx(300.0 * 0.01)
    assert f["server"]["valid"] and f["server"]["peak"] == 200.0 and f["server"]["valid_tries"] == 1
    assert good["q1"] == {"images": 8, "ratio": 2.5}
    bad = scenario_facts(_scenario_frames(False))["models"][0]["runtimes"][0]["server"]
    assert not bad["valid"] and bad["valid_tries"] == 0 and "no offered rate" in bad["reason"]
