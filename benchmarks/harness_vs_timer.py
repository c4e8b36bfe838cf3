"""Benchmark (not a test): does the pipeline's timing harness agree with torch.utils.benchmark?

For ResNet18 and BERT-base (random weights, built as Part 3 builds them), at each batch size, in one run:
the pipeline's latency (mlalab.measure.timing.latency: median of `repeats`
perf_counter-timed calls after `warmup`) against torch.utils.benchmark.Timer(...).blocked_autorange()
(median over blocks, with the same thread count). The two alternate for `rounds` rounds (which goes first
alternates too), so a drift in machine load hits both; the figures are the medians over rounds. Prints a Markdown table; --out writes JSON.

    python benchmarks/harness_vs_timer.py --threads 2 --out results/benchmarks/harness_vs_timer.json

Read the `diff_pct` column: within a few percent means the harness measures what Timer measures. On a
machine shared with other jobs both tools see the load; compare their spreads (p10-p90 / IQR) too.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import torch
import torch.utils.benchmark as tb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mlalab.io import write_json  # noqa: E402
from mlalab.measure import models as nets  # noqa: E402
from mlalab.measure import timing  # noqa: E402
from mlalab.runner import resolve_device, set_threads  # noqa: E402


def batch_latency(model, x, device, warmup: int, repeats: int) -> dict:
    s = timing.latency(model, x, device, {"warmup": warmup, "repeats": repeats})
    return {"median_s": s["latency_median_s"], "p10_s": s["latency_p10_s"], "p90_s": s["latency_p90_s"]}


def cases(args):
    if "resnet18" in args.models:
        model = nets.build_resnet18()
        for bs in args.resnet_batch:
            yield "resnet18", bs, model, nets.image_batch(bs, args.image_size)
    if "bert" in args.models:
        model = nets.build_bert()
        for bs in args.bert_batch:
            yield "bert-base", bs, model, nets.token_batch(bs, args.seq_len, model.config.vocab_size)


def timer_median(model, x, threads: int, min_run_time: float) -> dict:
    t = tb.Timer(stmt="with torch.inference_mode():\n    model(x)", globals={"model": model, "x": x, "torch": torch},
                 num_threads=threads, label="harness_vs_timer")
    m = t.blocked_autorange(min_run_time=min_run_time)
    return {"median_s": m.median, "iqr_s": m.iqr, "blocks": len(m.times), "calls": m.number_per_run * len(m.times)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda", "auto"])
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    p.add_argument("--models", nargs="+", default=["resnet18", "bert"], choices=["resnet18", "bert"])
    p.add_argument("--resnet-batch", type=int, nargs="+", default=[1, 8])
    p.add_argument("--bert-batch", type=int, nargs="+", default=[1, 8])
    p.add_argument("--image-size", type=int, default=224)
    p.add_argument("--seq-len", type=int, default=128)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--min-run-time", type=float, default=1.0, help="seconds per blocked_autorange")
    p.add_argument("--rounds", type=int, default=2, help="harness/Timer alternations per case")
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)

    device = resolve_device(args.device)
    threads = set_threads(args.threads)
    rows = []
    for name, bs, model, x in cases(args):
        model, x = model.to(device).eval(), x.to(device)
        h_rounds, t_rounds = [], []
        for i in range(args.rounds):  # alternate which tool goes first, so neither always runs warmer
            if i % 2 == 0:
                h_rounds.append(batch_latency(model, x, device, args.warmup, args.repeats))
                t_rounds.append(timer_median(model, x, threads, args.min_run_time))
            else:
                t_rounds.append(timer_median(model, x, threads, args.min_run_time))
                h_rounds.append(batch_latency(model, x, device, args.warmup, args.repeats))
        h = statistics.median(r["median_s"] for r in h_rounds)
        t = statistics.median(r["median_s"] for r in t_rounds)
        row = {"model": name, "batch_size": bs, "device": device.type, "threads": threads,
               "harness_median_s": h,
               "harness_p10_s": statistics.median(r["p10_s"] for r in h_rounds),
               "harness_p90_s": statistics.median(r["p90_s"] for r in h_rounds),
               "harness_repeats": args.repeats, "timer_median_s": t,
               "timer_iqr_s": statistics.median(r["iqr_s"] for r in t_rounds),
               "timer_calls": sum(r["calls"] for r in t_rounds),
               "rounds": args.rounds, "diff_pct": 100.0 * (h - t) / t,
               "harness_round_medians_s": [r["median_s"] for r in h_rounds],
               "timer_round_medians_s": [r["median_s"] for r in t_rounds]}
        rows.append(row)
        print(f"{name} bs{bs}: harness {h * 1e3:.3f} ms, Timer {t * 1e3:.3f} ms, {row['diff_pct']:+.1f}%",
              file=sys.stderr, flush=True)
    env = timing.environment(device)
    print(f"\n{env['device_name']} ({device.type}), {threads} threads, torch {env['torch']}\n")
    print("| model | batch | harness median ms (p10–p90) | Timer median ms (IQR) | harness vs Timer |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['model']} | {r['batch_size']} | {r['harness_median_s'] * 1e3:.2f} "
              f"({r['harness_p10_s'] * 1e3:.2f}–{r['harness_p90_s'] * 1e3:.2f}) | {r['timer_median_s'] * 1e3:.2f} "
              f"({r['timer_iqr_s'] * 1e3:.2f}) | {r['diff_pct']:+.1f}% |")
    if args.out:
        write_json(args.out, {"environment": env, "args": {k: str(v) for k, v in vars(args).items()}, "rows": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
