"""Part 3 tables from records: tidy columns, failed jobs kept as rows, weights-vs-activations verdicts."""

from mlalab.plan import part3 as plan
from mlalab.stages import part3_tables as tables

ENV = {"device": "cpu", "device_name": "x", "threads": 2, "dtype": "float32", "torch": "t"}


def _lat(bs, median):
    stats = {k: median for k in ("median_s", "p10_s", "p90_s", "mean_s", "min_s", "max_s")}
    return {"status": "ok", "model": "bert-base", "precision": "fp32", "batch_size": bs, "seq_len": 128,
            "attn_implementation": "sdpa", "n": 3, "std_s": 0.0, "throughput_per_s": bs / median,
            "throughput_p10_per_s": bs / median, "throughput_p90_per_s": bs / median, **stats, **ENV}


def test_latency_table_keeps_failed_job_as_a_row():
    failed = {"status": "failed", "error": "out of memory", "precision": "fp32", "batch_size": 32}
    df = tables.latency([_lat(8, 0.5), failed, _lat(1, 0.1)], "bert-base")
    assert list(df.batch_size) == [1, 8, 32]
    assert df.loc[1, "throughput_per_s"] == 16 and df.loc[1, "tokens_per_s"] == 16 * 128
    assert df.loc[2, "status"] == "failed" and df.loc[2, "model"] == "bert-base"
    assert {"device", "threads", "dtype"} <= set(df.columns)


def test_memory_table_dominance_and_crossover():
    base = {"status": "ok", "model": "resnet18", "image_size": 224, "params": 10, "weight_bytes": 100,
            "buffer_bytes": 0, "input_bytes": 1, "saved_input_bytes": 1, "saved_weight_bytes": 100,
            "device": "cpu", "threads": 1, "dtype": "float32"}
    recs = [{**base, "batch_size": b, "activation_bytes_analytic": 40 * b, "saved_activation_bytes": 30 * b}
            for b in (1, 2, 4)]
    df = tables.memory(recs)
    assert list(df.dominant_analytic) == ["weights", "weights", "activations"]
    assert list(df.dominant_saved) == ["weights", "weights", "activations"]
    assert set(df.crossover_batch_analytic) == {3} and set(df.crossover_batch_saved) == {4}


def test_plan_names_every_table_and_its_inputs():
    p3 = {"bf16": True, "resnet18": {"batch_sizes": [1, 32]}, "bert": {"batch_sizes": [1]}}
    for t in plan.TABLES:
        assert t in tables.BUILDERS
        assert plan.table_inputs(p3, "r/part3", t)
    assert plan.latency_files(p3, "r/part3", "resnet18") == [
        "r/part3/resnet18/latency/fp32-bs1.json", "r/part3/resnet18/latency/fp32-bs32.json",
        "r/part3/resnet18/latency/bf16-bs1.json", "r/part3/resnet18/latency/bf16-bs32.json"]
