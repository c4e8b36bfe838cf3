"""Part 3 JSON records -> one tidy DataFrame per report table (raw numbers, units in column names).

Each function documents its columns; scripts/part3_table.py writes them to {results}/tables/part3_*.csv.
"""

from __future__ import annotations

import pandas as pd

from mlalab.io import shape_text as _shape
from mlalab.measure.latency_record import LATENCY_COLUMNS
from mlalab.measure.memory import crossover_batch
from mlalab.stages import part3_models


def _require_ok(record: dict, what: str) -> dict:
    if record.get("status", "ok") != "ok":
        raise RuntimeError(f"{what} job failed: {record.get('error')}")
    return record


def latency(records: list[dict], model: str) -> pd.DataFrame:
    """part3_resnet18_latency / part3_bert_latency, one row per (precision, batch size): model, batch_size,
    image_size (ResNet18) or seq_len + attn_implementation (BERT), then the latency record's columns
    (docs/columns.md), [tokens_per_s for BERT], status, error (a failed job's row keeps its identifying
    columns, numbers empty)."""
    rows = []
    for r in records:
        row = {"model": r.get("model", model), "batch_size": r.get("batch_size")}
        row.update({k: r[k] for k in ("image_size", "seq_len", "attn_implementation") if k in r})
        row.update({k: r.get(k) for k in LATENCY_COLUMNS if k != "test_set_time_s"})
        if "seq_len" in r:
            row["tokens_per_s"] = r.get("tokens_per_s")
        row.update({"status": r.get("status", "ok"), "error": r.get("error")})
        rows.append(row)
    return pd.DataFrame(rows).sort_values(["precision", "batch_size"], kind="stable").reset_index(drop=True)


def q1(record: dict, batch: dict) -> pd.DataFrame:
    """part3_resnet18_q1, one row: model, batch_size (the number of images), image_size,
    one_at_a_time_s / one_at_a_time_p10_s / one_at_a_time_p90_s / one_at_a_time_repeats (a pass over the
    images, one per call), then the latency record of the same images as one batch (`batch`: the same record
    as the latency table's), ratio_one_at_a_time_over_batch (medians), per_image_one_at_a_time_s,
    per_image_one_batch_s."""
    _require_ok(record, "Q1")
    _require_ok(batch, f"ResNet18 latency at batch {record['images']}")
    n = record["images"]
    row = {"model": record["model"], "batch_size": n, "image_size": record["image_size"],
           "one_at_a_time_s": record["one_at_a_time_median_s"],
           "one_at_a_time_p10_s": record["one_at_a_time_p10_s"],
           "one_at_a_time_p90_s": record["one_at_a_time_p90_s"],
           "one_at_a_time_repeats": record["one_at_a_time_repeats"]}
    row.update({k: batch.get(k) for k in LATENCY_COLUMNS if k != "test_set_time_s"})
    row["ratio_one_at_a_time_over_batch"] = row["one_at_a_time_s"] / batch["latency_median_s"]
    row["per_image_one_at_a_time_s"] = row["one_at_a_time_s"] / n
    row["per_image_one_batch_s"] = batch["latency_median_s"] / n
    return pd.DataFrame([row])


