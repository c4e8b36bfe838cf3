"""Aggregate one experiment's runs into its report tables (one row per variant x batch size): training over
seeds from the train records, inference from the one latency record of (model, batch size, fp32)."""

from __future__ import annotations

import pandas as pd

from mlalab.io import shape_text
from mlalab.measure.latency_record import LATENCY_COLUMNS
from mlalab.report.noise import aggregate

SEED_METRICS = ["train_time_s", "train_time_per_epoch_s", "accuracy", "test_loss"]


def _per_seed(rows: list[dict], metrics: dict) -> pd.DataFrame:
    records = []
    for row in rows:
        m = metrics[row["run"]]
        error = None if m.get("status") == "ok" else f"train: {m.get('error')}"
        records.append({**row, "status": "failed" if error else "ok", "error": error,
                        **{k: m.get(k) for k in SEED_METRICS}})
    return pd.DataFrame(records)


def run_size(record: dict) -> dict:
    """What an accuracy rests on, from a train record: `test_samples` (the images it is measured on, for its
    binomial interval) and `train_steps` (optimizer steps over all epochs: fewer steps, less trained)."""
    epochs = len(record.get("epoch_times_s") or []) or None
    steps = record.get("steps_per_epoch")
    return {"test_samples": record.get("test_samples"),
            "train_steps": steps * epochs if steps is not None and epochs else None}


def latency_columns(record: dict | None) -> dict:
    """The latency record's columns as a table shows them (docs/columns.md); empty for a failed record."""
    if not record or record.get("status") != "ok":
        return {}
    out = {k: record.get(k) for k in LATENCY_COLUMNS}
    if isinstance(out["cores"], list):   # the cores it was pinned to, as text: "0" or "0;1"
        out["cores"] = ";".join(map(str, out["cores"]))
    return out


def latency_table(inputs, outputs, log) -> None:
    """The latency rule's records side by side, one row each (`latency.csv`): what Methods reports of how every
    figure was timed (calls, stop, drift, the test-set pass cross-check, isolation, what ran beside it)."""
    from mlalab.io import read_json, write_csv

    rows = []
    for path in inputs.latency:
        r = read_json(path)
        rows.append({"model": r.get("model"), "batch_size": r.get("batch_size"), **latency_columns(r),
                     "precision": r.get("precision"), "runtime": r.get("runtime", "eager"),
                     "status": r.get("status", "ok"), "error": r.get("error")})
    table = pd.DataFrame(rows)
    write_csv(outputs.table, table)
    drifted = int((table.get("latency_drift", pd.Series(dtype=str)) == "drifted").sum())
    log(f"{len(table)} latency records, {drifted} drifted after every try")


def experiment_table(rows: list[dict], metrics: dict, latencies: dict, profiles: dict) -> pd.DataFrame:
    """`rows`: dicts with experiment, label, run, model, batch_size, seed (mlalab.plan.config.Row as dict).
    `metrics`: run id -> train record; `latencies`: (model, batch size) -> fp32 latency record;
    `profiles`: model id -> profile record."""
    per_seed = _per_seed(rows, metrics)
    keys = ["experiment", "label", "model", "batch_size"]
    out = []
    for key, group in per_seed.groupby(keys, sort=False):
        base = dict(zip(keys, key))
        ok = group[group["status"] == "ok"]
        if len(ok):
            stats = aggregate(ok, keys, SEED_METRICS).iloc[0].to_dict()
            stats["accuracy_seeds"] = ";".join(f"{a:.6f}" for a in ok["accuracy"])
            stats.update(run_size(metrics[ok["run"].iloc[0]]))
        else:
            stats = {"n_seeds": 0}
        lat = latencies.get((base["model"], int(base["batch_size"])))
        errors = [e for e in group["error"] if isinstance(e, str)]
        if lat and lat.get("status") != "ok":
            errors.append(f"latency: {lat.get('error')}")
        prof = profiles[base["model"]]
        bs = int(base["batch_size"])
        out.append({
            **base,
            "kind": prof["spec"]["kind"],
            "runs": ";".join(group["run"]),
            **stats,
            **latency_columns(lat),
            "params_total": prof["params_total"],
            "params_trainable": prof["params_trainable"],
            "param_bytes": prof["param_bytes"],
            "macs_per_sample_analytic": prof["macs_per_sample"]["analytic"],
            "macs_per_sample_aten": prof["macs_per_sample"]["aten"],
            "macs_per_sample_thop": prof["macs_per_sample"]["thop_total"],
            "macs_per_sample_thop_conv_linear": prof["macs_per_sample"]["thop_conv_linear"],
            "macs_per_batch": prof["macs_per_sample"]["analytic"] * bs,
            "input_shape": shape_text([bs, *prof["input_shape"][1:]]),
            "output_shape": shape_text([bs, *prof["output_shape"][1:]]),
            "input_dtype": prof["input_dtype"],
            "weight_dtypes": ";".join(sorted(set(prof["weight_dtypes"].values()))),
            "output_dtype": prof["output_dtype"],
            "status": "failed" if errors else "ok",
            "error": "; ".join(errors) or None,
        })
    return pd.DataFrame(out)


def layers_table(experiment: str, variants: list[tuple[str, str]], layer_frames: dict) -> pd.DataFrame:
    """Stack the per-layer tables of an experiment's variants: `variants` is [(label, model id)]."""
    parts = []
    for label, model in variants:
        frame = layer_frames[model].copy()
        frame.insert(0, "model", model)
        frame.insert(0, "label", label)
        frame.insert(0, "experiment", experiment)
        parts.append(frame)
    return pd.concat(parts, ignore_index=True)


def experiment_tables(inputs, outputs, rows: list[dict], log) -> None:
    """The experiment_table rule: {experiment}.csv and {experiment}_layers.csv."""
    from pathlib import Path

    from mlalab.io import read_csv, read_json, write_csv

    metrics = {Path(p).parent.name: read_json(p) for p in inputs.metrics}
    # a failed record keeps its identity too (mlalab.runner writes the job's params into it)
    latencies = {(r["model"], int(r["batch_size"])): r for r in map(read_json, inputs.latency)}
    profiles = {Path(p).parent.name: read_json(p) for p in inputs.profiles}
    # as text: shapes like "32" must stay shapes, not become numbers
    layer_frames = {Path(p).parent.name: read_csv(p, dtype=str, keep_default_na=False) for p in inputs.layers}
    table = experiment_table(rows, metrics, latencies, profiles)
    write_csv(outputs.table, table)
    variants = list(dict.fromkeys((r["label"], r["model"]) for r in rows))
    write_csv(outputs.layers, layers_table(rows[0]["experiment"], variants, layer_frames))
    log(f"{len(table)} rows, {int((table['status'] != 'ok').sum())} failed")
