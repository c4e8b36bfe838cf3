"""Part 3 across models and runtimes: the runtime table of every Part 3 model, and the tables of the models
added under `part3.models` (one profile record each, mlalab.stages.part3.model_profile). Raw numbers, units in
column names (docs/columns.md)."""

from __future__ import annotations

import pandas as pd

from mlalab.io import shape_text as _shape
from mlalab.measure.latency_record import LATENCY_COLUMNS
from mlalab.measure.memory import crossover_batch
from mlalab.plan.latency import RUNTIMES

AGREEMENT = ["output_max_abs_error", "output_max_rel_error"]


_LABELS = {pair: name for name, pair in RUNTIMES.items()}


def runtime_label(runtime: str, precision: str) -> str:
    """The name `part3.runtimes` gives a (runtime, precision) pair (mlalab.plan.latency.RUNTIMES: eager, bf16,
    compile, onnxruntime); a pair it does not name is `runtime-precision`."""
    return _LABELS.get((runtime, precision), f"{runtime}-{precision}")


def runtimes(records: list[dict]) -> pd.DataFrame:
    """part3_runtimes, one row per (model, runtime, batch size): model, runtime_label, batch_size, image_size
    or seq_len, the latency record's columns, tokens_per_s (transformers), output_max_abs_error,
    output_max_rel_error (against eager fp32), runtime_detail, status, error (a failed runtime keeps its
    identifying columns and its reason)."""
    rows = []
    for r in records:
        row = {"model": r.get("model"), "runtime_label": runtime_label(r.get("runtime", "eager"),
                                                                      r.get("precision", "fp32")),
               "batch_size": r.get("batch_size")}
        row.update({k: r.get(k) for k in ("image_size", "seq_len")})
        row.update({k: r.get(k) for k in LATENCY_COLUMNS if k != "test_set_time_s"})
        row.update({k: r.get(k) for k in ("tokens_per_s", *AGREEMENT, "runtime_detail")})
        row.update({"status": r.get("status", "ok"), "error": r.get("error")})
        rows.append(row)
    return pd.DataFrame(rows)


def _ok(records: list[dict]) -> list[dict]:
    bad = [r for r in records if r.get("status", "ok") != "ok"]
    if bad:
        raise RuntimeError(f"profile of {bad[0].get('model')} failed: {bad[0].get('error')}")
    return records


COUNTERS = {"aten": "flop_counter", "thop": "thop", "analytic": "analytic", "closed_form": "closed_form"}


def model_counts(records: list[dict]) -> pd.DataFrame:
    """part3_models_counts, one row per (model, counter): model, counter (flop_counter: aten ops with attention
    expanded, the primary; thop; analytic: the module formulas; closed_form: the transformers family's formula
    from its config, where there is one; torchvision: the figures torchvision documents, at the size it
    measured, with our flop_counter count at that size in a row of its own when that is not the configured
    size), params, macs (one input), input_shape, macs_diff, macs_rel_diff (against flop_counter at the same
    input shape), unseen_macs and unseen_in (what a module-rule counter knows it cannot see: products the
    primary saw issued by module types it has no rule for; 0 when it sees everything), error (a counter
    that cannot count this model)."""
    rows = []
    for r in _ok(records):
        ref = r["counters"]["aten"].get("macs")
        shape = _shape(r["input_shape"])
        for key, counter in COUNTERS.items():
            if key not in r["counters"]:
                continue
            c = r["counters"][key]
            unseen = c.get("unseen_by_type")
            rows.append({"model": r["model"], "counter": counter, "params": c.get("params", r["params"]) if key ==
                         "closed_form" else r["params"], "macs": c.get("macs"), "input_shape": shape,
                         **_diff(c.get("macs"), ref),
                         "unseen_macs": sum(unseen.values()) if unseen is not None else (0 if key == "aten" else None),
                         "unseen_in": ", ".join(sorted(unseen)) if unseen else None, "error": c.get("error")})
        tv = r.get("torchvision")
        if tv:
            tv_shape = _shape([1, 3, tv["image_size"], tv["image_size"]])
            if tv_shape != shape:
                rows.append({"model": r["model"], "counter": "flop_counter", "params": r["params"],
                             "macs": tv["macs_ours"], "input_shape": tv_shape, **_diff(tv["macs_ours"], tv["macs_ours"]),
                             "unseen_macs": 0})
            rows.append({"model": r["model"], "counter": "torchvision", "params": tv["params"], "macs": tv["macs"],
                         "input_shape": tv_shape, **_diff(tv["macs"], tv["macs_ours"])})
    cols = ["model", "counter", "params", "macs", "input_shape", "macs_diff", "macs_rel_diff", "unseen_macs",
            "unseen_in", "error"]
    return pd.DataFrame(rows, columns=cols)


def _diff(macs, ref) -> dict:
    return {"macs_diff": None if macs is None or ref is None else macs - ref,
            "macs_rel_diff": None if macs is None or not ref else (macs - ref) / ref}


def model_memory(records: list[dict]) -> pd.DataFrame:
    """part3_models_memory, one row per (model, batch size): model, batch_size, params, weight_bytes,
    activation_bytes_analytic, saved_activation_bytes, activations_over_weights_analytic, dominant_analytic,
    crossover_batch_analytic (as in part3_resnet18_memory), error."""
    rows = []
    for r in _ok(records):
        for m in r["memory"]:
            row = {"model": r["model"], "batch_size": m["batch_size"], "params": r["params"],
                   **{k: m.get(k) for k in ("weight_bytes", "activation_bytes_analytic", "saved_activation_bytes")},
                   "error": m.get("error")}
            w, a = m.get("weight_bytes"), m.get("activation_bytes_analytic")
            if w and a is not None:
                row.update(activations_over_weights_analytic=a / w,
                           dominant_analytic="activations" if a > w else "weights",
                           crossover_batch_analytic=crossover_batch(w, a, m["batch_size"]))
            rows.append(row)
    return pd.DataFrame(rows)


def model_gemms(records: list[dict]) -> pd.DataFrame:
    """part3_models_gemms, one row per aten matrix product traced inside the first block of each model that has
    one, in execution order: model, block, module, op, input_shape, second_operand_shape, weight_shape,
    output_shape, groups, M, N, K, macs, order (columns as part3_bert_gemms). Header only when no model has
    a block."""
    rows = []
    for r in _ok(records):
        for i, g in enumerate(r["gemms"]):
            rows.append({"model": r["model"], "block": r["block"], "module": g["module"], "op": g["op"],
                         "input_shape": _shape(g["a_shape"]), "second_operand_shape": _shape(g["b_shape"]),
                         "weight_shape": _shape(g["weight_shape"]), "output_shape": _shape(g["out_shape"]),
                         "groups": g["groups"], "M": g["M"], "N": g["N"], "K": g["K"], "macs": g["macs"],
                         "order": i})
    cols = ["model", "block", "module", "op", "input_shape", "second_operand_shape", "weight_shape",
            "output_shape", "groups", "M", "N", "K", "macs", "order"]
    return pd.DataFrame(rows, columns=cols)
