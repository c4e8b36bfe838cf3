"""The profile job of one MNIST architecture: params, MACs by three counters, shapes, dtypes, the per-layer
table (job body for mlalab.runner)."""

from __future__ import annotations

import pandas as pd
import torch

from mlalab.io import shape_text, write_csv, write_json
from mlalab.measure import counters
from mlalab.measure.models import build_model, example_input
from mlalab.measure.onnx_export import describe, export_spec
from mlalab.measure.walker import dtypes, layer_table, totals

# Counters must agree on conv+linear MACs to this relative tolerance, or the job fails loudly.
AGREEMENT = 1e-9


def profile(outputs, spec: dict, batches: list[int], log) -> None:
    """The profile job of one MNIST architecture: params, MACs by three counters, shapes, dtypes, layers, and
    its ONNX export (one job per model: the model is built once, and torch starts once)."""
    torch.manual_seed(0)
    model = build_model(spec["kind"], spec["model"]).eval()
    x1 = example_input(1)
    macs = counters.all_macs(model, (x1,))
    per_sample = {"thop_total": macs["thop"]["macs"] / len(x1),
                  "thop_conv_linear": macs["thop"]["conv_linear"] / len(x1),
                  "aten": macs["aten"]["macs"] / len(x1),
                  "analytic": macs["analytic"]["macs"] / len(x1)}
    reference = per_sample["analytic"]
    for name in ("aten", "thop_conv_linear"):
        if abs(per_sample[name] - reference) > AGREEMENT * max(reference, 1):
            raise RuntimeError(f"MAC counters disagree: {name}={per_sample[name]:,} vs analytic={reference:,}")
    p = counters.params(model)
    total, trainable = p["total"], p["trainable"]
    rows = layer_table(model, lambda b: (example_input(b),), batches)
    for row in rows:
        row["macs_per_sample"] = macs["analytic"]["by_layer"].get(row["name"], 0)
    with torch.no_grad():
        out = model(x1)
    profile = {
        "spec": spec,
        "params_total": total,
        "params_trainable": trainable,
        "param_bytes": p["bytes"],
        "macs_per_sample": per_sample,
        "macs_per_layer": macs["analytic"]["by_layer"],
        "macs_aten_per_op": macs["aten"]["by_op"],
        "input_shape": [None, *x1.shape[1:]],
        "output_shape": [None, *out.shape[1:]],
        **dtypes(model, x1),
        "activation_batches": batches,
        "totals": totals(rows, batches),
    }
    log(f"params {total:,}; MACs/sample analytic {reference:,.0f}, aten {per_sample['aten']:,.0f}, "
        f"thop {per_sample['thop_total']:,.0f} (conv+linear {per_sample['thop_conv_linear']:,.0f})")
    frame = pd.DataFrame(rows + [profile["totals"]])
    for col in frame.columns:
        if col.startswith(("weight_shape", "bias_shape", "output_shape")):
            frame[col] = frame[col].map(shape_text)
    write_csv(outputs.layers, frame)
    write_json(outputs.profile, profile)
    log(describe(export_spec(spec, outputs.onnx, model), outputs.onnx))
