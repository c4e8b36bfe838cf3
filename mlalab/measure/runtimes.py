"""The one runtime interface: how a model is executed, keyed by (runtime, precision). PyTorch eager (fp32, bf16
autocast, int8 dynamic quantization, mlalab.measure.precision), `torch.compile` of the same, or the model's
exported ONNX file in ONNX Runtime (fp32). Each prepares a Runner, the callable the timing harness times (and a
LoadGen system under test calls), and the output's agreement with eager fp32 is measured the same way for all
(the reference every runtime must reproduce, so an export is proven, not only drawn). The next runtime is one
Runtime subclass listed in RUNTIMES.

ONNX Runtime uses its CUDA provider on a GPU when the installed onnxruntime has one, else the CPU provider,
with as many intra-op threads as torch was given (the job's cores). Its inputs are numpy arrays on the host:
on a GPU the copy in and out is part of each timed call, as it is for anyone serving the model that way.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable, ClassVar

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
    is_reference: bool = False   # eager fp32 on the CPU: its own output is the reference


class Runtime:
    """Prepares a model to run in one runtime at one precision. `needs_onnx`: prepare() reads the model's ONNX
    file (the rule's input)."""
    name: ClassVar[str]
    precisions: ClassVar[tuple[str, ...]]
    needs_onnx: ClassVar[bool] = False

    def __init__(self, precision: str):
        self.precision = precision

    def prepare(self, net: torch.nn.Module, x: torch.Tensor, device: torch.device, onnx_path=None) -> Runner:
        """`net`: the eager model (fp32, seed 0; the one the ONNX file was exported from); `x`: the timed batch."""
        raise NotImplementedError


class Eager(Runtime):
    """PyTorch eager at a precision of mlalab.measure.precision (fp32; bf16 autocast; int8 dynamic, on the CPU)."""
    name, precisions, detail = "eager", modes.MODES, "eager"
    reference_kernels = True   # eager fp32 on the CPU runs what reference() runs: its output is the reference

    def _model(self, model: torch.nn.Module) -> torch.nn.Module:
        return model

    def prepare(self, net, x, device, onnx_path=None) -> Runner:
        v = modes.prepare(net, self.precision, device)
        v = dataclasses.replace(v, model=self._model(v.model))
        xd = x.to(v.device)

        def run(batch):
            return modes.main_output(modes.forward(v, batch))

        return Runner(lambda: run(xd), v.device, self.detail, run, is_reference=self.reference_kernels
                      and self.precision == "fp32" and v.device.type == "cpu")


class Compile(Eager):
    """torch.compile (inductor) of the eager model at its precision."""
    name, precisions, detail = "compile", ("fp32", "bf16"), "torch.compile (inductor)"
    reference_kernels = False

    def _model(self, model):
        return torch.compile(model)


def providers(device: torch.device) -> list[str]:
    import onnxruntime as ort

    have = ort.get_available_providers()
    if device.type == "cuda" and "CUDAExecutionProvider" in have:
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


class OnnxRuntime(Runtime):
    """The ONNX file is fp32: ONNX Runtime runs no other precision of it here."""
    name, precisions, needs_onnx = "onnxruntime", ("fp32",), True

    def prepare(self, net, x, device, onnx_path=None) -> Runner:
        import onnxruntime as ort

        if onnx_path is None:
            raise ValueError("onnxruntime needs the model's ONNX file")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = torch.get_num_threads()
        opts.log_severity_level = 3
        sess = ort.InferenceSession(str(onnx_path), opts, providers=providers(device))
        name, first = sess.get_inputs()[0].name, sess.get_outputs()[0].name

        def run(batch):
            return torch.from_numpy(sess.run([first], {name: batch.cpu().numpy()})[0])

        xc = x.cpu()
        used = sess.get_providers()[0]
        return Runner(lambda: run(xc),
                      torch.device("cuda") if used == "CUDAExecutionProvider" else torch.device("cpu"),
                      f"onnxruntime {ort.__version__} {used}", run)


RUNTIMES: dict[tuple[str, str], type[Runtime]] = {(r.name, p): r for r in (Eager, Compile, OnnxRuntime)
                                                  for p in r.precisions}


def get(runtime: str, precision: str) -> Runtime:
    """The runtime of a (runtime, precision) pair, e.g. ("onnxruntime", "fp32")."""
    kind = RUNTIMES.get((runtime, precision))
    if kind is None:
        raise ValueError(f"no runtime {runtime!r} at precision {precision!r}; known: "
                         + ", ".join(f"{r}/{p}" for r, p in RUNTIMES))
    return kind(precision)


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
