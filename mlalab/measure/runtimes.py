"""Part 3's runtimes: one model run by PyTorch eager (fp32 or bf16 autocast), `torch.compile`, or its exported
ONNX file in ONNX Runtime; each as a callable the timing harness times, and the output's agreement with eager
fp32 (the reference every runtime must reproduce, so an export is proven, not only drawn).

ONNX Runtime uses its CUDA provider on a GPU when the installed onnxruntime has one, else the CPU provider,
with as many intra-op threads as torch was given (the job's cores). Its inputs are numpy arrays on the host:
on a GPU the copy in and out is part of each timed call, as it is for anyone serving the model that way.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable

import torch

from mlalab.measure import precision as modes


@dataclass
class Runner:
    """One forward of the prepared model on the prepared batch: `call()` returns the main output tensor;
    `run(x)` is the same forward on any batch of the same kind (a LoadGen system under test forms its own)."""
    call: Callable[[], torch.Tensor]
    device: torch.device
    detail: str
    run: Callable[[torch.Tensor], torch.Tensor]


def _eager(net, x, precision: str, device: torch.device, compiled: bool) -> Runner:
    v = modes.prepare(net, precision, device)
    if compiled:
        v = dataclasses.replace(v, model=torch.compile(v.model))
    xd = x.to(v.device)

    def run(batch):
        return modes.main_output(modes.forward(v, batch))

    return Runner(lambda: run(xd), v.device, "torch.compile (inductor)" if compiled else "eager", run)


def providers(device: torch.device) -> list[str]:
    import onnxruntime as ort

    have = ort.get_available_providers()
    if device.type == "cuda" and "CUDAExecutionProvider" in have:
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


def _onnxruntime(onnx_path, x, precision: str, device: torch.device) -> Runner:
    import onnxruntime as ort

    if precision != "fp32":
        raise ValueError(f"the ONNX file is fp32; onnxruntime runs no {precision} variant here")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = torch.get_num_threads()
    opts.log_severity_level = 3
    sess = ort.InferenceSession(str(onnx_path), opts, providers=providers(device))
    name, first = sess.get_inputs()[0].name, sess.get_outputs()[0].name

    def run(batch):
        return torch.from_numpy(sess.run([first], {name: batch.cpu().numpy()})[0])

    xc = x.cpu()
    used = sess.get_providers()[0]
    return Runner(lambda: run(xc), torch.device("cuda") if used == "CUDAExecutionProvider" else torch.device("cpu"),
                  f"onnxruntime {ort.__version__} {used}", run)


def prepare(engine: str, net: torch.nn.Module, x: torch.Tensor, precision: str, device: torch.device,
            onnx_path=None) -> Runner:
    """`net`: the eager model (fp32, seed 0) the ONNX file was exported from."""
    if engine in ("eager", "compile"):
        return _eager(net, x, precision, device, engine == "compile")
    if engine == "onnxruntime":
        if onnx_path is None:
            raise ValueError("onnxruntime needs the model's ONNX file")
        return _onnxruntime(onnx_path, x, precision, device)
    raise ValueError(f"unknown runtime {engine!r}: eager, compile or onnxruntime")


def reference(net: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Eager fp32 output on the CPU: the one every runtime is compared with."""
    with torch.inference_mode():
        return modes.main_output(net.eval().cpu()(x.cpu())).float()


def agreement(ref: torch.Tensor, out: torch.Tensor) -> dict:
    """max |out - ref| and that over max |ref| (a relative error that does not blow up where ref is ~0)."""
    out = out.detach().float().cpu()
    if out.shape != ref.shape:
        raise RuntimeError(f"output shape {tuple(out.shape)} differs from eager fp32's {tuple(ref.shape)}")
    diff = (out - ref).abs().max().item()
    scale = ref.abs().max().item()
    return {"output_max_abs_error": diff, "output_max_rel_error": diff / scale if scale else float("nan")}
