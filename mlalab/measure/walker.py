"""The lab's one layer walker: forward hooks on every leaf module record, per call, what flows through it.

Everything read off the layers of a forward pass is built here from one list of `Call`s: the per-layer table
(weights, activation shapes and bytes at several batch sizes), the dtypes that flow (Q4), the Part 3 memory
table (mlalab.measure.memory), the roofline's traffic estimate (mlalab.stages.roofline) and the precision
study's activation dtypes (mlalab.measure.precision).

A leaf is a module without children, or a quantized module (its packed-params child is storage that is never
called). A module called twice (ResNet's BasicBlock reuses its ReLU) gives one `Call` per call.
Only metadata is kept, never the tensors, so walking a large batch costs no more memory than running it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn


@dataclass
class Call:
    name: str                 # dotted path from the walked root ('' when the root itself is the leaf)
    module: nn.Module
    type: str                 # see `kind`
    input_shape: list | None  # first tensor among the call's arguments
    input_dtype: torch.dtype | None
    output_shape: list | None  # first tensor of the output
    output_dtype: torch.dtype | None
    output_bytes: int         # every output tensor
    new_output_bytes: int     # output tensors not sharing storage with an input (in-place ops, views: 0)


@dataclass
class Walk:
    calls: list[Call]
    output: object            # what the model returned


def nbytes(t: torch.Tensor) -> int:
    return t.numel() * t.element_size()


def _storage(t: torch.Tensor) -> int:
    try:
        return t.untyped_storage().data_ptr()
    except (RuntimeError, NotImplementedError):  # sparse / quantized tensors have no plain storage
        return t.data_ptr()


def dtype_name(dtype: torch.dtype | None) -> str | None:
    """'float32' for torch.float32: the spelling of the lab's profile records and layer tables."""
    return str(dtype).removeprefix("torch.") if dtype is not None else None


def tensors(obj):
    """Every tensor inside a (possibly nested) output: tuples, lists, dicts, transformers ModelOutputs."""
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, (tuple, list)):
        for o in obj:
            yield from tensors(o)
    elif isinstance(obj, Mapping):   # a transformers ModelOutput is an OrderedDict
        for o in obj.values():
            yield from tensors(o)


def is_quantized(m: nn.Module) -> bool:
    return type(m).__module__.startswith("torch.ao.nn.quantized")


def kind(m: nn.Module) -> str:
    """Layer type name; quantized modules get a prefix (a dynamic quantized Linear is also named 'Linear')."""
    return f"quantized.{type(m).__name__}" if is_quantized(m) else type(m).__name__


def stored_weight(m: nn.Module) -> torch.Tensor | None:
    """The weight as stored (a quantized module's packed int8 weight, which it exposes as a method)."""
    w = getattr(m, "weight", None)
    if callable(w) and not isinstance(w, torch.Tensor):
        w = w()
    return w if isinstance(w, torch.Tensor) else None


