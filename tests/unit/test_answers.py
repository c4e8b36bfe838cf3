"""Answers follow the data: rendered from synthetic tables, and reversing the data reverses the sentence."""

import math

import pandas as pd
import pytest
from report_fixture import render_answer

from mlalab.report.facts import efficiency, mnist, part3, validation
from mlalab.report.facts.common import ok_rows


def batch_table(train=(50.0, 5.0, 3.0), acc=(0.92, 0.915, 0.90), std=0.001, lat=(0.001, 0.002, 0.004)):
    return pd.DataFrame({
        "batch_size": [1, 64, 128], "n_seeds": 3,
        "train_time_s_mean": train, "train_time_s_std": [0.1] * 3,
        "accuracy_mean": acc, "accuracy_std": [std] * 3,
        "latency_median_s": lat, "latency_p10_s": [x * 0.95 for x in lat], "latency_p90_s": [x * 1.05 for x in lat],
        "latency_ci95_low_s": [x * 0.97 for x in lat], "latency_ci95_high_s": [x * 1.03 for x in lat],
        "throughput_per_s": [b / x for b, x in zip([1, 64, 128], lat)],
        "throughput_p10_per_s": [b / (x * 1.05) for b, x in zip([1, 64, 128], lat)],
        "throughput_p90_per_s": [b / (x * 0.95) for b, x in zip([1, 64, 128], lat)], "test_set_time_s": [3.0, 0.4, 0.3],
        "params_total": 335114, "macs_per_sample_analytic": 334336, "macs_per_batch": [334336 * b for b in (1, 64, 128)],
        "input_dtype": "float32", "weight_dtypes": "float32", "output_dtype": "float32", "status": "ok",
    })


def reverse(frame: pd.DataFrame, col: str) -> pd.DataFrame:
    out = frame.copy()
    out[col] = list(frame[col])[::-1]
    return out


@pytest.mark.parametrize("key,col", [("train_time", "train_time_s_mean"), ("accuracy", "accuracy_mean")])
def test_reversing_data_reverses_sentence(key, col):
    t = batch_table()
    f = mnist.batch_facts(t)[key]
    r = mnist.batch_facts(reverse(t, col))[key]
    assert {f["direction"], r["direction"]} == {"increases", "decreases"}
    s, rs = render_answer(f), render_answer(r)
    assert ("decreases" in s) == ("increases" in rs)
    assert s != rs
    # the numbers in the sentence come from the table
    assert ("50.0 s" in s) if key == "train_time" else ("92.00 %" in s)


def test_train_time_sentence_numbers_and_best():
    s = render_answer(mnist.batch_facts(batch_table())["train_time"])
    assert "decreases with batch size" in s
    assert "50.0 s at batch size 1" in s and "3.00 s at batch size 128" in s
    assert "fastest to train is 128" in s


def test_training_time_is_ranked_only_beyond_noise():
    """The fastest to train is named only when its lead passes the noise rule (mlalab.report.noise): a lead
    within the seed spread is 'indistinguishable', and one seed (no spread) ranks nothing (issue 23)."""
    clear = render_answer(mnist.batch_facts(batch_table(train=(50.0, 2.29, 2.23)).assign(
        train_time_s_std=0.01))["train_time"])
    assert "fastest to train is 128" in clear and "indistinguishable" not in clear
    close = render_answer(mnist.batch_facts(batch_table(train=(50.0, 2.29, 2.23)).assign(
        train_time_s_std=0.2))["train_time"])
    assert "fastest to train is" not in close
    assert "128 and 64 are indistinguishable (2.23 s against 2.29 s: the gap is within seed noise)" in close
    one = batch_table(train=(50.0, 2.29, 2.23)).assign(n_seeds=1, train_time_s_std=math.nan)
    f = mnist.batch_facts(one)["train_time"]
    assert f["best"] is None and "fastest" not in render_answer(f) and "decreases with batch size" in render_answer(f)
    v = pd.DataFrame({"label": ["2 hidden", "3 hidden", "4 hidden"], "n_seeds": 1, "batch_size": 64,
                      "train_time_s_mean": [2.29, 2.41, 2.23], "train_time_s_std": math.nan, "status": "ok",
                      "accuracy_mean": [0.90, 0.91, 0.92], "accuracy_std": math.nan, "params_total": [1e5, 2e5, 3e5]})
    assert "fastest" not in render_answer(mnist.variant_facts(v, list(v["label"]))["train_time"])


