"""Precision study (the lab's Q4, measured): one trained model run in FP32, BF16 autocast and INT8 dynamic.

Modes:

* fp32: the trained model as is.
* bf16: the same fp32 weights under `torch.autocast(device, dtype=torch.bfloat16)`. Autocast casts the
  inputs and weights of matmul/conv ops to bf16 *per call* (the stored weights stay fp32, so the model's
  size does not change); ops on autocast's fp32 list (e.g. softmax, layer norm, loss) stay fp32.
* int8: `torch.ao.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)`. Every Linear's
  weight is stored as int8 with one fp32 scale and zero point per tensor; at run time each Linear
  quantizes its fp32 input to uint8 with a scale from that batch's min/max, multiplies int8 x uint8 into
  int32 accumulators, and returns fp32. Conv layers are *not* quantized by dynamic quantization (the
  CNN's convs stay fp32). Quantized kernels exist only on the CPU, so this mode always runs there.

What the table records is read off tensors, not assumed: `input_dtype` (the tensor given to the model),
`output_dtype` (the tensor it returns), `weight_dtypes` (each leaf layer's stored weight, e.g.
`DynamicQuantizedLinear=torch.qint8`) and `activation_dtypes` (the dtype of each leaf layer's output in
that mode, read by the layer walker mlalab.measure.walker). The uint8 activations and int32 accumulators
inside a dynamic quantized Linear live only inside the kernel and are not visible as tensors.

Model size: `state_dict_bytes` is the length of `torch.save(model.state_dict())`, so packed int8
weights, their scales and the pickle framing are counted as a file would hold them; `tensor_bytes` is the
raw data of every tensor in the state dict (packed int8 weights at 1 byte per element).
"""

from __future__ import annotations

import copy
import io
import math
import warnings
from dataclasses import dataclass

import torch
from torch import nn

from mlalab.measure import walker
from mlalab.measure.walker import nbytes, tensors

MODES = ("fp32", "bf16", "int8")


@dataclass
class Variant:
    mode: str
    model: nn.Module
    device: torch.device
    autocast_dtype: torch.dtype | None = None


def bf16_supported(device: torch.device) -> bool:
    """True where bf16 matmul runs natively (CUDA with bf16 support; CPU with AVX512-BF16/AMX via oneDNN)."""
    if device.type == "cuda":
        return bool(torch.cuda.is_bf16_supported())
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def prepare(model: nn.Module, mode: str, device: torch.device) -> Variant:
    """A copy of `model` set up for `mode` (the original is left untouched)."""
    model = copy.deepcopy(model).eval()
    if mode == "fp32":
        return Variant(mode, model.to(device), device)
    if mode == "bf16":
        if not bf16_supported(device):
            raise RuntimeError(f"bf16 is not supported on this {device.type}")
        return Variant(mode, model.to(device), device, torch.bfloat16)
    if mode == "int8":
        cpu = torch.device("cpu")
        with warnings.catch_warnings():  # torch.ao.quantization's deprecation notices, once per call
            warnings.simplefilter("ignore", (DeprecationWarning, UserWarning))
            q = torch.ao.quantization.quantize_dynamic(model.to(cpu), {nn.Linear}, dtype=torch.qint8)
        return Variant(mode, q, cpu)
    raise ValueError(f"unknown precision mode {mode!r}; known: {MODES}")


def forward(v: Variant, x: torch.Tensor):
    with torch.inference_mode():
        if v.autocast_dtype is not None:
            with torch.autocast(v.device.type, dtype=v.autocast_dtype):
                return v.model(x.to(v.device))
        return v.model(x.to(v.device))


def main_output(out) -> torch.Tensor:
    """The tensor a model returns (logits for the MNIST models, last_hidden_state for a bare BERT)."""
    if isinstance(out, torch.Tensor):
        return out
    for key in ("logits", "last_hidden_state"):
        if hasattr(out, key):
            return getattr(out, key)
    if isinstance(out, (tuple, list)):
        return out[0]
    raise TypeError(f"cannot find the output tensor of {type(out).__name__}")


# ---- size -------------------------------------------------------------------------------------------------

def state_dict_bytes(model: nn.Module) -> int:
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    return buf.getbuffer().nbytes


def tensor_bytes(model: nn.Module) -> int:
    """Raw bytes of every tensor in the state dict, packed quantized weights included (int8 = 1 byte)."""
    total = 0
    for t in tensors(dict(model.state_dict())):
        total += nbytes(t)
    return total


# ---- dtypes, read off the tensors -------------------------------------------------------------------------

def _join(d: dict[str, set]) -> str:
    return ";".join(f"{k}={','.join(sorted(v))}" for k, v in d.items())


def dtypes(v: Variant, x: torch.Tensor) -> dict:
    """input/output dtype, stored weight dtypes and leaf-output dtypes per layer type, from one forward."""
    weights: dict[str, set] = {}
    acts: dict[str, set] = {}
    leaf_modules = [m for _, m in walker.leaves(v.model)]
    for m in leaf_modules:
        w = walker.stored_weight(m)
        if w is not None:
            weights.setdefault(walker.kind(m), set()).add(str(w.dtype))
    walk = walker.walk(v.model, run=lambda: forward(v, x))
    for call in walk.calls:
        if call.output_dtype is not None:
            acts.setdefault(call.type, set()).add(str(call.output_dtype))
    quantized = [m for m in leaf_modules if walker.is_quantized(m)]
    return {"input_dtype": str(x.dtype), "output_dtype": str(main_output(walk.output).dtype),
            "weight_dtypes": _join(weights), "activation_dtypes": _join(acts), "quantized_layers": len(quantized)}


def linear_weight_dtypes(model: nn.Module) -> list[torch.dtype]:
    """Stored weight dtype of every Linear-like leaf (float Linear or dynamic quantized Linear)."""
    ws = [walker.stored_weight(m) for _, m in walker.leaves(model) if "Linear" in type(m).__name__]
    return [w.dtype for w in ws if w is not None]


# ---- accuracy ---------------------------------------------------------------------------------------------

def predictions(v: Variant, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """Model outputs for all of `x` (in batches), as fp32 on the CPU."""
    outs = [main_output(forward(v, x[i:i + batch_size])).float().cpu() for i in range(0, len(x), batch_size)]
    return torch.cat(outs)


def quality(out: torch.Tensor, reference: torch.Tensor, labels: torch.Tensor | None) -> dict:
    """Accuracy (if labels), agreement of argmax with the fp32 reference, and relative output error."""
    rec = {"accuracy": math.nan, "test_samples": len(out)}
    if labels is not None:
        rec["accuracy"] = (out.argmax(-1) == labels).float().mean().item()
    rec["agreement_with_fp32"] = (out.argmax(-1) == reference.argmax(-1)).float().mean().item()
    rec["rel_error_vs_fp32"] = ((out - reference).norm() / reference.norm().clamp_min(1e-30)).item()
    return rec
