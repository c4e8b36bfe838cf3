"""MLPerf Inference's LoadGen (`mlcommons-loadgen`, imported as `mlperf_loadgen`) around any system under test.

The system under test is a `forward(indices) -> outputs` over a preloaded sample library (one row of
`outputs` per index, as a float32 numpy array): the caller decides what runs (mlalab.stages.scenarios builds
it from the lab's models and runtimes; the unit tests from a sleep of known length). Here: the SUT that
LoadGen drives (one worker thread forming batches, as a serving system does), one LoadGen run with its logs
kept where it wrote them, those logs parsed into a flat record, and the search for the highest Server rate
LoadGen calls VALID under the latency bound. Torch-free.
"""

from __future__ import annotations

import collections
import json
import math
import threading
import time
from pathlib import Path
from typing import Callable

import numpy as np

from mlalab.io import read_json

# config name -> LoadGen's TestScenario name
SCENARIOS = {"single_stream": "SingleStream", "multi_stream": "MultiStream", "offline": "Offline",
             "server": "Server"}
# The LoadGen TestSettings a run may set (everything else keeps LoadGen's default).
SETTINGS = ("min_duration_ms", "max_duration_ms", "min_query_count", "max_query_count", "server_target_qps",
            "server_target_latency_ns", "offline_expected_qps", "single_stream_expected_latency_ns",
            "multi_stream_expected_latency_ns", "multi_stream_samples_per_query",
            "single_stream_target_latency_percentile", "multi_stream_target_latency_percentile",
            "server_target_latency_percentile")
LOGS = ("mlperf_log_summary.txt", "mlperf_log_detail.txt")
PERCENTILES = {"50.00": "p50", "90.00": "p90", "95.00": "p95", "97.00": "p97", "99.00": "p99", "99.90": "p999"}


class BatchingSut:
    """LoadGen's system under test: samples go to a queue; one worker takes up to `max_batch` of them, waiting
    up to `window_s` after the first for more to arrive (dynamic batching; 0 = take what is queued), runs
    `forward` on them and reports each sample complete with its output. Counts the batches it formed."""

    def __init__(self, lg, forward: Callable[[list[int]], np.ndarray], max_batch: int, window_s: float):
        self.lg, self.forward, self.max_batch, self.window_s = lg, forward, int(max_batch), float(window_s)
        self.queue: collections.deque = collections.deque()
        self.cond = threading.Condition()
        self.stop = False
        self.batches: list[int] = []
        self.worker = threading.Thread(target=self._work, daemon=True)
        self.worker.start()
        self.handle = lg.ConstructSUT(self._issue, lambda: None)

    def _issue(self, samples) -> None:
        with self.cond:
            self.queue.extend((s.id, s.index) for s in samples)
            self.cond.notify()

    def _take(self) -> list | None:
        with self.cond:
            while not self.queue and not self.stop:
                self.cond.wait()
            if not self.queue:
                return None
            deadline = time.perf_counter() + self.window_s
            while len(self.queue) < self.max_batch and not self.stop:
                left = deadline - time.perf_counter()
                if left <= 0:
                    break
                self.cond.wait(left)
            return [self.queue.popleft() for _ in range(min(self.max_batch, len(self.queue)))]

    def _work(self) -> None:
        while (batch := self._take()) is not None:
            out = np.ascontiguousarray(self.forward([i for _, i in batch]), dtype=np.float32)
            rows = [np.ascontiguousarray(out[k]) for k in range(len(batch))]   # alive until LoadGen copied them
            self.lg.QuerySamplesComplete([self.lg.QuerySampleResponse(qid, r.ctypes.data, r.nbytes)
                                          for (qid, _), r in zip(batch, rows)])
            self.batches.append(len(batch))

    def close(self) -> None:
        with self.cond:
            self.stop = True
            self.cond.notify()
        self.worker.join()
        self.lg.DestroySUT(self.handle)