def test_within_spread_is_said():
    t = batch_table(acc=(0.9000, 0.9005, 0.9010), std=0.01)
    s = render_answer(mnist.batch_facts(t)["accuracy"])
    assert "increases" in s and "not distinguishable from seed noise" in s.lower()
    t = batch_table(acc=(0.80, 0.85, 0.90), std=0.001)
    assert "not distinguishable from seed noise" not in render_answer(mnist.batch_facts(t)["accuracy"])


def test_single_seed_says_no_spread():
    t = batch_table().assign(n_seeds=1, accuracy_std=math.nan)
    s = render_answer(mnist.batch_facts(t)["accuracy"])
    # the single-seed caveat is said once per report (Part 1's note), not in every answer
    assert "seed" not in s.lower() and "not distinguishable" not in s.lower()


def test_latency_overlap_is_within_spread():
    t = batch_table(lat=(0.0010, 0.00101, 0.00102))
    f = mnist.batch_facts(t)["latency"]
    assert f["within_spread"] is True
    assert "95 % confidence intervals of the medians overlap" in render_answer(f)
    no_ci = batch_table(lat=(0.0010, 0.00101, 0.00102)).drop(columns=["latency_ci95_low_s", "latency_ci95_high_s"])
    assert mnist.batch_facts(no_ci)["latency"]["within_spread"] is None    # too few calls: not tested


def test_unchanged_and_mixed():
    t = batch_table()
    assert "does not change" in render_answer(mnist.batch_facts(t)["params"])
    m = mnist.batch_facts(batch_table(acc=(0.90, 0.95, 0.91)))["accuracy"]
    assert m["direction"] == "mixed"
    s = render_answer(m)
    assert "lowest" in s and "highest" in s and "batch size 64" in s


def test_variant_order_follows_config_and_best_flips():
    t = pd.DataFrame({"label": ["small", "mid", "big"], "n_seeds": 2, "accuracy_mean": [0.90, 0.93, 0.96],
                      "accuracy_std": [0.001] * 3, "params_total": [1e5, 3e5, 3e6], "status": "ok",
                      "batch_size": 64})
    f = mnist.variant_facts(t, ["small", "mid", "big"])["accuracy"]
    assert f["direction"] == "increases" and f["best"]["x"] == "big"
    r = mnist.variant_facts(reverse(t, "accuracy_mean"), ["small", "mid", "big"])["accuracy"]
    assert r["direction"] == "decreases" and r["best"]["x"] == "small"
    assert "most accurate is big" in render_answer(f) and "for small to" in render_answer(f)
    assert "most accurate is small" in render_answer(r)


def test_failed_rows_are_left_out_of_answers():
    t = batch_table()
    t.loc[2, "status"] = "failed"
    t.loc[2, ["train_time_s_mean", "accuracy_mean"]] = math.nan
    f = mnist.batch_facts(ok_rows(t))["train_time"]
    assert [p["x"] for p in f["points"]] == [1, 64]


def test_precision_and_memory_facts():
    p = mnist.precision_fact({"input_dtype": "float32", "weight_dtypes": "float32", "output_dtype": "float32"})
    assert p["uniform"] and p["weight_kinds"] == ["float32"]
    assert "float32" in render_answer(p, "precision")
    layers = pd.DataFrame({"name": ["fc1", "fc2", "total"], "type": ["Linear", "Linear", ""],
                           "params": [200, 50, 250], "param_bytes": [800, 200, 1000], "weight_bytes": [784, 192, 976],
                           "bias_bytes": [16, 8, 24], "weight_shape": ["4x49", "12x4", ""],
                           "output_shape_b1": ["1x4", "1x12", ""],
                           "act_bytes_b1": [10, 10, 20], "act_bytes_b128": [1280, 1280, 2560]})
    m = mnist.layer_facts(layers, [1, 128])
    # activations are 20 B per sample: 50 x 20 = 1000 is not > 1000, 51 x 20 is: the crossover is batch 51
    assert [b["dominant"] for b in m["batches"]] == ["weights", "activations"] and m["crossover"] == 51
    s = render_answer(m, "memory")
    assert "Activations outgrow the weights from batch 51 on" in s and "b = 51" in s
    assert "fc1's weight (784 B; 800 B with its bias)" in s
    assert m["largest_params"]["name"] == "fc1" and m["largest_share"] == 0.8
    assert mnist.layer_facts(layers, [1, 32, 128])["batches"][1]["batch"] == 128   # b32 was not profiled


