"""What the timing settings cost and buy, on this machine, for the same models (issue 11):

1. fixed vs adaptive: each case timed with fixed repeats and with the adaptive harness (exclusive, all
   cores): are the medians the same within their 95 % confidence intervals, and how many calls / seconds did
   each take?
2. exclusive vs pinned: each case timed alone with every core (exclusive), and pinned to one core with one
   thread while another case runs pinned on the other core (pinned, two jobs side by side): the medians, the
   precision reached (CI half-width / median) and the wall time of the whole set.

Every measurement runs in a fresh process (as a pipeline job does). Usage:
    python benchmarks/timing_modes.py [--fixed-repeats 30] [--budget 2] [--out timing_modes.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

CASES = [  # (model spec, batch size): the lab's small and large calls
    ({"source": "mnist", "kind": "mlp", "model": {"hidden": [256, 256, 256]}}, 1),
    ({"source": "mnist", "kind": "mlp", "model": {"hidden": [256, 256, 256]}}, 64),
    ({"source": "mnist", "kind": "cnn", "model": {"channels": [32, 64], "kernel": 3, "fc": 128}}, 1),
    ({"source": "mnist", "kind": "cnn", "model": {"channels": [32, 64], "kernel": 3, "fc": 128}}, 64),
    ({"source": "torchvision", "name": "resnet18", "image_size": 224}, 1),
    ({"source": "torchvision", "name": "resnet18", "image_size": 224}, 8),
    ({"source": "transformers", "name": "BertConfig", "seq_len": 128}, 1),
]

CHILD = r"""
import json, os, sys, torch
from mlalab.measure import models, timing
spec, batch, cfg, threads, core = json.loads(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
if core >= 0:
    os.sched_setaffinity(0, {core})
torch.set_num_threads(threads)
net = models.build(spec)
x = models.example_batch(spec, net, batch)
s = timing.latency(net, x, torch.device("cpu"), cfg)
s.pop("latency_samples_s")
print(json.dumps(s))
"""


def child(spec, batch, cfg, threads, core=-1) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CHILD, json.dumps(spec), str(batch), json.dumps(cfg),
                             str(threads), str(core)], stdout=subprocess.PIPE, text=True)


def result(proc: subprocess.Popen) -> dict:
    out, _ = proc.communicate()
    if proc.returncode:
        raise RuntimeError(f"child failed ({proc.returncode})")
    return json.loads(out)


def name(spec, batch) -> str:
    return f"{spec.get('name') or spec['kind']} bs{batch}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fixed-repeats", type=int, default=30)
    ap.add_argument("--budget", type=float, default=2.0)
    ap.add_argument("--target", type=float, default=0.02)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    cores = sorted(os.sched_getaffinity(0))
    fixed = {"mode": "fixed", "warmup": 3, "repeats": args.fixed_repeats}
    adaptive = {"mode": "adaptive", "warmup": 3, "min_repeats": 10, "max_repeats": 1000, "budget_s": args.budget,
                "target_rel_ci": args.target}
    rows = []
    t_excl = 0.0
    for spec, batch in CASES:
        t0 = time.perf_counter()
        f = result(child(spec, batch, fixed, len(cores)))
        t1 = time.perf_counter()
        a = result(child(spec, batch, adaptive, len(cores)))
        t_excl += time.perf_counter() - t1
        rows.append({"case": name(spec, batch), "fixed": f, "fixed_wall_s": t1 - t0, "adaptive": a,
                     "adaptive_wall_s": time.perf_counter() - t1})
    # pinned: cases in pairs, side by side on two cores; each case once per position
    t0 = time.perf_counter()
    pinned = {}
    pairs = [(CASES[i], CASES[(i + 1) % len(CASES)]) for i in range(len(CASES))]
    for (sa, ba), (sb, bb) in pairs:
        pa = child(sa, ba, adaptive, 1, cores[0])
        pb = child(sb, bb, adaptive, 1, cores[-1])
        pinned.setdefault(name(sa, ba), []).append(result(pa))
        pinned.setdefault(name(sb, bb), []).append(result(pb))
    t_pinned = (time.perf_counter() - t0) / 2   # every case ran twice: half is one pass over the set
    print(f"{len(cores)} cores; fixed = {args.fixed_repeats} calls; adaptive = 10..1000 calls, budget "
          f"{args.budget} s, target +-{100 * args.target:.0f} %\n")
    print("| case | fixed median (95% CI) | adaptive median (95% CI) | calls | same? | pinned 1-core median (CI +-) |")
    print("|---|---:|---:|---:|---|---:|")
    for r in rows:
        f, a = r["fixed"], r["adaptive"]
        same = not (f["latency_ci95_high_s"] < a["latency_ci95_low_s"] or a["latency_ci95_high_s"] < f["latency_ci95_low_s"])
        p = pinned[r["case"]]
        pm = sorted(x["latency_median_s"] for x in p)[len(p) // 2]
        prel = max(x["latency_ci95_rel"] or 0 for x in p)
        r.update(same_within_ci=same, pinned=p)
        print(f"| {r['case']} | {f['latency_median_s'] * 1e3:.3f} ms ({f['latency_ci95_low_s'] * 1e3:.3f}-"
              f"{f['latency_ci95_high_s'] * 1e3:.3f}) | {a['latency_median_s'] * 1e3:.3f} ms "
              f"({a['latency_ci95_low_s'] * 1e3:.3f}-{a['latency_ci95_high_s'] * 1e3:.3f}) | "
              f"{f['latency_repeats']} / {a['latency_repeats']} ({a['timing_stop']}) | {'yes' if same else 'no'} | "
              f"{pm * 1e3:.3f} ms (+-{100 * prel:.1f} %) |")
    print(f"\nwall: adaptive exclusive {t_excl:.1f} s for the set; adaptive pinned side by side {t_pinned:.1f} s")
    if args.out:
        args.out.write_text(json.dumps({"rows": rows, "wall_exclusive_s": t_excl, "wall_pinned_s": t_pinned},
                                       indent=1))


if __name__ == "__main__":
    main()
