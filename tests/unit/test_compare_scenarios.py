"""The MLPerf scenario section of the comparison (mlalab.report.compare_scenarios) on small hand-made
part3_scenarios / part3_scenario_runs tables; nothing is built."""

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from mlalab.report import compare as cmp
from mlalab.report.compare_scenarios import ABSENT, NO_INTERVAL, scenario_section


def scenario_rows(latency_ss: float, offline: float, peak: float | None, validity_ms: str = "VALID") -> list[dict]:
    base = {"model": "resnet18", "runtime_label": "eager", "image_size": 64, "seq_len": None, "status": "ok"}
    return [
        {**base, "scenario": "single_stream", "scenario_latency_s": latency_ss, "loadgen_validity": "VALID",
         "latency_target_percentile": 0.9},
        {**base, "scenario": "multi_stream", "scenario_latency_s": 2 * latency_ss, "loadgen_validity": validity_ms,
         "loadgen_invalid_reason": None if validity_ms == "VALID" else "early stopping not satisfied",
         "latency_target_percentile": 0.99},
        {**base, "scenario": "offline", "scenario_throughput_per_s": offline, "loadgen_validity": "VALID"},
        {**base, "scenario": "server", "scenario_throughput_per_s": peak, "latency_bound_s": 0.25,
         "loadgen_validity": "VALID" if peak else "INVALID", "latency_target_percentile": 0.99,
         "loadgen_invalid_reason": None if peak else "no offered rate of 2 tried was VALID"},
    ]


def tries(rates: list[tuple[float, str]]) -> pd.DataFrame:
    return pd.DataFrame([{"model": "resnet18", "runtime_label": "eager", "scenario": "server",
                          "server_target_qps": q, "loadgen_validity": v, "server_try": i}
                         for i, (q, v) in enumerate(rates)])


def folder(root: Path, name: str, rows: list[dict] | None, runs: pd.DataFrame | None = None) -> str:
    path = root / name
    (path / "tables").mkdir(parents=True)
    (path / "machine.json").write_text(json.dumps({"description": f"cpu {name}", "device": "cpu", "device_name": name,
                                                   "threads": 2, "torch": "2", "python": "3.11", "measured_on": [],
                                                   "config_sha256": name}))
    if rows is not None:
        pd.DataFrame(rows).to_csv(path / "tables" / "part3_scenarios.csv", index=False)
    if runs is not None:
        runs.to_csv(path / "tables" / "part3_scenario_runs.csv", index=False)
    return str(path)


def by_scenario(sec: dict) -> dict:
    return {r["key"]["scenario"]: r for r in sec["rows"]}


def test_headline_ratios_and_the_servers_bracket(tmp_path):
    """b: SingleStream twice as fast, Offline 3x the rate, Server peak 2x with brackets apart; c: Server peak
    inside a's bracket, MultiStream INVALID, no INVALID rate above its peak."""
    a = folder(tmp_path, "a", scenario_rows(0.04, 70.0, 100.0), tries([(100, "VALID"), (200, "INVALID"), (150, "INVALID")]))
    b = folder(tmp_path, "b", scenario_rows(0.02, 210.0, 200.0), tries([(200, "VALID"), (400, "INVALID"), (300, "INVALID")]))
    c = folder(tmp_path, "c", scenario_rows(0.04, 70.0, 120.0, validity_ms="INVALID"), tries([(60, "VALID"), (120, "VALID")]))
    sec = scenario_section(cmp.load_folders([a, b, c]))
    rows = by_scenario(sec)
    assert [r["key"] for r in sec["rows"]][0] == {"model": "resnet18", "runtime": "eager", "input_size": 64,
                                                 "scenario": "single_stream"}
    ss, ms, off, sv = (rows[s]["pairs"] for s in ("single_stream", "multi_stream", "offline", "server"))
    assert ss[0] == {"ratio": pytest.approx(2.0), "differs": None, "note": NO_INTERVAL}     # latency: first / other
    assert off[0]["ratio"] == pytest.approx(3.0) and off[0]["note"] == NO_INTERVAL          # rate: other / first
    assert rows["server"]["cells"][0]["bracket"] == (100.0, 150.0)
    assert sv[0] == {"ratio": pytest.approx(2.0), "differs": True, "note": None}           # [100,150] vs [200,300]
    assert sv[1]["ratio"] == pytest.approx(1.2) and sv[1]["differs"] is None                # c: only a lower bound
    assert sv[1]["note"].startswith("no INVALID rate tried above a peak")
    assert ms[1]["ratio"] == pytest.approx(1.0) and ms[1]["note"] == "an INVALID run: not judged"
    assert rows["multi_stream"]["cells"][2]["validity"] == "INVALID"
    assert sec["absent"] == [] and sec["left_out"] == []