def _settings(lg, scenario: str, mode: str, settings: dict, samples: int):
    ts = lg.TestSettings()
    ts.scenario = getattr(lg.TestScenario, SCENARIOS[scenario])
    ts.mode = lg.TestMode.AccuracyOnly if mode == "accuracy" else lg.TestMode.PerformanceOnly
    ts.performance_sample_count_override = samples
    for key, value in settings.items():
        if key not in SETTINGS:
            raise ValueError(f"LoadGen setting {key!r} is not one this harness sets; known: {', '.join(SETTINGS)}")
        setattr(ts, key, type(getattr(ts, key))(value))
    return ts


def run(forward: Callable[[list[int]], np.ndarray], samples: int, scenario: str, settings: dict, outdir,
        max_batch: int = 1, window_s: float = 0.0, mode: str = "performance") -> dict:
    """One LoadGen test of `scenario` (a key of SCENARIOS) over a library of `samples` samples; its logs stay
    in `outdir`. Returns the parsed record (parse()) with the batches the SUT formed."""
    import mlperf_loadgen as lg

    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    where = lg.LogOutputSettings()
    where.outdir, where.copy_summary_to_stdout = str(out), False
    log = lg.LogSettings()
    log.log_output, log.enable_trace = where, False
    sut = BatchingSut(lg, forward, max_batch, window_s)
    qsl = lg.ConstructQSL(samples, samples, lambda idx: None, lambda idx: None)   # the library is preloaded
    try:
        lg.StartTestWithLogSettings(sut.handle, qsl, _settings(lg, scenario, mode, settings, samples), log)
    finally:
        lg.DestroyQSL(qsl)
        sut.close()
    trace = out / "mlperf_log_trace.json"
    if trace.exists() and trace.stat().st_size == 0:
        trace.unlink()
    record = {"scenario": scenario, "loadgen_mode": mode, **parse(out)}
    b = sut.batches
    record.update(sut_batches=len(b), sut_mean_batch=(sum(b) / len(b)) if b else None,
                  sut_largest_batch=max(b) if b else None, sut_max_batch=int(max_batch),
                  sut_batch_window_s=float(window_s))
    return record


def detail(outdir) -> dict:
    """Every key of mlperf_log_detail.txt -> its value (the last, if LoadGen logged a key twice)."""
    values = {}
    for line in (Path(outdir) / "mlperf_log_detail.txt").read_text().splitlines():
        if line.startswith(":::MLLOG"):
            entry = json.loads(line[len(":::MLLOG"):])
            values[entry["key"]] = entry["value"]
    return values


def summary_validity(outdir) -> str | None:
    """`Result is : VALID|INVALID` of mlperf_log_summary.txt (absent in accuracy mode)."""
    for line in (Path(outdir) / "mlperf_log_summary.txt").read_text().splitlines():
        if line.startswith("Result is"):
            return line.split(":", 1)[1].strip()
    return None


def _reason(d: dict) -> str | None:
    """Why LoadGen called a run INVALID, in its own terms (the checks it reports as not satisfied)."""
    if d.get("result_validity") != "INVALID":
        return None
    why = [text for key, text in (("result_min_duration_met", "min duration not satisfied"),
                                  ("result_min_queries_met", "min queries not satisfied"),
                                  ("result_perf_constraints_met", "latency bound not met at the target percentile"))
           if d.get(key) is False]
    if d.get("early_stopping_met") is False:
        why.append("early stopping not satisfied:" + " ".join(str(d.get("early_stopping_result", "")).split()))
    if d.get("result_invalid_reason"):
        why.append(str(d["result_invalid_reason"]))
    return "; ".join(why) or "INVALID (no reason logged)"


def _s(ns) -> float | None:
    return None if ns is None else float(ns) * 1e-9


