"""MACs three ways, so each figure is cross-checked:

- thop: per-module rules (Linear: in x out; Conv: out elements x Cin/groups x kh x kw), plus small
  element-wise counts for BatchNorm/ReLU depending on thop's rules; functional ops are invisible to it.
- aten: torch.utils.flop_counter traces the matrix/conv ops actually dispatched; it reports FLOPs (2 per MAC).
- analytic: the textbook formula from each Conv2d/Linear's shapes (a forward hook reads the output size).

One MAC is one multiply plus one add of a product into an accumulator.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

GEMM_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


def macs_thop(model: nn.Module, *inputs) -> dict:
    """thop's total, per leaf module, and the share of it in conv/linear layers (thop removes its hooks
    and buffers afterwards, so the model is left as it was)."""
    import thop

    was_training = model.training
    model.eval()
    with torch.no_grad():
        total, _params, tree = thop.profile(model, inputs=inputs, verbose=False, ret_layer_info=True)
    model.train(was_training)
    per_module: dict[str, int] = {}

    def walk(prefix, node):
        for name, (ops, _p, children) in node.items():
            full = f"{prefix}.{name}" if prefix else name
            if children:
                walk(full, children)
            else:
                per_module[full] = int(ops)

    walk("", tree)
    modules = dict(model.named_modules())
    gemm = sum(ops for name, ops in per_module.items() if isinstance(modules.get(name), GEMM_LAYERS))
    return {"total": int(total), "conv_linear": int(gemm), "per_module": per_module}


def macs_aten(model: nn.Module, *inputs, **kwargs) -> dict:
    """MACs of the aten matmul/conv ops that really run: FlopCounterMode's FLOPs / 2, also per op type."""
    model.eval()
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(*inputs, **kwargs)
    per_op = {str(op).split(".")[-1] if "." in str(op) else str(op): n // 2
              for op, n in counter.get_flop_counts().get("Global", {}).items()}
    return {"total": counter.get_total_flops() // 2, "per_op": per_op}


def macs_analytic(model: nn.Module, x: torch.Tensor) -> dict:
    """Sum over Conv/Linear layers of output elements x multiplies per output element; per layer too."""
    per_layer: dict[str, int] = {}
    hooks = []

    def hook(name):
        def fn(module, inputs, output):
            if isinstance(module, nn.Linear):
                per_out = module.in_features
            else:
                per_out = (module.in_channels // module.groups) * int(torch.tensor(module.kernel_size).prod())
            per_layer[name] = per_layer.get(name, 0) + output.numel() * per_out
        return fn

    for name, m in model.named_modules():
        if isinstance(m, GEMM_LAYERS):
            hooks.append(m.register_forward_hook(hook(name)))
    try:
        model.eval()
        with torch.no_grad():
            model(x)
    finally:
        for h in hooks:
            h.remove()
    return {"total": sum(per_layer.values()), "per_layer": per_layer}


def count_all(model: nn.Module, x: torch.Tensor) -> dict:
    """MACs for the batch `x` by all three counters, and per sample."""
    batch = x.shape[0]
    thop_ = macs_thop(model, x)
    aten = macs_aten(model, x)
    analytic = macs_analytic(model, x)
    return {
        "batch": batch,
        "thop_total": thop_["total"],
        "thop_conv_linear": thop_["conv_linear"],
        "aten": aten["total"],
        "aten_per_op": aten["per_op"],
        "analytic": analytic["total"],
        "analytic_per_layer": analytic["per_layer"],
        "per_sample": {
            "thop_total": thop_["total"] / batch,
            "thop_conv_linear": thop_["conv_linear"] / batch,
            "aten": aten["total"] / batch,
            "analytic": analytic["total"] / batch,
        },
    }
