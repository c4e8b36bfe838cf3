"""Which records feed which Part 3 table (used by workflow/rules/part3.smk; paths only, no torch)."""

from __future__ import annotations

from mlalab.plan import latency, paths

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


def runtime_files(config: dict) -> list[str]:
    """The latency records of the runtime table, in (model, runtime, batch) order."""
    return paths.latency_records(config, latency.runtime_points(config))


def latency_files(config: dict, model: str, section: str) -> list[str]:
    """The latency records of a Part 3 table: its configured precisions x batch sizes (not Q1's extra batch)."""
    p3 = config["part3"]
    return [paths.latency_record(config, model, p, b) for p in latency.part3_precisions(config)
            for b in p3[section]["batch_sizes"]]


def table_inputs(config: dict, table: str) -> dict:
    """Named inputs of one table."""
    p3 = config["part3"]
    memory = [paths.resnet18_memory(config, b) for b in p3["resnet18"]["batch_sizes"]]
    counts = {"resnet": paths.part3_counts(config, "resnet18"), "bert": paths.part3_counts(config, "bert")}
    profiles = [paths.part3_model_profile(config, m) for m in latency.extra_models(config)]
    return {
        "part3_runtimes": {"records": runtime_files(config)},
        "part3_models_counts": {"records": profiles},
        "part3_models_memory": {"records": profiles},
        "part3_models_gemms": {"records": profiles},
        "part3_resnet18_latency": {"records": latency_files(config, "resnet18", "resnet18")},
        "part3_bert_latency": {"records": latency_files(config, "bert-base", "bert")},
        "part3_resnet18_q1": {"record": paths.resnet18_q1(config),
                              "batch": paths.latency_record(config, "resnet18", "fp32", int(p3["resnet18"]["q1_images"]))},
        "part3_counts": counts,
        "part3_counts_breakdown": counts,
        "part3_resnet18_memory": {"records": memory},
        "part3_resnet18_layers": {"records": memory},
        "part3_bert_gemms": {"record": paths.bert_gemms(config)},
        "part3_bert_config": {"record": counts["bert"]},
    }[table]
