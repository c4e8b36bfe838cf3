"""Benchmark (not a test): the pipeline's training data path vs the usual torchvision one.

Trains the 256x3 MLP with plain SGD for a fixed number of steps at batch 64 and at batch 1, twice:
  pipeline: IDX files read once into normalized tensors, one shuffle per epoch, contiguous slices;
  peer:     torchvision.datasets.MNIST + DataLoader with ToTensor/Normalize (PIL per sample).
Same model, optimizer, thread count and steps; prints seconds and the speed-up.

    python benchmarks/data_path.py --data results/quick/data/mnist [--steps64 938] [--steps1 5000]
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

from mlalab.measure.models import build_model
from mlalab.plan.mnist import FILES
from mlalab.stages.data import MEAN, STD, load_split
from mlalab.stages.training import train

TRAINING = {"optimizer": "sgd", "lr": 0.01, "momentum": 0.0, "epochs": 1}


def pipeline(data_dir: Path, batch: int, steps: int) -> float:
    x, y = load_split(data_dir, "train", subset=steps * batch)
    torch.manual_seed(0)
    model = build_model("mlp", {"hidden": [256, 256, 256]})
    return train(model, x, y, batch, TRAINING, 0, torch.device("cpu"), progress=lambda m: None)["train_time_s"]


def peer(data_dir: Path, batch: int, steps: int) -> float:
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    with tempfile.TemporaryDirectory() as root:
        raw = Path(root) / "MNIST" / "raw"
        raw.mkdir(parents=True)
        for name in FILES:
            (raw / name).symlink_to(Path(data_dir, name).resolve())
        ds = datasets.MNIST(root, train=True, download=False,
                            transform=transforms.Compose([transforms.ToTensor(), transforms.Normalize((MEAN,), (STD,))]))
        loader = DataLoader(ds, batch_size=batch, shuffle=True)
        torch.manual_seed(0)
        model = build_model("mlp", {"hidden": [256, 256, 256]})
        opt = torch.optim.SGD(model.parameters(), lr=TRAINING["lr"], momentum=TRAINING["momentum"])
        loss_fn = nn.CrossEntropyLoss()
        t0 = time.perf_counter()
        for xb, yb in itertools.islice(loader, steps):
            opt.zero_grad(set_to_none=True)
            loss_fn(model(xb), yb).backward()
            opt.step()
        return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("results/quick/data/mnist"))
    ap.add_argument("--steps64", type=int, default=938, help="steps at batch 64 (938 = one epoch)")
    ap.add_argument("--steps1", type=int, default=5000, help="steps at batch 1")
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"threads {torch.get_num_threads()}, torch {torch.__version__}")
    for batch, steps in ((64, args.steps64), (1, args.steps1)):
        ours, theirs = pipeline(args.data, batch, steps), peer(args.data, batch, steps)
        print(f"batch {batch:>3}, {steps} steps: pipeline {ours:.2f}s, torchvision DataLoader {theirs:.2f}s, "
              f"speed-up {theirs / ours:.2f}x")


if __name__ == "__main__":
    main()
