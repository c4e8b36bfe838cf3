"""Build the lab's MNIST models from a plain spec dict (the config's `model:` after variant overrides)."""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

INPUT_SHAPE = (1, 28, 28)
NUM_CLASSES = 10


def build_mlp(hidden: list[int], batchnorm: bool = False) -> nn.Sequential:
    layers: dict[str, nn.Module] = {"flatten": nn.Flatten()}
    width = INPUT_SHAPE[0] * INPUT_SHAPE[1] * INPUT_SHAPE[2]
    for i, h in enumerate(hidden, 1):
        layers[f"fc{i}"] = nn.Linear(width, h)
        if batchnorm:
            layers[f"bn{i}"] = nn.BatchNorm1d(h)
        layers[f"relu{i}"] = nn.ReLU()
        width = h
    layers["fc_out"] = nn.Linear(width, NUM_CLASSES)
    return nn.Sequential(OrderedDict(layers))


def build_cnn(channels: list[int], kernel: int = 3, fc: int = 128) -> nn.Sequential:
    if kernel % 2 == 0:
        raise ValueError(f"cnn kernel must be odd for 'same' padding, got kernel={kernel}")
    layers: dict[str, nn.Module] = {}
    c_in, side = INPUT_SHAPE[0], INPUT_SHAPE[1]
    for i, c_out in enumerate(channels, 1):
        layers[f"conv{i}"] = nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2)
        layers[f"relu{i}"] = nn.ReLU()
        layers[f"pool{i}"] = nn.MaxPool2d(2)
        c_in, side = c_out, side // 2
    if side < 1:
        raise ValueError(f"cnn with {len(channels)} pooled conv layers shrinks a 28x28 input below 1x1")
    layers["flatten"] = nn.Flatten()
    layers["fc1"] = nn.Linear(c_in * side * side, fc)
    layers["relu_fc1"] = nn.ReLU()
    layers["fc_out"] = nn.Linear(fc, NUM_CLASSES)
    return nn.Sequential(OrderedDict(layers))


BUILDERS = {"mlp": build_mlp, "cnn": build_cnn}


def build_model(kind: str, model: dict) -> nn.Sequential:
    """`model` holds only architecture keys (`label` and the like are dropped by the caller)."""
    try:
        builder = BUILDERS[kind]
    except KeyError:
        raise ValueError(f"unknown model kind {kind!r}; known: {sorted(BUILDERS)}") from None
    return builder(**model)


def example_input(batch: int, device: str | torch.device = "cpu", dtype=torch.float32) -> torch.Tensor:
    return torch.randn(batch, *INPUT_SHAPE, device=device, dtype=dtype)


def count_params(model: nn.Module) -> tuple[int, int]:
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return total, trainable