NOTES = {
    ("resnet18", "analytic"): "sum over Conv2d and Linear modules of output elements x fan-in "
                              "(Cin/groups x kh x kw, or in_features); everything else counts 0",
    ("resnet18", "flop_counter"): "torch.utils.flop_counter (FLOPs / 2): only aten.convolution and aten.addmm "
                                  "(the fc); batch-norm, ReLU, max/avg pooling and residual adds are not "
                                  "matrix ops and count 0; equals the analytic conv+linear count",
    ("resnet18", "thop"): "thop module hooks: the same conv and linear MACs plus 4 ops per element for each "
                          "affine BatchNorm2d and (kernel+1) per output of AdaptiveAvgPool2d (ReLU, MaxPool2d "
                          "count 0; residual adds are functional and unseen); the excess over the aten "
                          "counter is exactly BatchNorm2d + AdaptiveAvgPool2d (see part3_counts_breakdown)",
    ("bert-base", "analytic"): "closed form per layer: 4 T d^2 (Q,K,V,output projections) + 2 T d f (FFN) + "
                               "2 B s^2 d (attention scores QKᵀ and softmax·V), x layers, + B d^2 (pooler on "
                               "[CLS]); T = B s tokens; params from the same config",
    ("bert-base", "gemm_trace"): "sum of G x M x N x K over every aten mm/addmm/bmm traced by a "
                                 "TorchDispatchMode with attn_implementation='eager': includes the attention "
                                 "score and context bmm; equals the analytic count",
    ("bert-base", "flop_counter_eager"): "torch.utils.flop_counter (FLOPs / 2) with eager attention: addmm "
                                         "(linears) + bmm (attention scores and context); equals the analytic "
                                         "count",
    ("bert-base", "flop_counter_sdpa"): "torch.utils.flop_counter with the default fused SDPA attention: the CPU "
                                        "kernel ({ops}) has no flop formula in this torch version and counts 0, "
                                        "so the attention score and context products are missing",
    ("bert-base", "thop"): "thop module hooks: nn.Linear MACs plus 4 ops per element for each LayerNorm; the "
                           "attention products are functional torch.matmul calls that thop never sees (GELU, "
                           "softmax, residual adds neither); its params skip the nn.Embedding tables (no thop "
                           "rule), so they cover the encoder + pooler + LayerNorms only",
}


def counts(resnet: dict, bert: dict) -> pd.DataFrame:
    """part3_counts, one row per (model, counter): model, counter, params, macs, batch_size, input_shape,
    reference (the counter compared against), macs_diff (macs - reference macs), macs_rel_diff
    (macs_diff / reference macs), params_diff (params - the model's true parameter count), note
    (what the counter counts and why it differs). MACs are for one image / one sequence."""
    _require_ok(resnet, "ResNet18 counts")
    _require_ok(bert, "BERT counts")
    rows = []
    r_in = _shape(resnet["input_shape"])
    rows += [
        {"model": resnet["model"], "counter": "analytic", "params": resnet["params"],
         "macs": resnet["analytic"]["macs"]},
        {"model": resnet["model"], "counter": "flop_counter", "params": resnet["params"],
         "macs": resnet["aten"]["macs"]},
        {"model": resnet["model"], "counter": "thop", "params": resnet["thop"]["params"],
         "macs": resnet["thop"]["macs"]},
    ]
    for row in rows:
        row.update({"batch_size": resnet["batch_size"], "input_shape": r_in, "reference": "flop_counter"})
    ref = {"resnet18": resnet["aten"]["macs"], "bert-base": bert["analytic"]["macs"]}
    true_params = {"resnet18": resnet["params"], "bert-base": bert["params"]}
    b_rows = [
        {"counter": "analytic", "params": bert["analytic"]["params"], "macs": bert["analytic"]["macs"]},
        {"counter": "gemm_trace", "params": bert["params"], "macs": bert["gemm_trace"]["macs"]},
        {"counter": "flop_counter_eager", "params": bert["params"], "macs": bert["aten_eager"]["macs"]},
        {"counter": "flop_counter_sdpa", "params": bert["params"], "macs": bert["aten_sdpa"]["macs"]},
        {"counter": "thop", "params": bert["thop"]["params"], "macs": bert["thop"]["macs"]},
    ]
    for row in b_rows:
        row.update({"model": bert["model"], "batch_size": bert["batch_size"],
                    "input_shape": _shape(bert["input_shape"]), "reference": "analytic"})
    rows += b_rows
    fused_ops = ", ".join(bert["aten_sdpa"].get("fused_attention_ops", [])) or "none seen"
    for row in rows:
        row["macs_diff"] = row["macs"] - ref[row["model"]]
        row["macs_rel_diff"] = row["macs_diff"] / ref[row["model"]]
        row["params_diff"] = row["params"] - true_params[row["model"]]
        row["note"] = NOTES[(row["model"], row["counter"])].format(ops=fused_ops)
    cols = ["model", "counter", "params", "macs", "batch_size", "input_shape", "reference", "macs_diff",
            "macs_rel_diff", "params_diff", "note"]
    return pd.DataFrame(rows)[cols]


