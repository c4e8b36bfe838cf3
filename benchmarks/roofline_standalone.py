"""Benchmark (not a test): the roofline of one machine in one process, without the pipeline.

Measures the ceilings (mlalab.stages.peak), then times the lab's MNIST MLP (Part 1A) and CNN (Part 2A), ResNet18
and BERT-base (random weights: latency does not depend on the weights) at a few batch sizes with the same
harness (mlalab.measure.timing.latency), counts MACs (mlalab.measure.counters.aten_macs: the aten matmul/conv ops that
run) and writes roofline.csv + roofline.svg/png with mlalab.stages.roofline. Handy on a machine where the whole
pipeline is not worth running, e.g. a GPU box:

    python benchmarks/roofline_standalone.py --device cuda --out results/benchmarks/roofline-cuda
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mlalab.io import write_csv, write_json  # noqa: E402
from mlalab.measure import timing  # noqa: E402
from mlalab.measure.counters import aten_macs  # noqa: E402
from mlalab.measure.models import build, example_batch  # noqa: E402
from mlalab.runner import resolve_device, set_threads  # noqa: E402
from mlalab.stages import peak as peak_mod  # noqa: E402
from mlalab.stages import roofline

SPECS = {
    "mlp-h256x3": {"source": "mnist", "kind": "mlp", "model": {"hidden": [256, 256, 256], "batchnorm": False}},
    "cnn-k3-c32.64-fc128": {"source": "mnist", "kind": "cnn", "model": {"channels": [32, 64], "kernel": 3, "fc": 128}},
}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda", "auto"])
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    p.add_argument("--mnist-batch", type=int, nargs="+", default=[1, 64, 128, 1024])
    p.add_argument("--resnet-batch", type=int, nargs="+", default=[1, 8, 32])
    p.add_argument("--bert-batch", type=int, nargs="+", default=[1, 8])
    p.add_argument("--seq-len", type=int, default=128)
    p.add_argument("--matmul-sizes", type=int, nargs="+", default=[512, 1024, 2048])
    p.add_argument("--copy-mib", type=int, default=512)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)

    device = resolve_device(args.device)
    threads = set_threads(args.threads)
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    rec = peak_mod.measure_peak({"matmul_sizes": args.matmul_sizes, "copy_mib": args.copy_mib,
                                 "warmup": args.warmup, "repeats": args.repeats}, device, log)
    args.out.mkdir(parents=True, exist_ok=True)
    write_json(args.out / "peak.json", rec)

    specs = dict(SPECS)
    specs["resnet18"] = {"source": "torchvision", "name": "resnet18", "image_size": 224}
    specs["bert-base"] = {"source": "transformers", "name": "BertConfig", "seq_len": args.seq_len}
    batches = {"resnet18": args.resnet_batch, "bert-base": args.bert_batch}
    rows, traffic = [], {}
    for name, spec in specs.items():
        model = build(spec).to(device).eval()
        one = example_batch(spec, model, 1)
        macs1 = aten_macs(model, (one.to(device),))["macs"]  # one sample
        traffic[name] = roofline.model_traffic(spec)
        for bs in batches.get(name, args.mnist_batch):
            x = one.repeat(bs, *[1] * (one.dim() - 1)).to(device)
            if x.dtype.is_floating_point:
                x = torch.randn_like(x)
            s = timing.latency(model, x, device, {"warmup": args.warmup, "repeats": args.repeats})
            log(f"{name} bs{bs}: {s['latency_median_s'] * 1e3:.3f} ms")
            rows.append({"source": "standalone", "experiment": "standalone", "label": name, "model": name,
                         "batch_size": bs, **{k: v for k, v in s.items() if k != "latency_samples_s"},
                         "macs_per_batch": macs1 * bs, "device": device.type, "threads": threads})
    frame = roofline.analyse(pd.DataFrame(rows), traffic, rec["peak"])
    write_csv(args.out / "roofline.csv", frame)
    env = rec["environment"]
    roofline.plot(frame, rec["peak"], [str(args.out / "roofline.svg"), str(args.out / "roofline.png")],
                  title=f"Roofline on {env['device_name']} ({device.type}, {threads} threads), measured ceilings")
    print(rec["peak"])
    print(frame[["model", "batch_size", "latency_median_s", "achieved_gflops", "pct_of_peak_fp32",
                 "arithmetic_intensity_flop_per_byte", "latency_over_roofline_time"]].to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
