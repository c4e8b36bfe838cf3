"""The bench job of one MNIST run: inference timing (scripts/bench.py only calls this).

A job that fails inside (impossible batch size, out of memory, a bad variant) writes a record with
status 'failed' and the reason instead of crashing, so the other runs and the report go on.
"""

from __future__ import annotations

import torch

from mlalab.io import write_json
from mlalab.measure.models import build_model, example_input
from mlalab.measure.timing import environment, latency, measure, resolve_device, set_threads
from mlalab.stages import data as mnist


def bench_run(spec: dict, data_cfg: dict, timing_cfg: dict, device_name: str, data_dir, threads: int,
              timing_path, log) -> dict:
    """Inference latency of one batch at the run's batch size, and one timed pass over the test set."""
    record = {"spec": spec, "status": "ok", "error": None}
    try:
        device = resolve_device(device_name)
        record["threads"] = set_threads(threads)
        torch.manual_seed(spec["seed"])
        model = build_model(spec["kind"], spec["model"]).to(device).eval()
        bs = spec["batch_size"]
        xt, _ = mnist.load_split(data_dir, "test", mnist.subset_of(data_cfg, "test"))
        xt = xt.to(device)
        batch = xt[:bs] if bs <= len(xt) else example_input(bs, device)
        log(f"latency of one batch of {bs}: {timing_cfg['warmup']} warm-up + {timing_cfg['repeats']} timed calls")
        record["latency"] = latency(model, batch, device, timing_cfg["warmup"], timing_cfg["repeats"])
        log(f"median {record['latency']['median_s'] * 1e3:.3f} ms, "
            f"throughput {record['latency']['throughput_per_s']:.0f} samples/s")
        if timing_cfg.get("test_set_pass", True):
            def whole_test_set():
                with torch.inference_mode():
                    for i in range(0, len(xt), bs):
                        model(xt[i:i + bs])

            record["test_set"] = {**measure(whole_test_set, device, warmup=0, repeats=1), "samples": len(xt)}
            record["test_set"].pop("samples_s", None)
            log(f"whole test set ({len(xt)} images) in {record['test_set']['median_s']:.3f}s")
        record["environment"] = environment(device)
    except Exception as e:  # noqa: BLE001 - recorded as this run's failure; the rest of the lab goes on
        record.update(status="failed", error=log.exception(e))
    write_json(timing_path, record)
    return record
