"""The per-layer table: weight/bias shapes and bytes, activation (output) shapes and bytes at several
batch sizes, and the dtypes that really flow, all read off the tensors by forward hooks.

Rows follow execution order; a module called twice (e.g. a shared ReLU) gives two rows, and its
parameters are counted on its first row only, so the columns sum to the model's totals.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn


def _shape(t) -> list[int] | None:
    return list(t.shape) if isinstance(t, torch.Tensor) else None


def _first_tensor(x):
    if isinstance(x, torch.Tensor):
        return x
    if isinstance(x, (tuple, list)):
        for item in x:
            t = _first_tensor(item)
            if t is not None:
                return t
    if isinstance(x, dict):
        return _first_tensor(list(x.values()))
    if hasattr(x, "to_tuple"):  # transformers ModelOutput
        return _first_tensor(x.to_tuple())
    return None


def trace_calls(model: nn.Module, inputs: tuple) -> list[dict]:
    """Run `model(*inputs)` once with hooks on every leaf module; one record per call."""
    calls: list[dict] = []
    hooks = []

    def hook(name):
        def fn(module, args, output):
            out, inp = _first_tensor(output), _first_tensor(args)
            calls.append({
                "name": name,
                "module": module,
                "input_shape": _shape(inp),
                "input_dtype": str(inp.dtype).replace("torch.", "") if inp is not None else None,
                "output_shape": _shape(out),
                "output_dtype": str(out.dtype).replace("torch.", "") if out is not None else None,
                "output_bytes": out.numel() * out.element_size() if out is not None else 0,
            })
        return fn

    for name, m in model.named_modules():
        if name and not list(m.children()):
            hooks.append(m.register_forward_hook(hook(name)))
    try:
        with torch.no_grad():
            model(*inputs)
    finally:
        for h in hooks:
            h.remove()
    return calls


def _param_info(module: nn.Module) -> dict:
    w = getattr(module, "weight", None)
    b = getattr(module, "bias", None)
    own = list(module.parameters(recurse=False))
    return {
        "weight_shape": _shape(w) if isinstance(w, nn.Parameter) else None,
        "bias_shape": _shape(b) if isinstance(b, nn.Parameter) else None,
        "weight_bytes": w.numel() * w.element_size() if isinstance(w, nn.Parameter) else 0,
        "bias_bytes": b.numel() * b.element_size() if isinstance(b, nn.Parameter) else 0,
        "params": sum(p.numel() for p in own),
        "param_bytes": sum(p.numel() * p.element_size() for p in own),
        "param_dtype": str(own[0].dtype).replace("torch.", "") if own else None,
        "buffer_bytes": sum(b.numel() * b.element_size() for b in module.buffers(recurse=False)),
    }


def layer_table(model: nn.Module, make_inputs: Callable[[int], tuple], batches: list[int]) -> list[dict]:
    """One row per leaf-module call with parameters and, for each batch b, output_shape_b{b}/act_bytes_b{b}."""
    was_training = model.training
    model.eval()
    traces = {b: trace_calls(model, make_inputs(b)) for b in batches}
    model.train(was_training)
    first = traces[batches[0]]
    for b, calls in traces.items():
        if [c["name"] for c in calls] != [c["name"] for c in first]:
            raise RuntimeError(f"layer call order differs between batch {batches[0]} and batch {b}")
    rows, seen = [], set()
    for i, call in enumerate(first):
        module = call["module"]
        info = _param_info(module)
        if id(module) in seen:  # count each module's parameters once
            info.update(params=0, param_bytes=0, buffer_bytes=0, weight_bytes=0, bias_bytes=0)
        seen.add(id(module))
        row = {"index": i, "name": call["name"], "type": type(module).__name__, **info,
               "input_dtype": call["input_dtype"], "output_dtype": call["output_dtype"]}
        for b in batches:
            row[f"output_shape_b{b}"] = traces[b][i]["output_shape"]
            row[f"act_bytes_b{b}"] = traces[b][i]["output_bytes"]
        rows.append(row)
    return rows


def totals(rows: list[dict], batches: list[int]) -> dict:
    total = {"index": len(rows), "name": "total", "type": "",
             "params": sum(r["params"] for r in rows),
             "param_bytes": sum(r["param_bytes"] for r in rows),
             "weight_bytes": sum(r["weight_bytes"] for r in rows),
             "bias_bytes": sum(r["bias_bytes"] for r in rows),
             "buffer_bytes": sum(r["buffer_bytes"] for r in rows)}
    for b in batches:
        total[f"act_bytes_b{b}"] = sum(r[f"act_bytes_b{b}"] for r in rows)
    return total


def dtypes(model: nn.Module, x: torch.Tensor) -> dict:
    """Q4: the precision of the first layer's input, every layer's weights, and the model's output."""
    calls = trace_calls(model.eval(), (x,))
    with torch.no_grad():
        out = model(x)
    return {
        "input_dtype": calls[0]["input_dtype"],
        "weight_dtypes": {name: str(p.dtype).replace("torch.", "") for name, p in model.named_parameters()},
        "output_dtype": str(out.dtype).replace("torch.", ""),
    }
