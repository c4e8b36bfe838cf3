"""The one timing job: the latency record of one (model, precision, batch size) on the configured device.

Every section that shows a latency (experiment tables, the precision study, Part 3, ResNet18 Q1's one-batch
figure, the roofline) reads this record; none times the model again. Weights are random (seed 0): the time
of a dense fp32/bf16/int8 forward does not depend on their values. MNIST models are fed the first images of
the test set (repeated to fill a batch larger than the test subset) and, in fp32, also timed over one pass of
the whole test set.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from mlalab import isolation
from mlalab.measure import models, runtimes, timing
from mlalab.plan.specs import ModelSpec, model_spec


def _mnist_batch(test_images: torch.Tensor, batch_size: int) -> torch.Tensor:
    x = test_images[:batch_size]
    if len(x) < batch_size:  # a small test subset: repeat it to fill the batch
        x = x.repeat((batch_size + len(x) - 1) // len(x), 1, 1, 1)[:batch_size]
    return x


def measure_latency(inputs, model: str, spec: dict | ModelSpec, precision: str, batch_size: int,
                    timing_cfg: dict, data: dict, device: torch.device, log, runtime: str = "eager") -> dict:
    """The latency record of `model` (docs/columns.md, 'The latency record') run by `runtime` at `precision`
    (mlalab.measure.runtimes: eager, compile, onnxruntime x fp32, bf16, int8)."""
    spec = model_spec(spec)
    record = {"model": model, "batch_size": batch_size, "precision": precision, "runtime": runtime,
              **spec.id_fields()}
    net = models.build(spec)
    test = None
    if spec.reads_mnist:
        from mlalab.stages import data as mnist

        folder = Path(inputs.data[0]).parent
        test, _ = mnist.load_split(folder, "test", mnist.subset_of(data, "test"))
        x = _mnist_batch(test, batch_size)
    else:
        x = models.example_batch(spec, net, batch_size)
    rt = runtimes.get(runtime, precision)
    runner = rt.prepare(net, x, device, onnx_path=inputs.onnx[0] if rt.needs_onnx else None)
    if test is None:   # Part 3 rows say how far each runtime and precision is from eager fp32 on the CPU
        out = runner.call()   # the first call also compiles / builds the session
        record.update(runtimes.agreement(out.float() if runner.is_reference else runtimes.reference(net, x), out))
        # that call was an untimed call like a warm-up one: a big model's call takes seconds
        timing_cfg = {**timing_cfg, "warmup": max(0, int(timing_cfg["warmup"]) - 1)}
    log(f"{model} {runner.detail} {precision} batch {batch_size} on {runner.device}: timing {timing_cfg}")
    stats = _timed(runner, batch_size, timing_cfg, log)
    record.update(stats, runtime_detail=runner.detail)
    if spec.tokens_per_sample is not None:
        record["tokens_per_s"] = stats["throughput_per_s"] * spec.tokens_per_sample
    log(f"median {stats['latency_median_s'] * 1e3:.3f} ms over {stats['latency_repeats']} calls "
        f"(stopped: {stats['timing_stop']}, 95% CI +-{100 * (stats['latency_ci95_rel'] or float('nan')):.1f}%, "
        f"halves {stats['latency_drift']} x{stats['latency_drift_ratio']:.3f}, {stats['latency_tries']} tries), "
        f"throughput {stats['throughput_per_s']:.1f}/s; beside: {stats['beside_jobs'] or 'nothing'}"
        + (f"; max abs error vs eager fp32 {record['output_max_abs_error']:.3g}" if test is None else ""))
    if test is not None and precision == "fp32" and timing_cfg["test_set_pass"]:
        record.update(timing.data_pass(runner.run, test.to(runner.device), batch_size, runner.device))
        record.update(timing.pass_agreement(record))
        log(f"whole test set ({len(test)} images) in {record['test_set_time_s']:.3f}s, "
            f"{record['test_pass_batches']} full batches; latency median / their median: "
            f"{record.get('test_pass_ratio', float('nan')):.3f} ({record.get('test_pass_agreement', 'no full batch')})")
        record["test_pass_retimed"] = record.get("test_pass_agreement") == "slower"
        if record["test_pass_retimed"]:
            # One call slower than a batch of a whole pass cannot be the steady speed: the series was disturbed
            # or ended before the calls settled (a small CNN here runs 2x slower for its first seconds). The
            # pass came after the series, so a series timed now starts where the pass left the machine.
            again = _timed(runner, batch_size, timing_cfg, log)
            again["latency_tries"] += stats["latency_tries"]
            record.update(again)
            record.update(timing.pass_agreement(record))
            log(f"timed again: median {again['latency_median_s'] * 1e3:.3f} ms, latency median / pass median "
                f"{record['test_pass_ratio']:.3f} ({record['test_pass_agreement']})")
    record.update(timing.environment(runner.device), load_avg_1m=_load())
    return record


def _timed(runner: runtimes.Runner, batch_size: int, timing_cfg: dict, log) -> dict:
    return timing.with_throughput(timing.measure_with(runner.call, runner.device, timing_cfg,
                                                      watch=isolation.running_jobs, log=log), batch_size)


def _load() -> float | None:
    """The machine's 1-minute load average at the end of the measurement (this job counts about 1)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return None
