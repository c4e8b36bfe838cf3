"""The MNIST stage: train one run, profile one architecture (job bodies for mlalab.runner).

A run that fails inside (impossible batch size, out of memory) writes records with status 'failed' and the
reason instead of crashing, so the other runs and the report go on.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch

from mlalab.io import atomic_path, shape_text, write_csv, write_json
from mlalab.measure import counters
from mlalab.measure.models import build_model, example_input
from mlalab.measure.timing import environment
from mlalab.measure.walker import dtypes, layer_table, totals
from mlalab.stages import data as mnist
from mlalab.stages.training import deterministic, evaluate
from mlalab.stages.training import train as train_loop


def train(inputs, outputs, spec: dict, data: dict, device: torch.device, threads: int, log) -> dict:
    """Train and evaluate one run; writes the trained model (or its failure) to outputs.model."""
    record = {"spec": spec, "status": "ok", "error": None, "threads": threads}
    try:
        record["determinism"] = deterministic(spec["seed"])
        folder = Path(inputs.data[0]).parent
        x, y = mnist.load_split(folder, "train", mnist.subset_of(data, "train"))
        xt, yt = mnist.load_split(folder, "test", mnist.subset_of(data, "test"))
        log(f"data: train {tuple(x.shape)}, test {tuple(xt.shape)}; device {device}, threads {threads}")
        model = build_model(spec["kind"], spec["model"])
        p = counters.params(model)
        record["params_total"], record["params_trainable"] = p["total"], p["trainable"]
        record.update(train_loop(model, x, y, spec["batch_size"], spec["training"], spec["seed"], device, log))
        record.update(evaluate(model, xt, yt, device))
        record["environment"] = environment(device)
        log(f"accuracy {record['accuracy']:.4f}, test loss {record['test_loss']:.4f}, "
            f"training {record['train_time_s']:.2f}s")
        state = {"status": "ok", "spec": spec, "state_dict": model.cpu().state_dict()}
    except Exception as e:  # noqa: BLE001 - recorded as this run's failure; the rest of the lab goes on
        record.update(status="failed", error=log.exception(e))
        state = {"status": "failed", "spec": spec, "error": record["error"]}
    with atomic_path(outputs.model) as tmp:
        torch.save(state, tmp)
    return record


def load_trained(model_path) -> torch.nn.Module:
    """The trained model of a run, or a clear error if that run failed."""
    state = torch.load(model_path, map_location="cpu", weights_only=True)
    if state.get("status") != "ok":
        raise RuntimeError(f"{model_path}: the run failed, no trained model ({state.get('error')})")
    model = build_model(state["spec"]["kind"], state["spec"]["model"])
    model.load_state_dict(state["state_dict"])
    return model.eval()


# Counters must agree on conv+linear MACs to this relative tolerance, or the job fails loudly.
AGREEMENT = 1e-9


def profile(outputs, spec: dict, batches: list[int], log) -> None:
    """The profile job of one MNIST architecture: params, MACs by three counters, shapes, dtypes, layers."""
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