def counts_breakdown(resnet: dict, bert: dict) -> pd.DataFrame:
    """part3_counts_breakdown, one row per (model, counter, component): model, counter, component (module
    type for thop / analytic ResNet18, aten op for flop_counter / gemm_trace, GEMM role x layers for
    the BERT analytic count), macs, params (thop only: what its hooks attribute to that module type)."""
    rows = []

    def add(model, counter, mapping, params=None):
        for comp, macs in mapping.items():
            rows.append({"model": model, "counter": counter, "component": comp, "macs": macs,
                         "params": (params or {}).get(comp)})

    add("resnet18", "analytic", resnet["analytic"]["by_type"])
    add("resnet18", "flop_counter", resnet["aten"]["by_op"])
    add("resnet18", "thop", resnet["thop"]["by_type"], resnet["thop"]["by_type_params"])
    layers = bert["config"]["num_layers"]
    an = bert["analytic"]
    add("bert-base", "analytic", {**{role: layers * m for role, m in an["macs_per_layer_by_role"].items()},
                                  "pooler": an["macs_pooler"]})
    add("bert-base", "gemm_trace", bert["gemm_trace"]["by_op"])
    add("bert-base", "flop_counter_eager", bert["aten_eager"]["by_op"])
    add("bert-base", "flop_counter_sdpa", bert["aten_sdpa"]["by_op"])
    add("bert-base", "thop", bert["thop"]["by_type"], bert["thop"]["by_type_params"])
    return pd.DataFrame(rows)


def memory(records: list[dict]) -> pd.DataFrame:
    """part3_resnet18_memory, one row per batch size: model, batch_size, image_size, params, weight_bytes,
    buffer_bytes, input_bytes, activation_bytes_analytic (sum of the new storage of leaf-layer outputs: an
    in-place ReLU adds nothing),
    saved_activation_bytes (distinct storages autograd saves for backward, input excluded),
    saved_input_bytes, saved_weight_bytes (weights referenced by the graph, no extra memory),
    cuda_peak_inference_bytes, cuda_peak_grad_bytes, cuda_retained_grad_bytes (CUDA only, above the
    resident weights + input; empty on CPU), activations_over_weights_analytic, activations_over_weights_saved,
    dominant_analytic, dominant_saved ('weights' | 'activations'), crossover_batch_analytic,
    crossover_batch_saved (smallest batch where activations exceed weights, activations being linear in the
    batch), device, threads, dtype, status, error (a failed batch keeps batch_size, numbers empty)."""
    rows = []
    for r in sorted(records, key=lambda r: r["batch_size"]):
        if r.get("status", "ok") != "ok":
            rows.append({"model": r.get("model"), "batch_size": r["batch_size"], "status": r["status"],
                         "error": r.get("error")})
            continue
        row = {k: r.get(k) for k in ("model", "batch_size", "image_size", "params", "weight_bytes",
                                      "buffer_bytes", "input_bytes", "activation_bytes_analytic",
                                      "saved_activation_bytes", "saved_input_bytes", "saved_weight_bytes",
                                      "cuda_peak_inference_bytes", "cuda_peak_grad_bytes",
                                      "cuda_retained_grad_bytes")}
        w = r["weight_bytes"]
        for kind, col in (("analytic", "activation_bytes_analytic"), ("saved", "saved_activation_bytes")):
            a = r[col]
            row[f"activations_over_weights_{kind}"] = a / w
            row[f"dominant_{kind}"] = "activations" if a > w else "weights"
            row[f"crossover_batch_{kind}"] = crossover_batch(w, a, r["batch_size"])
        row.update({k: r[k] for k in ("device", "threads", "precision")})
        row.update({"status": "ok", "error": None})
        rows.append(row)
    return pd.DataFrame(rows)


def layers(records: list[dict]) -> pd.DataFrame:
    """part3_resnet18_layers, one row per (batch size, leaf-layer call) in execution order: model,
    batch_size, layer, type, call (0 = first call; BasicBlock reuses its ReLU), weight_shape, bias_shape,
    activation_shape ('AxBxC'; empty = none), activation_dtype, activation_bytes, activation_new_bytes (0 for
    an in-place op: its output is its input's storage), param_count,
    param_bytes, buffer_bytes (first call only, so the columns sum to the model's totals), order."""
    rows = []
    for r in sorted(records, key=lambda r: r["batch_size"]):
        for i, layer in enumerate(r.get("layers", [])):   # a failed batch contributes no rows
            row = {"model": r["model"], "batch_size": r["batch_size"], **layer, "order": i}
            for k in ("weight_shape", "bias_shape", "activation_shape"):
                row[k] = _shape(layer[k])
            rows.append(row)
    return pd.DataFrame(rows)


