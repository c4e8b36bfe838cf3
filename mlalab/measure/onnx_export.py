"""ONNX export of the MNIST models and of the Part 3 models, for browsing in Netron and for ONNX Runtime.

The TorchScript exporter (`dynamo=False`) writes one self-contained .onnx file quickly; the torch.export
exporter (`dynamo=True`, needs onnxscript) is the fallback. Every file is checked with onnx.checker.
"""

from __future__ import annotations

import contextlib
import io
import time
import warnings

import torch

from mlalab.io import atomic_path
from mlalab.plan.specs import ModelSpec, TransformersSpec, model_spec


def export(model: torch.nn.Module, args: tuple, path, input_names: list[str], output_names: list[str],
           dynamic_batch: bool = True, opset: int = 17) -> dict:
    """Export `model` called on `args` to `path`; returns which exporter worked, the opset and the time."""
    model = model.eval()
    axes = {n: {0: "batch"} for n in [*input_names, *output_names]} if dynamic_batch else None
    errors = []
    t0 = time.perf_counter()
    with atomic_path(path) as tmp:
        for exporter in ("torchscript", "dynamo"):
            try:
                # the TorchScript exporter prints its whole graph on failure: kept out of the job log
                with (warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()),
                      contextlib.redirect_stderr(io.StringIO())):
                    warnings.simplefilter("ignore")
                    if exporter == "torchscript":
                        torch.onnx.export(model, args, str(tmp), dynamo=False, input_names=input_names,
                                          output_names=output_names, dynamic_axes=axes, opset_version=opset)
                    else:
                        torch.onnx.export(model, args, str(tmp), dynamo=True, input_names=input_names,
                                          output_names=output_names, dynamic_axes=axes, external_data=False)
                break
            except Exception as exc:  # noqa: BLE001 - try the other exporter, report both if both fail
                errors.append(f"{exporter}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
        else:
            raise RuntimeError("ONNX export failed: " + " | ".join(errors))
        import onnx

        onnx.checker.check_model(str(tmp))
        size = tmp.stat().st_size
    return {"exporter": exporter, "opset": opset, "seconds": time.perf_counter() - t0, "bytes": size,
            "errors": errors}


def export_spec(spec: dict | ModelSpec, path, model: torch.nn.Module | None = None) -> dict:
    """One model of the lab (a spec of mlalab.measure.models; random weights, seed 0: the graph is what
    matters) to ONNX, batch dimension dynamic; `model`: the spec's model if the caller built it already.
    Transformers are traced with eager attention, so the graph shows the attention GEMMs."""
    from mlalab.measure import models

    timed, spec = model_spec(spec), model_spec(spec).for_counting()
    if spec != timed:
        model = None   # the timed model may use fused attention: export an eager one
    model = model if model is not None else models.build(spec)
    # batch 2: torch.export specializes a dimension of size 1, so the batch would not stay dynamic
    x = models.example_batch(spec, model, 2)
    if isinstance(spec, TransformersSpec):
        model.config.return_dict = False
        names = ["last_hidden_state"] + (["pooler_output"] if getattr(model, "pooler", None) is not None else [])
        return export(_FirstOutputs(model, len(names)), (x,), path, [spec.input_name], names)
    return export(model, (x,), path, [spec.input_name], ["logits"])


class _FirstOutputs(torch.nn.Module):
    """A transformers model's first `n` outputs: the hidden states (and BERT's pooler output), not the caches
    or attentions some models return beside them, which the exporter cannot name."""

    def __init__(self, model: torch.nn.Module, n: int):
        super().__init__()
        self.model, self.n = model, n

    def forward(self, input_ids):
        out = self.model(input_ids)
        return out[0] if self.n == 1 else tuple(out[: self.n])


def describe(info: dict, path) -> str:
    return (f"exported {path} with the {info['exporter']} exporter, opset {info['opset']}, "
            f"{info['bytes'] / 2**20:.1f} MiB in {info['seconds']:.1f} s"
            + (f"; first tries: {info['errors']}" if info["errors"] else ""))


def export_model(outputs, spec: dict, log) -> None:
    """The onnx rule (the Part 3 networks; MNIST models are exported by their profile job)."""
    log(describe(export_spec(spec, outputs[0]), outputs[0]))
