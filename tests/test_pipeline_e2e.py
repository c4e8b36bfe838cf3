"""The quick configuration end to end: every table built from real MNIST, and a rerun has nothing to do."""

import pandas as pd
import pytest
import smk
import yaml

from tests.conftest import ROOT

pytestmark = pytest.mark.e2e
built = smk.built_fixture()  # one quick build per test session, shared with the incremental/failure tests


@pytest.fixture
def quick_build(built):
    return built / "results" / "quick"

PARAMS = {
    "part1a": {"256x3": 335_114},
    "part1b": {"128x3": 134_794, "256x3": 335_114, "1024x3": 2_913_290},
    "part1c": {"2 hidden": 270_346, "3 hidden": 336_650, "4 hidden": 402_954},
    "part2a": {"3x3": 421_642},
    "part2b": {"3x3": 421_642, "5x5": 454_922, "7x7": 504_842},
    "part2c": {"1 conv": 805_066, "2 conv": 454_922, "4 conv": 1_110_666},
}


def test_every_experiment_table(quick_build):
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    for name, exp in config["experiments"].items():
        table = pd.read_csv(quick_build / "tables" / f"{name}.csv")
        assert (table["status"] == "ok").all(), table[["label", "error"]]
        assert sorted(table["batch_size"].unique()) == sorted(exp["batch_sizes"])
        assert dict(zip(table["label"], table["params_total"])) == PARAMS[name]
        assert (table["macs_per_sample_aten"] == table["macs_per_sample_analytic"]).all()
        assert (table["macs_per_batch"] == table["macs_per_sample_analytic"] * table["batch_size"]).all()
        assert (table["latency_p10_s"] <= table["latency_median_s"]).all()
        assert (table["latency_median_s"] <= table["latency_p90_s"]).all()
        assert table["accuracy_mean"].between(0, 1).all() and (table["train_time_s_mean"] > 0).all()
        layers = pd.read_csv(quick_build / "tables" / f"{name}_layers.csv")
        totals = layers[layers["name"] == "total"].set_index("label")["params"].to_dict()
        assert totals == PARAMS[name]


def test_quick_run_trains_on_the_subset(quick_build):
    import json

    metrics = next((quick_build / "runs").glob("mlp-h256x3-bs64-*/metrics.json"))
    record = json.loads(metrics.read_text())
    assert record["train_samples"] == 2000 and record["test_samples"] == 1000
    assert record["threads"] >= 1 and record["environment"]["device"] == "cpu"