def test_validation_gap_direction():
    tables = {"e": pd.DataFrame({"model": ["a", "b"], "label": ["a", "b"], "kind": "mlp", "status": "ok",
                                 "macs_per_sample_thop": [110, 100], "macs_per_sample_aten": [100, 100],
                                 "macs_per_sample_analytic": [100, 100]})}
    rows = validation.validation_rows(tables, {"experiments": {"e": {}}})
    assert rows[0]["thop_above"] and not rows[0]["agree"]
    assert rows[1]["agree"]


# ---- issue 6: roofline and precision summaries ------------------------------------------------------------

def roofline_table(gflops=(2.0, 40.0), spread=0.05):
    return pd.DataFrame({
        "experiment": "part1a", "label": "256x3", "model": "mlp-h256x3", "batch_size": [1, 128],
        "achieved_gflops": gflops, "achieved_gflops_p10": [g * (1 - spread) for g in gflops],
        "latency_median_s": 1.0, "latency_ci95_low_s": 1 - spread, "latency_ci95_high_s": 1 + spread,
        "flops_per_batch": [g * 1e9 for g in gflops],
        "achieved_gflops_p90": [g * (1 + spread) for g in gflops], "peak_fp32_gflops": 80.0,
        "pct_of_peak_fp32": [100 * g / 80.0 for g in gflops], "arithmetic_intensity_flop_per_byte": [0.5, 30.0],
        "ridge_flop_per_byte": 5.0, "bound": ["memory", "compute"],
    })


def test_roofline_summary_follows_the_data():
    f = efficiency.roofline_facts(roofline_table())["models"][0]
    s = render_answer(f, "roofline_model")
    assert "2.50 % of peak at batch 1" in s and "50.00 % at batch 128" in s and "20.0× the work per second" in s
    assert "latency-bound" in s and "noise" not in s
    r = efficiency.roofline_facts(roofline_table(gflops=(40.0, 2.0)))["models"][0]
    rs = render_answer(r, "roofline_model")
    assert "20.0× less work per second" in rs and "latency-bound" not in rs and "does less work per second" in rs
    assert "other processes" not in rs


def test_roofline_within_timing_noise():
    f = efficiency.roofline_facts(roofline_table(gflops=(10.0, 11.0), spread=0.3))["models"][0]
    assert f["within_spread"] is True
    assert "not distinguishable from timing noise" in render_answer(f, "roofline_model")


def test_roofline_rows_merge_shared_measurements():
    t = pd.concat([roofline_table(), roofline_table().assign(experiment="part1b")]).reset_index(drop=True)
    rows = efficiency.roofline_facts(t)["rows"]
    assert len(rows) == 2 and rows[0]["experiments"] == ["part1a", "part1b"]


def precision_table(int8_latency=0.002, fp32_latency=0.010, int8_acc=0.95):
    lat = {"fp32": fp32_latency, "int8": int8_latency}
    return pd.DataFrame([{
        "model": "mlp", "precision": m, "batch_size": 64, "latency_median_s": lat[m], "latency_p10_s": lat[m] * 0.95,
        "latency_p90_s": lat[m] * 1.05, "latency_repeats": 10, "throughput_per_s": 64 / lat[m],
        "latency_ci95_low_s": lat[m] * 0.97, "latency_ci95_high_s": lat[m] * 1.03,
        "state_dict_bytes": 4000 if m == "fp32" else 1000, "accuracy": 0.97 if m == "fp32" else int8_acc,
        "test_samples": 1000, "agreement_with_fp32": 1.0 if m == "fp32" else 0.98, "rel_error_vs_fp32": 0.0,
        "input_dtype": "torch.float32", "output_dtype": "torch.float32",
        "weight_dtypes": "Linear=torch.float32" if m == "fp32" else "quantized.Linear=torch.qint8", "status": "ok",
    } for m in ("fp32", "int8")])