def test_overlapping_brackets_are_within_and_no_valid_rate_is_said(tmp_path):
    a = folder(tmp_path, "a", scenario_rows(0.04, 70.0, 100.0), tries([(100, "VALID"), (200, "INVALID")]))
    b = folder(tmp_path, "b", scenario_rows(0.04, 70.0, 120.0), tries([(120, "VALID"), (240, "INVALID")]))
    c = folder(tmp_path, "c", scenario_rows(0.04, 70.0, None), tries([(50, "INVALID"), (25, "INVALID")]))
    rows = by_scenario(scenario_section(cmp.load_folders([a, b, c])))
    assert rows["server"]["pairs"][0]["differs"] is False                                   # [100,200] vs [120,240]
    assert rows["server"]["cells"][2]["no_valid_rate"] is True
    assert rows["server"]["pairs"][1] == {"ratio": None, "differs": None, "note": "no valid rate"}


def test_other_percentiles_or_bounds_are_not_compared(tmp_path):
    other = scenario_rows(0.02, 70.0, 100.0)
    other[0]["latency_target_percentile"] = 0.99
    other[3]["latency_bound_s"] = 0.5
    rows = by_scenario(scenario_section(cmp.load_folders([folder(tmp_path, "a", scenario_rows(0.04, 70.0, 100.0)),
                                                          folder(tmp_path, "b", other)])))
    assert rows["single_stream"]["pairs"][0] == {"ratio": None, "differs": None, "note": "judged at other percentiles"}
    assert rows["server"]["pairs"][0]["note"] == "under other latency bounds"


def test_no_section_without_scenarios_and_the_folder_that_lacks_them_is_named(tmp_path):
    a, b = folder(tmp_path, "a", None), folder(tmp_path, "b", None)
    assert scenario_section(cmp.load_folders([a, b])) is None
    c = folder(tmp_path, "c", scenario_rows(0.04, 70.0, 100.0)[:2])
    d = folder(tmp_path, "d", scenario_rows(0.04, 70.0, 100.0))
    sec = scenario_section(cmp.load_folders([a, c, d]))
    assert sec["absent"] == [{"folder": 0, "reason": ABSENT}]
    assert [r["key"]["scenario"] for r in sec["left_out"]] == ["offline", "server"]        # c lacks them, d has them
    assert all(p["ratio"] is None for r in sec["rows"] for p in r["pairs"])                 # no first folder's figure


def render(tmp_path, paths) -> str:
    out = tmp_path / "out"
    outputs = type("Out", (), {k: str(out / f"{k}.{ext}") for k, ext in
                               (("html", "html"), ("pdf", "pdf"), ("throughput", "svg"), ("speedup", "svg"))})
    cmp.compare_folders(outputs, paths, log=lambda m: None)
    return Path(outputs.html).read_text()


def test_the_report_shows_the_section_only_when_a_folder_has_scenarios(tmp_path):
    a = folder(tmp_path, "a", scenario_rows(0.04, 70.0, 100.0), tries([(100, "VALID"), (200, "INVALID")]))
    b = folder(tmp_path, "b", scenario_rows(0.02, 140.0, None), tries([(50, "INVALID")]))
    c = folder(tmp_path, "c", None)
    page = render(tmp_path, [a, b, c])
    body = re.search(r'<table [^>]*data-section="scenarios">(.*?)</table>', page, re.S).group(1)
    ss = re.search(r'<tr data-key="resnet18\|eager\|64\|single_stream"[^>]*>(.*?)</tr>', body, re.S).group(1)
    assert 'data-folder="0" data-col="value" data-value="0.04"' in ss and 'data-pair="1" data-col="ratio" data-value="2.0"' in ss
    assert 'data-folder="2" data-col="value" data-value="missing"' in ss
    assert 'data-value="no valid rate">no valid rate</td>' in body and "latency at p90" in body
    assert f"cpu c · c: {ABSENT}" in page                                                     # which folder lacks them
    assert 'data-section="scenarios"' not in render(tmp_path / "none", [folder(tmp_path, "x", None),
                                                                          folder(tmp_path, "y", None)])
