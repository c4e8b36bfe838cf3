"""The quick build's MLPerf scenarios (issue 24): all four for both Part 3 networks, VALID, the kept LoadGen logs
say what the records say, and the report shows the scenario table and figure of each model."""

import json

import pandas as pd
import pytest

from mlalab.measure import loadgen
from mlalab.plan import scenarios


@pytest.fixture
def quick_build(built):
    return built / "results" / "quick"


def test_every_scenario_ran_valid_and_its_logs_match_its_record(quick_build):
    table = pd.read_csv(quick_build / "tables" / "part3_scenarios.csv")
    assert set(zip(table["model"], table["scenario"])) == {(m, s) for m in ("resnet18", "bert-base")
                                                           for s in scenarios.SCENARIOS}
    assert (table["status"] == "ok").all(), table[["model", "scenario", "error"]]
    assert (table["loadgen_validity"] == "VALID").all(), table[["model", "scenario", "loadgen_invalid_reason"]]
    assert (table["output_max_abs_error"] < 1e-3).all()
    for record_path in (quick_build / "part3" / "scenarios").glob("*/*/*.json"):
        record = json.loads(record_path.read_text())
        for run in record["runs"]:
            where = quick_build.parent.parent / run["loadgen_logs"]   # written relative to the working folder
            assert {p.name for p in where.iterdir()} >= set(loadgen.LOGS), where
            assert loadgen.summary_validity(where) == run["loadgen_validity"]
            assert loadgen.parse(where)["loadgen_p99_s"] == run["loadgen_p99_s"]
    runs = pd.read_csv(quick_build / "tables" / "part3_scenario_runs.csv")
    server = runs[runs["scenario"] == "server"]
    assert server.groupby("model")["server_target_qps"].nunique().min() >= 2   # every rate tried is a row


def test_the_report_shows_the_scenarios_of_both_models(quick_build):
    html = (quick_build / "report" / "report.html").read_text()
    assert 'id="part3-scenarios"' in html
    for model in ("resnet18", "bert-base"):
        assert f"{model}: each scenario's result under LoadGen" in html or \
            f"{model}: each scenario&#39;s result under LoadGen" in html
        assert f"{model}: Server latency percentiles against the offered rate" in html
