"""BERT-base jobs: each returns one JSON-ready record (scripts/part3_bert_*.py write it)."""

from __future__ import annotations

import torch

from mlalab.measure import counts, gemms, nets
from mlalab.stages import part3_bench as bench


def latency_record(batch_size: int, seq_len: int, precision: str, attn_implementation: str,
                   device: torch.device, warmup: int, repeats: int) -> dict:
    model = nets.build_bert(attn_implementation)
    ids = nets.token_batch(batch_size, seq_len, model.config.vocab_size)
    stats = bench.batch_latency(model, ids, device, warmup, repeats, precision)
    return {"model": nets.BERT, "seq_len": seq_len, "precision": precision,
            "attn_implementation": attn_implementation, **stats}


def counts_record(seq_len: int) -> dict:
    """Params and MACs of one sequence, by the analytic formula, an aten GEMM trace and FlopCounterMode with
    eager attention, FlopCounterMode with the fused SDPA kernel, and thop (CPU; counts are device-free)."""
    eager = nets.build_bert("eager")
    sdpa = nets.build_bert("sdpa")
    ids = nets.token_batch(1, seq_len, eager.config.vocab_size)
    traced, _ = gemms.trace_gemms(eager, (ids,))
    _, fused = gemms.trace_gemms(sdpa, (ids,))
    return {
        "model": nets.BERT,
        "batch_size": 1,
        "seq_len": seq_len,
        "input_shape": list(ids.shape),
        "params": counts.param_count(eager),
        "analytic": counts.bert_analytic(eager.config, 1, seq_len, pooler=eager.pooler is not None),
        "gemm_trace": {"macs": gemms.total_macs(traced), "gemms": len(traced),
                       "by_op_macs": _by_op(traced)},
        "aten_eager": counts.aten_counts(eager, (ids,)),
        "aten_sdpa": {**counts.aten_counts(sdpa, (ids,)),
                      "fused_attention_ops": sorted({f["op"] for f in fused}),
                      "fused_attention_calls": len(fused)},
        "thop": counts.thop_counts(eager, (ids,)),
        "config": nets.bert_config_record(eager),
    }


def _by_op(traced) -> dict:
    out: dict[str, int] = {}
    for g in traced:
        out[g.op] = out.get(g.op, 0) + g.macs
    return out


def gemm_record(batch_size: int, seq_len: int, block: int = 0) -> dict:
    """The GEMM inventory traced inside encoder.layer[block], with the analytic MACs of each role beside it."""
    model = nets.build_bert("eager")
    ids = nets.token_batch(batch_size, seq_len, model.config.vocab_size)
    rows = gemms.bert_block_inventory(model, ids, block)
    analytic = counts.bert_analytic(model.config, batch_size, seq_len)["macs_per_layer_by_role"]
    for r in rows:
        r["macs_analytic"] = analytic[r["role"]]
    return {"model": nets.BERT, "batch_size": batch_size, "seq_len": seq_len, "block": block,
            "input_shape": list(ids.shape), "gemms": rows,
            "config": nets.bert_config_record(model)}