def leaves(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """(name, module) of every leaf in definition order, a module shared by two parents listed once."""
    out, seen = [], set()

    def visit(prefix: str, m: nn.Module) -> None:
        if id(m) in seen:
            return
        seen.add(id(m))
        children = list(m.named_children())
        if not children or is_quantized(m):
            out.append((prefix, m))
            return
        for name, child in children:
            visit(f"{prefix}.{name}" if prefix else name, child)

    visit("", model)
    return out


def walk(model: nn.Module, inputs: tuple = (), kwargs: dict | None = None,
         run: Callable[[], object] | None = None) -> Walk:
    """Run one forward with hooks on every leaf: `model(*inputs, **kwargs)` in eval mode without grad, or
    `run()` where the caller sets up the forward itself (autocast, inference mode)."""
    kwargs = kwargs or {}
    calls: list[Call] = []

    def hook(name):
        def fn(module, args, kw, output):
            ins = list(tensors((args, kw)))
            outs = list(tensors(output))
            in_ptrs = {_storage(t) for t in ins}
            first_in, first_out = (ins[0] if ins else None), (outs[0] if outs else None)
            calls.append(Call(
                name=name, module=module, type=kind(module),
                input_shape=list(first_in.shape) if first_in is not None else None,
                input_dtype=first_in.dtype if first_in is not None else None,
                output_shape=list(first_out.shape) if first_out is not None else None,
                output_dtype=first_out.dtype if first_out is not None else None,
                output_bytes=sum(nbytes(t) for t in outs),
                new_output_bytes=sum(nbytes(t) for t in outs if _storage(t) not in in_ptrs)))
        return fn

    hooks = [m.register_forward_hook(hook(name), with_kwargs=True) for name, m in leaves(model)]
    was_training = model.training
    try:
        if run is None:
            model.eval()
            with torch.no_grad():
                output = model(*inputs, **kwargs)
        else:
            output = run()
    finally:
        model.train(was_training)
        for h in hooks:
            h.remove()
    return Walk(calls, output)


# ---- the per-layer table ---------------------------------------------------------------------------------

def _shape(t) -> list[int] | None:
    return list(t.shape) if isinstance(t, torch.Tensor) else None


def param_info(module: nn.Module) -> dict:
    """The module's own parameters and buffers (not its children's)."""
    w = getattr(module, "weight", None)
    b = getattr(module, "bias", None)
    own = list(module.parameters(recurse=False))
    return {
        "weight_shape": _shape(w) if isinstance(w, nn.Parameter) else None,
        "bias_shape": _shape(b) if isinstance(b, nn.Parameter) else None,
        "weight_bytes": nbytes(w) if isinstance(w, nn.Parameter) else 0,
        "bias_bytes": nbytes(b) if isinstance(b, nn.Parameter) else 0,
        "params": sum(p.numel() for p in own),
        "param_bytes": sum(nbytes(p) for p in own),
        "param_dtype": dtype_name(own[0].dtype) if own else None,
        "buffer_bytes": sum(nbytes(x) for x in module.buffers(recurse=False)),
    }


def layer_table(model: nn.Module, make_inputs: Callable[[int], tuple], batches: list[int],
                new_storage: bool = False) -> list[dict]:
    """One row per leaf-module call in execution order, with its parameters and, for each batch b,
    output_shape_b{b} / act_bytes_b{b}. A module called twice has its parameters on its first row only, so
    the columns sum to the model's totals. `new_storage` adds new_act_bytes_b{b}: the output bytes that do
    not share storage with the call's input (an in-place ReLU or a view allocates nothing), so a sum over
    rows counts each activation storage once."""
    walks = {b: walk(model, make_inputs(b)).calls for b in batches}
    first = walks[batches[0]]
    for b, calls in walks.items():
        if [c.name for c in calls] != [c.name for c in first]:
            raise RuntimeError(f"layer call order differs between batch {batches[0]} and batch {b}")
    rows, seen = [], set()
    for i, call in enumerate(first):
        info = param_info(call.module)
        if id(call.module) in seen:
            info.update(params=0, param_bytes=0, buffer_bytes=0, weight_bytes=0, bias_bytes=0)
        seen.add(id(call.module))
        row = {"index": i, "name": call.name, "type": call.type, **info,
               "input_dtype": dtype_name(call.input_dtype), "output_dtype": dtype_name(call.output_dtype)}
        for b in batches:
            row[f"output_shape_b{b}"] = walks[b][i].output_shape
            row[f"act_bytes_b{b}"] = walks[b][i].output_bytes
            if new_storage:
                row[f"new_act_bytes_b{b}"] = walks[b][i].new_output_bytes
        rows.append(row)
    return rows


def totals(rows: list[dict], batches: list[int]) -> dict:
    """The `name = total` row of a layer table."""
    total = {"index": len(rows), "name": "total", "type": ""}
    for col in ("params", "param_bytes", "weight_bytes", "bias_bytes", "buffer_bytes"):
        total[col] = sum(r[col] for r in rows)
    for b in batches:
        total[f"act_bytes_b{b}"] = sum(r[f"act_bytes_b{b}"] for r in rows)
    return total


def dtypes(model: nn.Module, x: torch.Tensor) -> dict:
    """Q4: the precision of the first layer's input, every parameter, and the model's output."""
    w = walk(model, (x,))
    return {
        "input_dtype": dtype_name(w.calls[0].input_dtype),
        "weight_dtypes": {name: dtype_name(p.dtype) for name, p in model.named_parameters()},
        "output_dtype": dtype_name(next(tensors(w.output)).dtype),
    }
