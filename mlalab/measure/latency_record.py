"""The latency record: its columns and what each means, in the order tables copy them.

One timing job (`rule latency`, mlalab.stages.latency) measures each (model, batch size, precision, runtime) on the
configured device; every table that shows that latency copies the `copied` columns from that one record
(LATENCY_COLUMNS). The latency part of docs/columns.md is this definition's table (`python -m
mlalab.measure.latency_record` prints it; tests/unit/test_latency_record.py fails when the two differ).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Columns:
    """One line of the dictionary: one or more columns that share a meaning."""

    names: tuple[str, ...]
    meaning: str
    copied: bool = True   # copied into every table that shows the latency; else the record's identity or extras


LATENCY_RECORD = (
    Columns(("model",),
            "model id: an MNIST architecture slug (`mlp-h256x3`, `cnn-k3-c32.64-fc128`), `resnet18`, "
            "`bert-base`", copied=False),
    Columns(("batch_size",), "inputs per timed call", copied=False),
    Columns(("precision",), "`fp32`, `bf16` (autocast) or `int8` (dynamic quantization of `nn.Linear`)"),
    Columns(("runtime",),
            "how the model is executed: `eager` (PyTorch eager mode), `compile` (`torch.compile`, "
            "inductor) or `onnxruntime` (the model's exported ONNX file in ONNX Runtime: CPU provider, "
            "CUDA provider on a GPU); the last two only for Part 3 models, in records named "
            "`{runtime}-{precision}-bs{batch}.json`"),
    Columns(("output_max_abs_error",),
            "Part 3 models: largest absolute difference between this record's output (the main output "
            "tensor: logits, last hidden state) and eager fp32's on the same batch (CPU); 0 up to "
            "rounding for eager fp32 itself", copied=False),
    Columns(("output_max_rel_error",),
            "`output_max_abs_error` / the largest absolute value of eager fp32's output (relative to the "
            "output's scale, not per element: elements near zero would make a per-element ratio "
            "meaningless)", copied=False),
    Columns(("runtime_detail",),
            "what ran the model (`mlalab.measure.runtimes`): `eager`, `torch.compile (inductor)`, or the "
            "engine and version, e.g. `onnxruntime 1.32.0 CPUExecutionProvider`", copied=False),
    Columns(("latency_median_s",), "median wall time of one call (one batch)"),
    Columns(("latency_p10_s", "latency_p90_s"), "10th / 90th percentile of the timed calls"),
    Columns(("latency_p99_s",), "99th percentile of the timed calls"),
    Columns(("latency_mean_s", "latency_std_s", "latency_min_s", "latency_max_s"),
            "mean, sample std, fastest, slowest call"),
    Columns(("latency_repeats",), "number of timed calls (after the untimed warm-up)"),
    Columns(("latency_ci95_low_s", "latency_ci95_high_s"),
            "95 % confidence interval of the median, from order statistics (empty below 6 calls)"),
    Columns(("latency_ci95_rel",),
            "half-width of that interval / median: the precision the median is known to"),
    Columns(("latency_p90_ci95_low_s", "latency_p90_ci95_high_s", "latency_p99_ci95_low_s", "latency_p99_ci95_high_s"),
            "95 % confidence bounds of the p90 / p99 from order statistics (MLPerf quotes a tail latency "
            "with such a bound); empty where the series is too short (the p90's upper bound needs 36 "
            "calls, the p99's 368)"),
    Columns(("latency_drift",),
            "the drift check of the series kept (`mlalab.measure.timing`): `stable` (the medians of its "
            "first and second halves, each with its 95 % interval, overlap), `drifted` (they do not, "
            "after every try: the figure is unstable, its interval is widened to span both halves and the"
            " report ranks nothing on it) or `unchecked` (fewer than 12 calls)"),
    Columns(("latency_drift_ratio",), "median of the second half of the calls / median of the first half"),
    Columns(("latency_tries",),
            "series timed for this figure: 1, or more when a series drifted and was timed again "
            "(`timing.drift_retries`)"),
    Columns(("timing_mode",),
            "`fixed` (exactly `repeats` calls) or `adaptive` (until the median is known, see "
            "`timing_stop`)"),
    Columns(("timing_stop",),
            "why the series stopped: `repeats` (fixed), `precision` (CI within target), `budget`, "
            "`max_repeats`"),
    Columns(("throughput_per_s",), "inputs per second = `batch_size / latency_median_s`"),
    Columns(("throughput_p10_per_s", "throughput_p90_per_s"),
            "from the p90 / p10 latency (slow calls give low throughput)"),
    Columns(("tokens_per_s",), "transformers: `throughput_per_s x seq_len`", copied=False),
    Columns(("test_set_time_s",), "MNIST fp32 only: one pass over the whole test set at this batch size"),
    Columns(("test_pass_batch_median_s", "test_pass_batch_ci95_low_s", "test_pass_batch_ci95_high_s"),
            "MNIST fp32: median (and its 95 % interval) of the full batches of the test-set pass, each "
            "timed on its own: an independent figure of one call"),
    Columns(("test_pass_ratio",), "`latency_median_s` / `test_pass_batch_median_s`"),
    Columns(("test_pass_agreement",),
            "`agrees` (the two medians' intervals overlap), `slower` (a single call slower than a batch "
            "of the full pass beyond both intervals: the series was disturbed), `faster`, or `unchecked` "
            "(no interval)"),
    Columns(("test_pass_retimed",),
            "MNIST fp32: whether the series was `slower` than its test-set pass and so was timed once "
            "more, after the pass (the record holds that second series; `latency_tries` counts both)"),
    Columns(("device",), "`cpu` or `cuda`"),
    Columns(("device_name",), "CPU model name or CUDA device name"),
    Columns(("threads",), "torch intra-op threads during the measurement"),
    Columns(("torch",), "torch version"),
    Columns(("timing_method",),
            "how the call was timed (perf_counter around each call; on a GPU, CUDA events or a "
            "synchronize after each call)"),
    Columns(("timing_clock",),
            "the clock of this series: `perf_counter` (CPU), `cuda_events` (a CUDA event before and after"
            " each call, read every few calls: `timing.cuda_timer: events`), `perf_counter+synchronize` "
            "(`timing.cuda_timer: sync`)"),
    Columns(("isolation",),
            "how the timed job shared the machine (`timing.isolation`): `pinned` (held the machine, "
            "computed on pinned cores), `shared` (side by side with other timed jobs), `exclusive` (every"
            " core)"),
    Columns(("cores",), "the cores the job was pinned to (`;`-separated), empty when not pinned"),
    Columns(("beside_jobs",),
            "the other jobs (of any build on this machine) seen running during the series, `;`-separated;"
            " empty when none"),
    Columns(("load_avg_1m",),
            "the machine's 1-minute load average at the end of the series (the timed job itself counts "
            "about 1)"),
    Columns(("status", "error"),
            "`ok` or `failed`, and why (a failed row keeps its identifying columns)", copied=False),
)

LATENCY_COLUMNS = [name for group in LATENCY_RECORD if group.copied for name in group.names]


def markdown() -> str:
    """The dictionary's table of the latency record (docs/columns.md)."""
    rows = [f"| {', '.join(f'`{n}`' for n in g.names)} | {g.meaning} |" for g in LATENCY_RECORD]
    return "\n".join(["| column | meaning |", "| --- | --- |", *rows]) + "\n"


if __name__ == "__main__":
    sys.stdout.write(markdown())