def parse(outdir) -> dict:
    """The record of one LoadGen run from its detail log (docs/columns.md, 'Scenario records')."""
    d = detail(outdir)
    said = summary_validity(outdir)
    if said is not None and said != d.get("result_validity"):
        raise RuntimeError(f"{outdir}: mlperf_log_summary.txt says {said}, mlperf_log_detail.txt "
                           f"{d.get('result_validity')}: the logs are not of one run")
    scenario = d.get("effective_scenario")
    rec = {"loadgen_scenario": scenario, "loadgen_validity": d.get("result_validity"),
           "loadgen_invalid_reason": _reason(d), "loadgen_queries": d.get("result_query_count"),
           "loadgen_samples_per_query": d.get("effective_samples_per_query"),
           "loadgen_errors": d.get("num_errors"), "loadgen_version": d.get("loadgen_version"),
           "loadgen_min_duration_s": _s((d.get("effective_min_duration_ms") or 0) * 1e6),
           "loadgen_min_query_count": d.get("effective_min_query_count"),
           "latency_bound_s": _s(d.get("effective_target_latency_ns")) or None,
           "latency_target_percentile": d.get("effective_target_latency_percentile")}
    for pct, name in PERCENTILES.items():
        rec[f"loadgen_{name}_s"] = _s(d.get(f"result_{pct}_percentile_latency_ns"))
    rec.update(loadgen_mean_s=_s(d.get("result_mean_latency_ns")), loadgen_max_s=_s(d.get("result_max_latency_ns")))
    target = d.get("effective_target_latency_percentile")
    pct = f"{100 * float(target):.2f}" if target is not None else None
    if scenario == "MultiStream":    # a query's latency is that of its slowest sample
        rec["loadgen_query_p99_s"] = _s(d.get("result_99.00_percentile_per_query_latency_ns"))
        rec["loadgen_target_latency_s"] = _s(d.get(f"result_{pct}_percentile_per_query_latency_ns"))
    elif scenario in ("SingleStream", "Server"):
        rec["loadgen_target_latency_s"] = _s(d.get(f"result_{pct}_percentile_latency_ns"))
    early = d.get("early_stopping_latency_ss") or d.get("early_stopping_latency_ms")
    rec["loadgen_early_stopping_s"] = _s(early) if early else None
    if scenario == "Offline":
        rec["loadgen_samples_per_s"] = d.get("result_samples_per_second")
    elif scenario == "Server":
        rec.update(offered_qps=d.get("result_scheduled_samples_per_sec"),
                   loadgen_samples_per_s=d.get("result_completed_samples_per_sec"),
                   server_target_qps=d.get("effective_target_qps"),
                   loadgen_overlatency_queries=d.get("result_overlatency_query_count"))
    elif scenario == "SingleStream":
        rec["loadgen_samples_per_s"] = d.get("result_qps_without_loadgen_overhead")
    elif scenario == "MultiStream":    # one query at a time: its samples over its mean latency
        mean = d.get("result_mean_query_latency_ns")
        rec["loadgen_samples_per_s"] = (d.get("effective_samples_per_query") or 1) / (mean * 1e-9) if mean else None
    return rec


def accuracy_outputs(outdir) -> dict[int, np.ndarray]:
    """The outputs the SUT returned in an accuracy run (mlperf_log_accuracy.json): sample index -> float32 row."""
    entries = read_json(Path(outdir) / "mlperf_log_accuracy.json")   # names the file if LoadGen left it damaged
    return {int(e["qsl_idx"]): np.frombuffer(bytes.fromhex(e["data"]), dtype=np.float32) for e in entries}


def server_search(run_at: Callable[[float], dict], estimate_qps: float, tries: int) -> list[dict]:
    """Bisection over LoadGen's `server_target_qps`: the first try offers `estimate_qps` (the SUT's measured
    capacity); a VALID try (p99 under the bound: LoadGen's own verdict) raises the floor, an INVALID one lowers
    the ceiling (twice the estimate while nothing failed), and each next try offers the middle. Returns every
    try's record in order, each with `server_try`."""
    lo, hi, runs = 0.0, None, []
    qps = float(estimate_qps)
    for i in range(int(tries)):
        rec = {**run_at(qps), "server_try": i}
        runs.append(rec)
        if rec.get("loadgen_validity") == "VALID":
            lo = qps
        else:
            hi = qps
        qps = (lo + hi) / 2 if hi is not None else 2 * lo
        if qps <= 0 or (hi is not None and not math.isfinite(qps)):
            break
    return runs


def server_peak(runs: list[dict]) -> dict | None:
    """The VALID try with the highest offered rate, or None when no try was VALID."""
    valid = [r for r in runs if r.get("loadgen_validity") == "VALID"]
    return max(valid, key=lambda r: r.get("server_target_qps") or 0) if valid else None
