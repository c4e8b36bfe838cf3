"""The profile job of one MNIST architecture: params, MACs by three counters, shapes, dtypes, layers."""

from __future__ import annotations

import pandas as pd
import torch

from mlalab.io import write_csv, write_json
from mlalab.measure.counting import count_all
from mlalab.measure.layers import dtypes, layer_table, totals
from mlalab.measure.models import build_model, count_params, example_input

# Counters must agree on conv+linear MACs to this relative tolerance, or the job fails loudly.
AGREEMENT = 1e-9


def profile_model(spec: dict, batches: list[int], profile_path, layers_path, log=print) -> dict:
    torch.manual_seed(0)
    model = build_model(spec["kind"], spec["model"]).eval()
    x1 = example_input(1)
    counts = count_all(model, x1)
    per_sample = counts["per_sample"]
    reference = per_sample["analytic"]
    for name in ("aten", "thop_conv_linear"):
        if abs(per_sample[name] - reference) > AGREEMENT * max(reference, 1):
            raise RuntimeError(f"MAC counters disagree: {name}={per_sample[name]:,} vs analytic={reference:,}")
    total, trainable = count_params(model)
    rows = layer_table(model, lambda b: (example_input(b),), batches)
    for row in rows:
        row["macs_per_sample"] = counts["analytic_per_layer"].get(row["name"], 0)
    with torch.no_grad():
        out = model(x1)
    profile = {
        "spec": spec,
        "params_total": total,
        "params_trainable": trainable,
        "param_bytes": sum(p.numel() * p.element_size() for p in model.parameters()),
        "macs_per_sample": per_sample,
        "macs_per_layer": counts["analytic_per_layer"],
        "macs_aten_per_op": counts["aten_per_op"],
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
    write_csv(layers_path, frame)
    write_json(profile_path, profile)
    return profile


def shape_text(shape) -> str:
    """[64, 32, 28, 28] -> '64x32x28x28'; None (no such tensor) -> ''."""
    if shape is None or (isinstance(shape, float) and shape != shape):
        return ""
    return "x".join(str(d) for d in shape)
