"""Train and evaluate an MNIST model on in-memory tensors (no DataLoader, no per-sample transforms)."""

from __future__ import annotations

import time
from typing import Callable

import torch
from torch import nn


def make_optimizer(model: nn.Module, training: dict) -> torch.optim.Optimizer:
    name = training["optimizer"]
    if name == "sgd":
        return torch.optim.SGD(model.parameters(), lr=training["lr"], momentum=training["momentum"])
    if name == "adam":
        return torch.optim.Adam(model.parameters(), lr=training["lr"])
    raise ValueError(f"training.optimizer must be sgd or adam, got {name!r}")


def deterministic(seed: int) -> dict:
    """Same config + seed on CPU -> identical weights, batches and accuracy."""
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    return {"seed": seed, "torch.use_deterministic_algorithms": True}


def train(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int, training: dict, seed: int,
          device: torch.device, progress: Callable[[str], None] = print, progress_every_s: float = 10.0,
          watch: Callable[[], set[str]] | None = None) -> dict:
    """SGD over shuffled mini-batches; times the training loop only (data is already on the device). `watch()`
    names what runs beside it (mlalab.isolation.running_jobs), sampled with each progress line: `beside_jobs`."""
    seen = set(watch()) if watch else set()
    if batch_size > len(x):
        raise ValueError(f"batch_size {batch_size} is larger than the {len(x)} training samples")
    model.to(device).train()
    x, y = x.to(device), y.to(device)
    opt = make_optimizer(model, training)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(seed)
    steps_per_epoch = (len(x) + batch_size - 1) // batch_size
    epoch_times, epoch_losses = [], []
    for epoch in range(training["epochs"]):
        # One gather per epoch, then each batch is a contiguous slice (a view): no per-step indexing.
        order = torch.randperm(len(x), generator=gen).to(device)
        xs, ys = x[order], y[order]
        last_report = time.perf_counter()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        t0 = time.perf_counter()
        for step in range(steps_per_epoch):
            lo = step * batch_size
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xs[lo:lo + batch_size]), ys[lo:lo + batch_size])
            loss.backward()
            opt.step()
            if time.perf_counter() - last_report > progress_every_s:
                loss_value = loss.item()
                progress(f"epoch {epoch + 1}/{training['epochs']} step {step + 1}/{steps_per_epoch} "
                         f"elapsed {time.perf_counter() - t0:.1f}s loss {loss_value:.4f}")
                last_report = time.perf_counter()
                seen.update(watch() if watch else ())
        final_loss = loss.item()  # also synchronizes on CUDA
        epoch_times.append(time.perf_counter() - t0)
        epoch_losses.append(final_loss)
        progress(f"epoch {epoch + 1} done in {epoch_times[-1]:.2f}s, last batch loss {final_loss:.4f}")
    if not all(torch.isfinite(torch.tensor(epoch_losses))):
        progress(f"warning: training loss is not finite ({epoch_losses}); lower lr or raise batch size")
    return {
        "train_time_s": sum(epoch_times),
        "epoch_times_s": epoch_times,
        "train_time_per_epoch_s": sum(epoch_times) / len(epoch_times),
        "last_batch_loss": epoch_losses,
        "steps_per_epoch": steps_per_epoch,
        "train_samples": len(x),
        **({"beside_jobs": ";".join(sorted(seen | set(watch())))} if watch else {}),
    }


@torch.inference_mode()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, device: torch.device, batch_size: int = 1000) -> dict:
    model.to(device).eval()
    correct, loss_sum = 0, 0.0
    loss_fn = nn.CrossEntropyLoss(reduction="sum")
    for i in range(0, len(x), batch_size):
        xb, yb = x[i:i + batch_size].to(device), y[i:i + batch_size].to(device)
        out = model(xb)
        loss_sum += loss_fn(out, yb).item()
        correct += (out.argmax(1) == yb).sum().item()
    return {"accuracy": correct / len(x), "test_loss": loss_sum / len(x), "test_samples": len(x)}
