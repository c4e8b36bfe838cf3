"""Part 3 tables from records: tidy columns, failed jobs kept as rows, weights-vs-activations verdicts."""

import inspect
import re

from mlalab.plan import part3 as plan
from mlalab.stages import part3_tables as tables

ENV = {"device": "cpu", "device_name": "x", "threads": 2, "torch": "t", "timing_method": "perf_counter"}


def _lat(bs, median):
    stats = {f"latency_{k}": median for k in ("median_s", "p10_s", "p90_s", "mean_s", "min_s", "max_s")}
    return {"status": "ok", "model": "bert-base", "precision": "fp32", "runtime": "eager", "batch_size": bs,
            "seq_len": 128, "attn_implementation": "sdpa", "latency_repeats": 3, "latency_std_s": 0.0,
            "throughput_per_s": bs / median, "throughput_p10_per_s": bs / median,
            "throughput_p90_per_s": bs / median, "tokens_per_s": bs / median * 128, **stats, **ENV}


def test_latency_table_keeps_failed_job_as_a_row():
    failed = {"status": "failed", "error": "out of memory", "precision": "fp32", "batch_size": 32}
    df = tables.latency([_lat(8, 0.5), failed, _lat(1, 0.1)], "bert-base")
    assert list(df.batch_size) == [1, 8, 32]
    assert df.loc[1, "throughput_per_s"] == 16 and df.loc[1, "tokens_per_s"] == 16 * 128
    assert df.loc[2, "status"] == "failed" and df.loc[2, "model"] == "bert-base"
    assert {"device", "threads", "precision", "runtime", "latency_median_s", "latency_repeats"} <= set(df.columns)


def test_q1_reads_the_one_batch_figure_from_the_latency_record():
    q1 = {"status": "ok", "model": "resnet18", "image_size": 64, "images": 8, "one_at_a_time_median_s": 0.8,
          "one_at_a_time_p10_s": 0.7, "one_at_a_time_p90_s": 0.9, "one_at_a_time_repeats": 2}
    batch = {**_lat(8, 0.2), "model": "resnet18"}
    row = tables.q1(q1, batch).iloc[0]
    assert row["latency_median_s"] == 0.2 and row["batch_size"] == 8     # the latency table's own record
    assert row["ratio_one_at_a_time_over_batch"] == 4.0 and row["per_image_one_batch_s"] == 0.2 / 8


def test_memory_table_dominance_and_crossover():
    base = {"status": "ok", "model": "resnet18", "image_size": 224, "params": 10, "weight_bytes": 100,
            "buffer_bytes": 0, "input_bytes": 1, "saved_input_bytes": 1, "saved_weight_bytes": 100,
            "device": "cpu", "threads": 1, "precision": "fp32"}
    recs = [{**base, "batch_size": b, "activation_bytes_analytic": 40 * b, "saved_activation_bytes": 30 * b}
            for b in (1, 2, 4)]
    df = tables.memory(recs)
    assert list(df.dominant_analytic) == ["weights", "weights", "activations"]
    assert list(df.dominant_saved) == ["weights", "weights", "activations"]
    assert set(df.crossover_batch_analytic) == {3} and set(df.crossover_batch_saved) == {4}


def test_plan_names_every_table_and_its_inputs():
    config = {"results": "r", "timing": {}, "part3": {
        "runtimes": ["eager", "bf16"], "resnet18": {"batch_sizes": [1, 32], "image_size": 64, "q1_images": 8},
        "bert": {"batch_sizes": [1], "seq_len": 16}, "models": {}}}   # as the schema fills it
    for t in plan.TABLES:
        # the names the plan gives a table's inputs are the names its builder reads, and each is a results path
        read = set(re.findall(r'i\["(\w+)"\]', inspect.getsource(tables.BUILDERS[t])))
        planned = plan.table_inputs(config, t)
        assert set(planned) == read, (t, set(planned) ^ read)
        paths = [p for v in planned.values() for p in ([v] if isinstance(v, str) else v)]
        assert all(p.startswith("r/") and p.endswith(".json") for p in paths), (t, paths)
    assert plan.latency_files(config, "resnet18", "resnet18") == [
        "r/latency/resnet18/fp32-bs1.json", "r/latency/resnet18/fp32-bs32.json",
        "r/latency/resnet18/bf16-bs1.json", "r/latency/resnet18/bf16-bs32.json"]
    assert plan.table_inputs(config, "part3_resnet18_q1")["batch"] == "r/latency/resnet18/fp32-bs8.json"
