"""Which JSON records feed which Part 3 table (used by workflow/rules/part3.smk; paths only, no torch)."""

from __future__ import annotations

TABLES = [
    "part3_resnet18_latency",
    "part3_bert_latency",
    "part3_resnet18_q1",
    "part3_counts",
    "part3_counts_breakdown",
    "part3_resnet18_memory",
    "part3_resnet18_layers",
    "part3_bert_gemms",
    "part3_bert_config",
]


def precisions(p3: dict) -> list[str]:
    return ["fp32"] + (["bf16"] if p3.get("bf16", False) else [])


def latency_files(p3: dict, base: str, net: str) -> list[str]:
    """net: 'resnet18' or 'bert' (also the config section and the folder under {results}/part3)."""
    return [f"{base}/{net}/latency/{p}-bs{b}.json" for p in precisions(p3) for b in p3[net]["batch_sizes"]]


def table_inputs(p3: dict, base: str, table: str) -> dict:
    """Named inputs of one table; `base` is {results}/part3."""
    memory = [f"{base}/resnet18/memory/bs{b}.json" for b in p3["resnet18"]["batch_sizes"]]
    counts = {"resnet": f"{base}/resnet18/counts.json", "bert": f"{base}/bert/counts.json"}
    return {
        "part3_resnet18_latency": {"records": latency_files(p3, base, "resnet18")},
        "part3_bert_latency": {"records": latency_files(p3, base, "bert")},
        "part3_resnet18_q1": {"record": f"{base}/resnet18/q1.json"},
        "part3_counts": counts,
        "part3_counts_breakdown": counts,
        "part3_resnet18_memory": {"records": memory},
        "part3_resnet18_layers": {"records": memory},
        "part3_bert_gemms": {"record": f"{base}/bert/gemms.json"},
        "part3_bert_config": {"record": counts["bert"]},
    }[table]
