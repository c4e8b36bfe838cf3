"""Why did two jobs time the same MLP at batch 1 1.7x apart? Each condition the old jobs differed in, timed in
fresh processes, alternating, with the one harness (mlalab.measure.timing.latency):

  fresh     a new process: build the model (random weights), 5 warm-up calls, 30 timed calls (the old bench job)
  warmed    the same, after one untimed pass over 10,000 images at batch 1000 (the old precision job ran its
            accuracy pass before timing)
  trained   the same as fresh, with weights after one epoch of SGD (state dict copied in; the precision job
            timed the trained model, the bench job a freshly initialized one)
  deepcopy  fresh, but the model deep-copied before timing (the precision job timed a copy)

Usage: python benchmarks/latency_conditions.py [--rounds 5] [--threads 2] [--batch 1] [--hidden 256x3]
Prints per condition the median over rounds of each process's median latency, and the spread over rounds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

CONDITIONS = ("fresh", "warmed", "trained", "deepcopy")

CHILD = r"""
import copy, json, sys, torch
from mlalab.measure.models import build_model
from mlalab.measure.timing import latency
cond, threads, batch, width, depth = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(threads)
torch.manual_seed(0)
model = build_model("mlp", {"hidden": [width] * depth}).eval()
x = torch.randn(batch, 1, 28, 28)
if cond == "trained":
    trained = build_model("mlp", {"hidden": [width] * depth})
    opt = torch.optim.SGD(trained.parameters(), lr=0.01)
    xs, ys = torch.randn(6000, 1, 28, 28), torch.randint(0, 10, (6000,))
    for i in range(0, 6000, 64):
        opt.zero_grad(); torch.nn.functional.cross_entropy(trained(xs[i:i + 64]), ys[i:i + 64]).backward(); opt.step()
    model.load_state_dict(trained.state_dict())
if cond == "warmed":
    with torch.inference_mode():
        big = torch.randn(10000, 1, 28, 28)
        for i in range(0, 10000, 1000):
            model(big[i:i + 1000])
if cond == "deepcopy":
    model = copy.deepcopy(model)
stats = latency(model, x, torch.device("cpu"), {"warmup": 5, "repeats": 30})
print(json.dumps({"median_s": stats["latency_median_s"], "p10_s": stats["latency_p10_s"], "p90_s": stats["latency_p90_s"]}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--hidden", default="256x3", help="width x depth of the MLP")
    args = ap.parse_args()
    width, depth = map(int, args.hidden.split("x"))
    got: dict[str, list[float]] = {c: [] for c in CONDITIONS}
    for r in range(args.rounds):
        for cond in CONDITIONS[r % len(CONDITIONS):] + CONDITIONS[:r % len(CONDITIONS)]:  # rotate the order
            out = subprocess.run([sys.executable, "-c", CHILD, cond, str(args.threads), str(args.batch), str(width),
                                  str(depth)], capture_output=True, text=True, check=True).stdout
            got[cond].append(json.loads(out)["median_s"])
    print(f"MLP {args.hidden}, batch {args.batch}, {args.threads} threads, {args.rounds} fresh processes each")
    base = statistics.median(got["fresh"])
    for cond, xs in got.items():
        med = statistics.median(xs)
        print(f"{cond:9s} median {med * 1e6:8.1f} us  (rounds {min(xs) * 1e6:.1f}..{max(xs) * 1e6:.1f} us)"
              f"  x{med / base:.2f} of fresh")


if __name__ == "__main__":
    main()
