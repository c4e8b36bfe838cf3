"""Run one Part 3 job from a Snakemake script: threads, device, progress lines, atomic JSON out.

A job that fails (out of memory at a large batch, no CUDA where `device: cuda` was asked) writes a record
with status 'failed', the reason and its arguments instead of crashing, so the other jobs and the tables go
on; the tables show such a row with its error.
"""

from __future__ import annotations

import time
from typing import Callable

from mlalab.io import write_json
from mlalab.joblog import JobLog
from mlalab.measure.timing import resolve_device, set_threads

SUMMARY_KEYS = ("median_s", "throughput_per_s", "one_at_a_time_s", "one_batch_s",
                "ratio_one_at_a_time_over_batch", "activation_bytes_analytic", "saved_activation_bytes",
                "params")


def run_job(fn: Callable[..., dict], out_path, log_path, threads: int = 1, **kwargs) -> dict:
    log = JobLog(log_path)
    record = {"status": "ok", "error": None}
    args = {k: v for k, v in kwargs.items() if isinstance(v, (int, float, str, bool))}
    try:
        record["threads"] = set_threads(threads)
        if "device" in kwargs:
            kwargs["device"] = resolve_device(kwargs["device"])
        log(f"{fn.__module__}.{fn.__name__}({', '.join(f'{k}={v}' for k, v in args.items())}), "
            f"{record['threads']} thread(s)")
        t0 = time.perf_counter()
        record.update(fn(**kwargs))
        summary = {k: record[k] for k in SUMMARY_KEYS if k in record}
        log(f"done in {time.perf_counter() - t0:.1f}s: {summary}")
    except Exception as e:  # noqa: BLE001 - recorded as this job's failure; the rest of Part 3 goes on
        record.update(args, status="failed", error=log.exception(e))
    write_json(out_path, record)
    return record