def test_precision_sentence_follows_the_data():
    c = efficiency.precision_facts(precision_table())["compare"][0]
    s = render_answer(c, "precision_compare")
    assert "mlp, int8" in s and "0.250× the size of fp32" in s and "5.00× faster" in s
    assert "down 2.00 points" in s and "quantized.Linear qint8" == c["weights_text"]
    r = efficiency.precision_facts(precision_table(int8_latency=0.010, fp32_latency=0.002, int8_acc=0.99))["compare"][0]
    rs = render_answer(r, "precision_compare")
    assert "5.00× slower" in rs and "faster" not in rs and "up 2.00 points" in rs


def test_precision_same_latency_is_noise():
    c = efficiency.precision_facts(precision_table(int8_latency=0.0101))["compare"][0]
    assert c["timing"] == "same"
    assert "not distinguishable from timing noise" in render_answer(c, "precision_compare")


def test_two_seeds_overlapping_is_seed_noise():
    t = batch_table(train=(50.0, 49.9, 49.8)).assign(n_seeds=2, train_time_s_std=1.0)
    s = render_answer(mnist.batch_facts(t)["train_time"])
    assert "not distinguishable from seed noise" in s.lower() and "over 2 seeds" in s
    t = batch_table().assign(n_seeds=2)
    assert "noise" not in render_answer(mnist.batch_facts(t)["train_time"])    # a real difference is not hedged


def q1_table(a, b, images=8):
    return pd.DataFrame([{"model": "resnet18", "batch_size": images, "image_size": 64, "one_at_a_time_s": a,
                          "one_at_a_time_p10_s": a * 0.9, "one_at_a_time_p90_s": a * 1.1, "one_at_a_time_repeats": 3,
                          "one_at_a_time_ci95_low_s": a * 0.97, "one_at_a_time_ci95_high_s": a * 1.03,
                          "precision": "fp32", "latency_median_s": b, "latency_p10_s": b * 0.9,
                          "latency_ci95_low_s": b * 0.97, "latency_ci95_high_s": b * 1.03,
                          "latency_p90_s": b * 1.1, "latency_repeats": 5}])


def test_part3_q1_answer_follows_the_data():
    from mlalab.report import render
    env = render.environment()
    tpl = env.from_string("{% include 'part3.html.j2' %}")
    base = {"figures": {}, "onnx": {}, "diagrams": {}, "part3": {"resnet18_q1": [{}]}}

    def answer(a, b):
        facts = part3.part3_facts({"resnet18_q1": q1_table(a, b)})
        html = tpl.render(**base, part3_facts=facts)
        return html[html.index('<p class="answer">'):].split("</p>")[0]
    yes, no = answer(1.8, 0.55), answer(0.55, 1.8)
    assert "Yes" in yes and "one batch is 3.27× faster" in yes and "550 ms as one batch" in yes
    assert "Why: every call pays a fixed cost" in yes
    assert "medians of 3 timed passes and 5 timed batch calls" in yes
    assert "No" in no and "one at a time is 3.27× faster" in no
    assert "Not measurably" in answer(1.0, 0.98)


def test_part3_q1_one_batch_is_the_latency_tables_record():
    latency = pd.DataFrame({"model": "resnet18", "precision": ["fp32", "fp32", "bf16"], "batch_size": [1, 8, 8],
                            "latency_median_s": [0.1, 0.55, 0.4], "status": "ok"})
    shown = part3.q1_fact(q1_table(1.8, 0.55), latency)
    assert shown["in_latency_table"] and shown["images"] == 8 and shown["one_batch"] == 0.55
    assert not part3.q1_fact(q1_table(1.8, 0.55, images=16), latency)["in_latency_table"]
    from mlalab.report import render
    tpl = render.environment().from_string("{% include 'part3.html.j2' %}")
    for fact, said in ((shown, True), (part3.q1_fact(q1_table(1.8, 0.55, images=16), latency), False)):
        html = tpl.render(figures={}, onnx={}, diagrams={}, part3={"resnet18_q1": [{}]}, part3_facts={"resnet18": {}, "bert": {}, "q1": fact})
        assert "a separate pass of " in html
        assert ("the row the latency table above shows at batch 8" in html) == said


