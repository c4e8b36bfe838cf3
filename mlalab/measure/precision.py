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
import warnings
from dataclasses import dataclass

import torch
from torch import nn

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
