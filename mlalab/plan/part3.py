"""Which records feed which Part 3 table (used by workflow/rules/part3.smk; paths only, no torch)."""

from __future__ import annotations

from mlalab.plan import latency

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
    "part3_runtimes",
]
# Tables of the models added under `part3.models` (one generic profile job per model feeds them).
MODEL_TABLES = ["part3_models_counts", "part3_models_memory", "part3_models_gemms"]


def tables(config: dict) -> list[str]:
    """The Part 3 tables this config builds."""
    if not config.get("part3"):
        return []
    return TABLES + (MODEL_TABLES if latency.extra_models(config) else [])


def profile_path(config: dict, model: str) -> str:
    """The one record of a `part3.models` model: counts, memory per batch, GEMMs of its first block."""
    return f"{config['results'].rstrip('/')}/part3/models/{model}/profile.json"


def runtime_files(config: dict) -> list[str]:
    """The latency records of the runtime table, in (model, runtime, batch) order."""
    return latency.paths(config, latency.runtime_points(config))


def latency_files(config: dict, model: str, section: str) -> list[str]:
    """The latency records of a Part 3 table: its configured precisions x batch sizes (not Q1's extra batch)."""
    p3, r = config["part3"], config["results"].rstrip("/")
    return [latency.path(r, model, p, b) for p in latency.part3_precisions(config)
            for b in p3[section]["batch_sizes"]]


def table_inputs(config: dict, table: str) -> dict:
    """Named inputs of one table."""
    r = config["results"].rstrip("/")
    base = f"{r}/part3"
    p3 = config["part3"]
    memory = [f"{base}/resnet18/memory/bs{b}.json" for b in p3["resnet18"]["batch_sizes"]]
    counts = {"resnet": f"{base}/resnet18/counts.json", "bert": f"{base}/bert/counts.json"}
    profiles = [profile_path(config, m) for m in latency.extra_models(config)]
    return {
        "part3_runtimes": {"records": runtime_files(config)},
        "part3_models_counts": {"records": profiles},
        "part3_models_memory": {"records": profiles},
        "part3_models_gemms": {"records": profiles},
        "part3_resnet18_latency": {"records": latency_files(config, "resnet18", "resnet18")},
        "part3_bert_latency": {"records": latency_files(config, "bert-base", "bert")},
        "part3_resnet18_q1": {"record": f"{base}/resnet18/q1.json",
                              "batch": latency.path(r, "resnet18", "fp32", int(p3["resnet18"]["q1_images"]))},
        "part3_counts": counts,
        "part3_counts_breakdown": counts,
        "part3_resnet18_memory": {"records": memory},
        "part3_resnet18_layers": {"records": memory},
        "part3_bert_gemms": {"record": f"{base}/bert/gemms.json"},
        "part3_bert_config": {"record": counts["bert"]},
    }[table]