def test_part3_latency_facts_read_fp32_rows():
    t = pd.DataFrame({"precision": ["fp32", "fp32", "bf16", "bf16"], "batch_size": [1, 8, 1, 8],
                      "latency_median_s": [0.01, 0.04, 0.5, 0.6], "latency_p10_s": [0.009, 0.039, 0.4, 0.5],
                      "latency_p90_s": [0.011, 0.041, 0.6, 0.7], "throughput_per_s": [100, 200, 2, 13],
                      "latency_ci95_low_s": [0.009, 0.039, 0.4, 0.5], "latency_ci95_high_s": [0.011, 0.041, 0.6, 0.7],
                      "throughput_p10_per_s": [90, 195, 1, 11], "throughput_p90_per_s": [110, 205, 3, 16],
                      "status": "ok"})
    f = part3.latency_facts(t, "ResNet18")
    assert [p["y"] for p in f["latency"]["points"]] == [0.01, 0.04]
    assert f["per_item"]["direction"] == "decreases" and f["throughput"]["best"]["x"] == 8
    assert f["throughput"]["within_spread"] is False


def test_an_unstable_latency_is_named_and_not_ranked():
    t = batch_table(lat=(0.001, 0.00101, 0.004))
    steady = render_answer(mnist.batch_facts(t)["throughput"])
    assert "The highest throughput is 64" in steady and "Unstable" not in steady
    t["latency_drift"] = ["stable", "drifted", "stable"]
    t["latency_drift_ratio"] = [1.0, 0.52, 1.0]
    f = mnist.batch_facts(t)
    assert f["latency"]["unstable"] == [{"x": 64, "ratio": 0.52, "why": "drifted"}]
    s = render_answer(f["throughput"])
    assert "Unstable: the timed calls of batch 64 (second half 0.520× the first) changed speed midway" in s
    assert "The highest throughput is" not in s      # the ranking rests on the unstable figure: not drawn


def test_a_call_that_stays_slower_than_its_test_pass_is_not_ranked():
    t = batch_table(lat=(0.001, 0.00101, 0.004))
    t["test_pass_agreement"] = ["agrees", "slower", "agrees"]
    t["test_pass_ratio"] = [1.0, 1.75, 0.98]
    f = mnist.batch_facts(t)
    assert f["latency"]["unstable"] == [{"x": 64, "ratio": 1.75, "why": "slower than its test-set pass"}]
    s = render_answer(f["throughput"])
    assert "the timed calls of batch 64 were slower than a batch of its own test-set pass (1.75×)" in s
    assert "The highest throughput is" not in s


def test_an_unstable_pair_gets_no_roofline_reading_or_speedup():
    t = roofline_table().assign(latency_drift=["stable", "drifted"])
    f = efficiency.roofline_facts(t)["models"][0]
    s = render_answer(f, "roofline_model")
    assert f["unstable"] == [128] and "Unstable" in s and "latency-bound" not in s
    p = precision_table().assign(latency_drift=["stable", "drifted"])
    c = efficiency.precision_facts(p)["compare"][0]
    assert c["timing"] == "unstable" and "faster" not in render_answer(c, "precision_compare")


def test_figures_on_two_thread_counts_are_read_against_their_own_roofs():
    t = roofline_table(gflops=(2.0, 150.0)).assign(threads=[1, 2], peak_threads=[1, 2],
                                                   peak_fp32_gflops=[80.0, 160.0], pct_of_peak_fp32=[2.5, 93.75])
    r = efficiency.roofline_facts(t)
    assert [x["threads"] for x in r["roofs"]] == [1, 2] and not r["over_peak"]
    s = render_answer(r, "roofline_summary")
    assert "80 GFLOP/s on 1 thread, 160 GFLOP/s on 2 threads, each figure against the roof of its own" in s
    one = efficiency.roofline_facts(roofline_table())
    assert "(80 GFLOP/s)" in render_answer(one, "roofline_summary")
    # above its roof on 2 threads while the ceiling was measured on 1: said, with both counts
    t = t.assign(peak_threads=[1, 1], peak_fp32_gflops=80.0, pct_of_peak_fp32=[2.5, 187.5])
    facts = efficiency.efficiency_facts({"roofline": t, "peak": None})["roofline"]
    s = render_answer(facts, "roofline_over")
    assert "mlp-h256x3 ran on 2 threads, the ceiling on 1" in s and "187.50 % of 80 GFLOP/s" in s
