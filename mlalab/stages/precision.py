"""Precision study (the lab's Q4, measured): each trained model in FP32, BF16 autocast and INT8 dynamic.

What each mode does and what the columns record: mlalab.measure.precision. This stage measures what depends
on the trained weights (accuracy, agreement with fp32, model size, the dtypes that flow) and reads each
(model, precision, batch size)'s latency from the one timing job's record (mlalab.stages.latency), so the
fp32 rows show exactly the latencies of the experiment and Part 3 tables.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import pandas as pd
import torch
from torch import nn

from mlalab.io import read_json, write_csv
from mlalab.measure import precision as modes
from mlalab.measure import walker
from mlalab.measure.latency_record import LATENCY_COLUMNS
from mlalab.measure.models import build_bert, token_batch
from mlalab.measure.precision import Variant, forward, main_output
from mlalab.measure.walker import nbytes, tensors
from mlalab.runner import is_machine_failure

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


def quality_rows(entries: list[dict], precisions: list[str], device: torch.device,
                 test: tuple[torch.Tensor, torch.Tensor] | None, log=print) -> list[dict]:
    """One row per (model, precision): sizes, accuracy / agreement with fp32, dtypes; or status 'failed'.

    `entries`: dicts with `name`, `model` (an nn.Module, trained for MNIST), `kind` ('mnist' or 'bert'),
    optional `source`/`run`/`seq_len`. `test`: the MNIST test tensors (images, labels) used for accuracy.
    """
    rows = []
    for e in entries:
        if e["kind"] == "bert":
            xq = token_batch(int(e.get("quality_samples", 8)), int(e["seq_len"]), e["model"].config.vocab_size, seed=1)
            yq = None
        else:
            xq, yq = test
        reference = None
        for mode in precisions:
            base = {"model": e["name"], "kind": e["kind"], "source": e.get("source"), "run": e.get("run"),
                    "precision": mode, "seq_len": e.get("seq_len")}
            try:
                v = modes.prepare(e["model"], mode, device)
                sizes = {"state_dict_bytes": state_dict_bytes(v.model), "tensor_bytes": tensor_bytes(v.model)}
                kinds = dtypes(v, xq[:1])
                out = predictions(v, xq, 4 if e["kind"] == "bert" else 1000)
                if mode == "fp32":
                    reference = out
                q = quality(out, reference if reference is not None else out, yq)
                log(f"{e['name']} {mode}: {sizes['state_dict_bytes']:,} B, accuracy {q['accuracy']:.4f}, "
                    f"agreement {q['agreement_with_fp32']:.4f}; {kinds}")
                rows.append({**base, **sizes, **q, **kinds, "status": "ok", "error": None})
            except Exception as ex:  # noqa: BLE001 - recorded as this mode's failure
                if is_machine_failure(ex):   # not a result: the job fails, the next run retries it
                    raise
                log(f"{e['name']} {mode}: failed: {type(ex).__name__}: {ex}")
                rows.append({**base, "status": "failed", "error": f"{type(ex).__name__}: {ex}"[:300]})
    return rows


def with_latency(quality: list[dict], latencies: dict, batch_sizes: dict[str, list[int]]) -> pd.DataFrame:
    """One row per (model, precision, batch size): the quality row joined with that point's latency record."""
    rows = []
    for q in quality:
        for bs in batch_sizes[q["model"]]:
            lat = latencies[(q["model"], q["precision"], bs)]
            row = {**q, "batch_size": bs}
            if lat.get("status") == "ok":
                row.update({k: lat.get(k) for k in LATENCY_COLUMNS if k not in ("precision", "test_set_time_s")})
            elif q["status"] == "ok":
                row.update(status="failed", error=f"latency: {lat.get('error')}")
            rows.append(row)
    first = ["model", "kind", "source", "run", "precision", "batch_size"]
    frame = pd.DataFrame(rows)
    return frame[first + [c for c in frame.columns if c not in first]]


def precision_study(inputs, outputs, precision: dict, models: list[dict], data: dict, bert: dict | None,
                    device: torch.device, log) -> None:
    """The precision rule. `models`: [{name, source, label, run}] trained runs, their model.pt in
    inputs.models; `bert`: Part 3's BERT-base spec where the study includes it; inputs.latency: the records."""
    from mlalab.stages import data as mnist
    from mlalab.stages.mnist import load_trained

    test = mnist.load_split(Path(inputs.data[0]).parent, "test", mnist.subset_of(data, "test"))
    entries = [{**m, "kind": "mnist", "model": load_trained(p)} for m, p in zip(models, inputs.models)]
    batch_sizes = {m["name"]: list(precision["batch_sizes"]) for m in models}
    if bert:
        entries.append({"name": "bert-base", "kind": "bert", "source": "part3", "seq_len": bert["seq_len"],
                        "model": build_bert(bert["attn_implementation"])})
        batch_sizes["bert-base"] = list(precision["bert"]["batch_sizes"])
    latencies = {}
    for p in inputs.latency:
        rec = read_json(p)
        latencies[(rec["model"], rec["precision"], int(rec["batch_size"]))] = rec
    quality = quality_rows(entries, list(precision["modes"]), device, test, log)
    write_csv(outputs.table, with_latency(quality, latencies, batch_sizes))
