"""Answers follow the data: rendered from synthetic tables, and reversing the data reverses the sentence."""

import math

import pandas as pd
import pytest

from mlalab import answers
from mlalab.render import render_answer


def batch_table(train=(50.0, 5.0, 3.0), acc=(0.92, 0.915, 0.90), std=0.001, lat=(0.001, 0.002, 0.004)):
    return pd.DataFrame({
        "batch_size": [1, 64, 128], "n_seeds": 3,
        "train_time_s_mean": train, "train_time_s_std": [0.1] * 3,
        "accuracy_mean": acc, "accuracy_std": [std] * 3,
        "latency_median_s": lat, "latency_p10_s": [x * 0.95 for x in lat], "latency_p90_s": [x * 1.05 for x in lat],
        "throughput_per_s": [b / x for b, x in zip([1, 64, 128], lat)], "test_set_time_s": [3.0, 0.4, 0.3],
        "params_total": 335114, "macs_per_sample_thop": 334336, "macs_per_batch": [334336 * b for b in (1, 64, 128)],
        "input_dtype": "float32", "weight_dtypes": "float32", "output_dtype": "float32", "status": "ok",
    })


def reverse(frame: pd.DataFrame, col: str) -> pd.DataFrame:
    out = frame.copy()
    out[col] = list(frame[col])[::-1]
    return out


@pytest.mark.parametrize("key,col", [("train_time", "train_time_s_mean"), ("accuracy", "accuracy_mean")])
def test_reversing_data_reverses_sentence(key, col):
    t = batch_table()
    f = answers.batch_facts(t)[key]
    r = answers.batch_facts(reverse(t, col))[key]
    assert {f["direction"], r["direction"]} == {"increases", "decreases"}
    s, rs = render_answer(f), render_answer(r)
    assert ("decreases" in s) == ("increases" in rs)
    assert s != rs
    # the numbers in the sentence come from the table
    assert ("50.0 s" in s) if key == "train_time" else ("92.00 %" in s)


def test_train_time_sentence_numbers_and_best():
    s = render_answer(answers.batch_facts(batch_table())["train_time"])
    assert "decreases with batch size" in s
    assert "50.0 s at batch size 1" in s and "3.00 s at batch size 128" in s
    assert "fastest to train is batch size 128" in s


def test_within_spread_is_said():
    t = batch_table(acc=(0.9000, 0.9005, 0.9010), std=0.01)
    s = render_answer(answers.batch_facts(t)["accuracy"])
    assert "increases" in s and "within the measured spread" in s
    t = batch_table(acc=(0.80, 0.85, 0.90), std=0.001)
    assert "within the measured spread" not in render_answer(answers.batch_facts(t)["accuracy"])


def test_single_seed_says_no_spread():
    t = batch_table().assign(n_seeds=1, accuracy_std=math.nan)
    s = render_answer(answers.batch_facts(t)["accuracy"])
    assert "No spread was measured" in s


def test_latency_overlap_is_within_spread():
    t = batch_table(lat=(0.0010, 0.00101, 0.00102))
    f = answers.batch_facts(t)["latency"]
    assert f["within_spread"] is True
    assert "p10–p90" in render_answer(f)


def test_unchanged_and_mixed():
    t = batch_table()
    assert "does not change" in render_answer(answers.batch_facts(t)["params"])
    m = answers.batch_facts(batch_table(acc=(0.90, 0.95, 0.91)))["accuracy"]
    assert m["direction"] == "mixed"
    s = render_answer(m)
    assert "lowest" in s and "highest" in s and "batch size 64" in s


def test_variant_order_follows_config_and_best_flips():
    t = pd.DataFrame({"label": ["small", "mid", "big"], "n_seeds": 2, "accuracy_mean": [0.90, 0.93, 0.96],
                      "accuracy_std": [0.001] * 3, "params_total": [1e5, 3e5, 3e6], "status": "ok"})
    f = answers.variant_facts(t, ["small", "mid", "big"])["accuracy"]
    assert f["direction"] == "increases" and f["best"]["x"] == "big"
    r = answers.variant_facts(reverse(t, "accuracy_mean"), ["small", "mid", "big"])["accuracy"]
    assert r["direction"] == "decreases" and r["best"]["x"] == "small"
    assert "most accurate is variant big" in render_answer(f)
    assert "most accurate is variant small" in render_answer(r)


def test_failed_rows_are_left_out_of_answers():
    t = batch_table()
    t.loc[2, "status"] = "failed"
    t.loc[2, ["train_time_s_mean", "accuracy_mean"]] = math.nan
    f = answers.batch_facts(answers.ok_rows(t))["train_time"]
    assert [p["x"] for p in f["points"]] == [1, 64]


def test_precision_and_memory_facts():
    p = answers.precision_fact({"input_dtype": "float32", "weight_dtypes": "float32", "output_dtype": "float32"})
    assert p["uniform"] and p["weight_kinds"] == ["float32"]
    assert "float32" in render_answer(p, "precision")
    layers = pd.DataFrame({"name": ["fc1", "fc2", "total"], "param_bytes": [800, 200, 1000],
                           "act_bytes_b1": [10, 10, 20], "act_bytes_b128": [1280, 1280, 2560]})
    m = answers.layer_facts(layers, [1, 128])
    assert [b["dominant"] for b in m["batches"]] == ["weights", "activations"] and m["crossover"] == 128
    assert "from batch 128 on activations dominate" in render_answer(m, "memory")


def test_validation_gap_direction():
    tables = {"e": pd.DataFrame({"model": ["a", "b"], "label": ["a", "b"], "kind": "mlp", "status": "ok",
                                 "macs_per_sample_thop": [110, 100], "macs_per_sample_aten": [100, 100],
                                 "macs_per_sample_analytic": [100, 100]})}
    rows = answers.validation_rows(tables, {"experiments": {"e": {}}})
    assert rows[0]["thop_above"] and not rows[0]["agree"]
    assert rows[1]["agree"]
