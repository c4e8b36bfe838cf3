"""Memory of a network at inference: weights vs activations, analytic and measured, and a per-layer table.

- weights: bytes of the parameters (and, separately, of buffers such as BatchNorm running statistics);
- analytic activations: the sum of the new storage written by every leaf-module call (mlalab.measure.walker;
  an in-place op's output, such as ResNet's ReLU(inplace=True), is the storage of its input and counts
  once, with the layer that wrote it; functional ops such as `x + y` are not leaf calls and are not counted);
- measured activations: the distinct storages autograd saves for backward during one forward with grad
  enabled (torch.autograd.graph.saved_tensors_hooks), split into activations, the input batch, and
  weights/buffers (saved by reference, no extra memory). A storage saved by several ops counts once;
- on CUDA, the allocator's peak (torch.cuda.max_memory_allocated) above the resident weights and input,
  for a forward in inference mode and a forward with grad enabled.
"""

from __future__ import annotations

import torch
from torch import nn

from mlalab.measure.counters import params
from mlalab.measure.walker import layer_table, nbytes


def weight_bytes(model: nn.Module) -> dict:
    p = params(model)
    return {"weight_bytes": p["bytes"], "buffer_bytes": p["buffer_bytes"], "params": p["total"]}


def layer_rows(model: nn.Module, x: torch.Tensor) -> list[dict]:
    """The Part 3 per-layer rows at this batch (columns of part3_resnet18_layers.csv): the walker's layer
    table, with `call` numbering the calls of a module called twice (BasicBlock reuses its ReLU)."""
    b = x.shape[0]
    rows, calls = [], {}
    for r in layer_table(model, lambda _: (x,), [b], new_storage=True):
        call = calls.get(r["name"], 0)
        calls[r["name"]] = call + 1
        rows.append({
            "layer": r["name"], "type": r["type"], "call": call,
            "weight_shape": r["weight_shape"] or [], "bias_shape": r["bias_shape"] or [],
            "activation_shape": r[f"output_shape_b{b}"] or [], "activation_dtype": r["output_dtype"] or "",
            "activation_bytes": r[f"act_bytes_b{b}"], "activation_new_bytes": r[f"new_act_bytes_b{b}"],
            "param_count": r["params"],
            "param_bytes": r["param_bytes"], "buffer_bytes": r["buffer_bytes"],
        })
    return rows


def saved_tensor_bytes(model: nn.Module, x: torch.Tensor) -> dict:
    """Bytes of the distinct storages autograd keeps for backward after one forward (eval mode, grad on)."""
    weight_ptrs = {t.untyped_storage().data_ptr() for t in [*model.parameters(), *model.buffers()]}
    input_ptr = x.untyped_storage().data_ptr()
    seen: dict[int, tuple[int, str]] = {}
    n_saved = 0

    def pack(t: torch.Tensor):
        nonlocal n_saved
        n_saved += 1
        storage = t.untyped_storage()
        ptr = storage.data_ptr()
        if ptr not in seen:
            kind = "weights" if ptr in weight_ptrs else "input" if ptr == input_ptr else "activations"
            seen[ptr] = (storage.nbytes(), kind)
        return t          # autograd holds the tensor as usual, so storages stay alive and distinct

    def unpack(t):
        return t

    with torch.enable_grad(), torch.autograd.graph.saved_tensors_hooks(pack, unpack):
        out = model(x)
    totals = {"activations": 0, "input": 0, "weights": 0}
    for size, kind in seen.values():
        totals[kind] += size
    del out
    return {"saved_activation_bytes": totals["activations"], "saved_input_bytes": totals["input"],
            "saved_weight_bytes": totals["weights"], "saved_tensors": n_saved, "saved_storages": len(seen)}


def cuda_peaks(model: nn.Module, x: torch.Tensor) -> dict:
    """Allocator peaks above the resident weights + input, for an inference-mode and a grad-mode forward."""
    device = x.device
    res = {}
    for label, ctx in (("inference", torch.inference_mode), ("grad", torch.enable_grad)):
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
        with ctx():
            out = model(x)
        torch.cuda.synchronize(device)
        res[f"cuda_peak_{label}_bytes"] = torch.cuda.max_memory_allocated(device) - base
        res[f"cuda_retained_{label}_bytes"] = torch.cuda.memory_allocated(device) - base
        del out
    res["cuda_resident_bytes"] = base
    return res


def memory_record(model: nn.Module, x: torch.Tensor) -> dict:
    """Everything the memory table needs at one batch size (x already on the model's device)."""
    model.eval()
    layers = layer_rows(model, x)
    rec = {
        **weight_bytes(model),
        "batch_size": x.shape[0],
        "input_shape": list(x.shape),
        "input_bytes": nbytes(x),
        "activation_bytes_analytic": sum(r["activation_new_bytes"] for r in layers),
        **saved_tensor_bytes(model, x),
    }
    if x.device.type == "cuda":
        rec.update(cuda_peaks(model, x))
    rec["layers"] = layers
    return rec


def crossover_batch(weight_bytes: int, activation_bytes: int, batch_size: int) -> int:
    """Smallest batch at which activations (linear in the batch) exceed the weights."""
    per_sample = activation_bytes / batch_size
    return int(weight_bytes // per_sample) + 1
