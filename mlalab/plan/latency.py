"""Which latencies the lab measures: one record per (model, precision, batch size), planned from every section
that shows one (experiment tables, the precision study, Part 3, ResNet18 Q1's one-batch figure), so each is
timed by exactly one job and read everywhere (torch-free)."""

from __future__ import annotations

from mlalab.plan.config import Lab
from mlalab.plan.precision import trained_runs

PRECISIONS = ("fp32", "bf16", "int8")


def part3_specs(config: dict) -> dict[str, dict]:
    """Model id -> model spec (mlalab.measure.models.build) of the Part 3 networks, and of BERT-base where
    only the precision study uses it."""
    p3 = config.get("part3") or {}
    bert = p3.get("bert") or {}
    prec_bert = ((config.get("precision") or {}).get("bert") or {})
    specs = {}
    if p3.get("resnet18"):
        specs["resnet18"] = {"source": "torchvision", "name": "resnet18",
                             "image_size": int(p3["resnet18"]["image_size"])}
    seq = bert.get("seq_len")
    if prec_bert.get("enabled") and prec_bert.get("seq_len") is not None:
        if seq is not None and int(prec_bert["seq_len"]) != int(seq):
            raise ValueError(f"precision.bert.seq_len ({prec_bert['seq_len']}) differs from part3.bert.seq_len "
                             f"({seq}): BERT-base is timed once, at one sequence length; drop one of the two")
        seq = prec_bert["seq_len"]
    if bert or prec_bert.get("enabled"):
        specs["bert-base"] = {"source": "transformers", "name": "BertConfig", "seq_len": int(seq or 128),
                              "attn_implementation": bert.get("attn_implementation", "sdpa")}
    return specs


def model_specs(config: dict, lab: Lab) -> dict[str, dict]:
    """Every model id the lab builds -> its spec."""
    mnist = {mid: {"source": "mnist", "kind": m["kind"], "model": m["model"]} for mid, m in lab.models.items()}
    return {**mnist, **part3_specs(config)}


def timing_of(config: dict, model: str) -> dict:
    """The timing settings of one model: Part 3's `part3.timing` for its networks, else `timing`."""
    if model in part3_specs(config):
        return {**config["timing"], **((config.get("part3") or {}).get("timing") or {})}
    return config["timing"]


def part3_precisions(config: dict) -> list[str]:
    return ["fp32"] + (["bf16"] if (config.get("part3") or {}).get("bf16", False) else [])


def precision_points(config: dict, lab: Lab) -> list[tuple[str, str, int]]:
    """(model, precision, batch size) the precision study shows: its trained models and BERT-base."""
    prec = config.get("precision")
    if not prec:
        return []
    out = [(m["name"], mode, int(bs)) for m in trained_runs(config, lab) for mode in prec["modes"]
           for bs in prec["batch_sizes"]]
    bert = prec.get("bert") or {}
    if bert.get("enabled"):
        out += [("bert-base", mode, int(bs)) for mode in prec["modes"]
                for bs in bert.get("batch_sizes", prec["batch_sizes"])]
    return out


def part3_points(config: dict) -> list[tuple[str, str, int]]:
    """(model, precision, batch size) of the Part 3 latency tables, and Q1's one batch of N images."""
    p3 = config.get("part3") or {}
    out = []
    for section, model in (("resnet18", "resnet18"), ("bert", "bert-base")):
        if p3.get(section):
            out += [(model, p, int(bs)) for p in part3_precisions(config) for bs in p3[section]["batch_sizes"]]
    if p3.get("resnet18"):
        out.append(("resnet18", "fp32", int(p3["resnet18"]["q1_images"])))
    return out


def points(config: dict, lab: Lab) -> list[tuple[str, str, int]]:
    """(model, precision, batch size) of every latency any section shows, each once, in a stable order."""
    mnist = [(r.model, "fp32", int(r.batch_size)) for r in lab.rows]
    return list(dict.fromkeys(mnist + precision_points(config, lab) + part3_points(config)))


def path(results: str, model: str, precision: str, batch_size: int) -> str:
    return f"{results}/latency/{model}/{precision}-bs{batch_size}.json"


def paths(config: dict, pts: list[tuple[str, str, int]]) -> list[str]:
    """The record files of some points, each once."""
    r = config["results"].rstrip("/")
    return list(dict.fromkeys(path(r, m, p, b) for m, p, b in pts))


# What one job on a model needs, by where the model comes from (BERT-base weights + activations at the
# largest batch dominate): cluster executors ask for this; a local run ignores it.
RESOURCES = {"mnist": {"mem_mb": 4000, "runtime": 30}, "torchvision": {"mem_mb": 8000, "runtime": 60},
             "transformers": {"mem_mb": 16000, "runtime": 90}}


def resources_of(spec: dict) -> dict:
    return RESOURCES[spec["source"]]
