"""Audit the latency records of a results folder from their raw samples: which series drifted, and which single
call is slower than a batch of its own test-set pass. Works on records written before the harness checked drift
(it re-derives everything from `latency_samples_s` and `test_set_time_s`), so builds can be compared.

    python benchmarks/latency_audit.py results [--list]

Drift: the halves rule of mlalab.measure.timing.halves (first and second half of the calls in order, each with
its 95 % interval of the median; drifted when the intervals do not overlap). Test pass: the latency median against
the whole pass's time per batch (test_set_time_s / number of batches, partial batch included, as a reader of
the report would compute it); flagged above 1.10x (a single call slower than a batch of the pass, beyond the
slicing and partial-batch slack).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from mlalab.measure.timing import halves


def audit(folder: Path) -> list[dict]:
    rows = []
    for path in sorted((folder / "latency").glob("*/*.json")):
        r = json.loads(path.read_text())
        samples = r.get("latency_samples_s")
        if r.get("status", "ok") != "ok" or not samples:
            continue
        h = halves(samples)
        row = {"record": f"{path.parent.name}/{path.stem}", "calls": len(samples), "halves": h["verdict"],
               "ratio": h["ratio"], "median_ms": r["latency_median_s"] * 1e3, "ci_rel": r.get("latency_ci95_rel"),
               "beside": r.get("beside_jobs"), "pass_ratio": math.nan}
        if r.get("test_set_time_s") and r.get("test_samples"):
            batches = math.ceil(r["test_samples"] / r["batch_size"])
            row["pass_ratio"] = r["latency_median_s"] / (r["test_set_time_s"] / batches)
        rows.append(row)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("results", type=Path)
    ap.add_argument("--list", action="store_true", help="print every record, not only the flagged ones")
    args = ap.parse_args()
    rows = audit(args.results)
    drifted = [r for r in rows if r["halves"] == "drifted"]
    slower = [r for r in rows if r["pass_ratio"] > 1.10]
    checked = [r for r in rows if r["halves"] != "unchecked"]
    for r in rows if args.list else drifted + slower:
        print(f"{r['record']:48s} {r['calls']:4d} calls  halves {r['halves']:9s} x{r['ratio']:.3f}  "
              f"median {r['median_ms']:9.3f} ms  pass ratio {r['pass_ratio']:.3f}  beside: {r['beside'] or '-'}")
    print(f"{len(rows)} records, {len(checked)} with 12+ calls; drifted (halves' intervals apart): {len(drifted)}; "
          f"halves' medians > 1.19x apart: {sum(1 for r in checked if max(r['ratio'], 1 / r['ratio']) > 1.19)}; "
          f"single call > 1.10x a batch of its test-set pass: {len(slower)} of "
          f"{sum(1 for r in rows if not math.isnan(r['pass_ratio']))}")


if __name__ == "__main__":
    main()