def gemms(record: dict) -> pd.DataFrame:
    """part3_bert_gemms, one row per aten matrix product traced inside encoder.layer[block], in execution
    order: model, batch_size, seq_len, block, role, module, op (aten mm/addmm/bmm), input_shape (first
    operand), second_operand_shape, weight_shape (the nn.Linear weight [out, in] when the second operand is
    its transposed view; empty for the activation x activation attention products), output_shape,
    groups (bmm batch count = batch x heads; 1 otherwise), M, N, K, macs (groups x M x N x K),
    macs_analytic (the per-layer formula for that role), order."""
    _require_ok(record, "BERT GEMM inventory")
    rows = []
    for i, g in enumerate(record["gemms"]):
        rows.append({
            "model": record["model"], "batch_size": record["batch_size"], "seq_len": record["seq_len"],
            "block": g["block"], "role": g["role"], "module": g["module"], "op": g["op"],
            "input_shape": _shape(g["a_shape"]), "second_operand_shape": _shape(g["b_shape"]),
            "weight_shape": _shape(g["weight_shape"]), "output_shape": _shape(g["out_shape"]),
            "groups": g["groups"], "M": g["M"], "N": g["N"], "K": g["K"], "macs": g["macs"],
            "macs_analytic": g["macs_analytic"], "order": i,
        })
    return pd.DataFrame(rows)


def bert_config(counts_record: dict) -> pd.DataFrame:
    """part3_bert_config, one row, read from the model's own config: model, class, head (what is attached
    beyond the encoder), num_layers, d_model, num_heads, head_dim, ffn_dim, vocab_size,
    max_position_embeddings, type_vocab_size, hidden_act, attn_implementation (of the model the config
    was read from), params, params_embeddings, params_per_layer, params_pooler (analytic split)."""
    c = dict(counts_record["config"])
    an = counts_record["analytic"]
    c.update({"params": counts_record["params"], "params_embeddings": an["params_embeddings"],
              "params_per_layer": an["params_per_layer"], "params_pooler": an["params_pooler"]})
    return pd.DataFrame([c])


def _read(paths) -> list[dict]:
    from mlalab.io import read_json

    return [read_json(p) for p in ([paths] if isinstance(paths, str) else paths)]


BUILDERS = {
    "part3_resnet18_latency": lambda i: latency(_read(i["records"]), "resnet18"),
    "part3_bert_latency": lambda i: latency(_read(i["records"]), "bert-base"),
    "part3_resnet18_q1": lambda i: q1(_read(i["record"])[0], _read(i["batch"])[0]),
    "part3_counts": lambda i: counts(_read(i["resnet"])[0], _read(i["bert"])[0]),
    "part3_counts_breakdown": lambda i: counts_breakdown(_read(i["resnet"])[0], _read(i["bert"])[0]),
    "part3_resnet18_memory": lambda i: memory(_read(i["records"])),
    "part3_resnet18_layers": lambda i: layers(_read(i["records"])),
    "part3_bert_gemms": lambda i: gemms(_read(i["record"])[0]),
    "part3_bert_config": lambda i: bert_config(_read(i["record"])[0]),
    "part3_runtimes": lambda i: part3_models.runtimes(_read(i["records"])),
    "part3_models_counts": lambda i: part3_models.model_counts(_read(i["records"])),
    "part3_models_memory": lambda i: part3_models.model_memory(_read(i["records"])),
    "part3_models_gemms": lambda i: part3_models.model_gemms(_read(i["records"])),
}


def build(table: str, inputs: dict) -> pd.DataFrame:
    """The DataFrame of one Part 3 table from its input JSON paths (keys as in workflow/rules/part3.smk)."""
    return BUILDERS[table](inputs)


def part3_table(inputs, outputs, table: str, log) -> None:
    """The part3_table rule: one Part 3 table from its records."""
    from mlalab.io import write_csv

    frame = build(table, dict(inputs.items()))
    write_csv(outputs[0], frame)
    log(f"{table}: {len(frame)} rows")
