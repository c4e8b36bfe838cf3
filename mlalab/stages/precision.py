"""Precision study (the lab's Q4, measured): each trained model in FP32, BF16 autocast and INT8 dynamic.

What each mode does and what the columns record: mlalab.measure.precision. This stage measures what depends
on the trained weights (accuracy, agreement with fp32, model size, the dtypes that flow) and reads each
(model, precision, batch size)'s latency from the one timing job's record (mlalab.stages.latency), so the
fp32 rows show exactly the latencies of the experiment and Part 3 tables.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch

from mlalab.io import read_json, write_csv
from mlalab.measure import precision as modes
from mlalab.measure.models import build_bert, token_batch
from mlalab.stages.tables import LATENCY_COLUMNS


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
                sizes = {"state_dict_bytes": modes.state_dict_bytes(v.model), "tensor_bytes": modes.tensor_bytes(v.model)}
                kinds = modes.dtypes(v, xq[:1])
                out = modes.predictions(v, xq, 4 if e["kind"] == "bert" else 1000)
                if mode == "fp32":
                    reference = out
                q = modes.quality(out, reference if reference is not None else out, yq)
                log(f"{e['name']} {mode}: {sizes['state_dict_bytes']:,} B, accuracy {q['accuracy']:.4f}, "
                    f"agreement {q['agreement_with_fp32']:.4f}; {kinds}")
                rows.append({**base, **sizes, **q, **kinds, "status": "ok", "error": None})
            except Exception as ex:  # noqa: BLE001 - recorded as this mode's failure
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
                        "model": build_bert(bert.get("attn_implementation", "sdpa"))})
        batch_sizes["bert-base"] = list(precision["bert"].get("batch_sizes", precision["batch_sizes"]))
    latencies = {}
    for p in inputs.latency:
        rec = read_json(p)
        latencies[(rec["model"], rec["precision"], int(rec["batch_size"]))] = rec
    quality = quality_rows(entries, list(precision["modes"]), device, test, log)
    write_csv(outputs.table, with_latency(quality, latencies, batch_sizes))
