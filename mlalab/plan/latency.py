"""Which latencies the lab measures: one record per (model, precision, batch size), planned from every section
that shows one (experiment tables, the precision study, Part 3, ResNet18 Q1's one-batch figure), so each is
timed by exactly one job and read everywhere (torch-free)."""

from __future__ import annotations

from mlalab.plan import schema
from mlalab.plan.config import Lab
from mlalab.plan.precision import trained_runs
from mlalab.plan.specs import MnistSpec, ModelSpec, TorchvisionSpec, TransformersSpec, model_spec

PRECISIONS = ("fp32", "bf16", "int8")
# Part 3's runtimes (config `part3.runtimes`) -> (how the model is executed, precision). eager fp32 is the lab's
# reference: its record keeps the plain `{precision}-bs{batch}` name, the others are `{runtime}-{precision}`.
RUNTIMES = {"eager": ("eager", "fp32"), "bf16": ("eager", "bf16"), "compile": ("compile", "fp32"),
            "onnxruntime": ("onnxruntime", "fp32")}
ENGINES = ("eager", "compile", "onnxruntime")
# The planning layer's torch-free copy of mlalab.measure.runtimes.RUNTIMES' names (tests/unit/test_runtimes.py
# checks they agree): the engines whose job reads the model's ONNX file.
READS_ONNX = ("onnxruntime",)


def needs_onnx(engine: str) -> bool:
    return engine in READS_ONNX


def variant(engine: str, precision: str) -> str:
    """The file-name part of a latency record: `fp32` for eager fp32, `onnxruntime-fp32` for others."""
    return precision if engine == "eager" else f"{engine}-{precision}"


def split_variant(name: str) -> tuple[str, str]:
    """`onnxruntime-fp32` -> ("onnxruntime", "fp32"); `bf16` -> ("eager", "bf16")."""
    engine, _, precision = name.rpartition("-")
    return engine or "eager", precision


VARIANT_PATTERN = "(?:(?:" + "|".join(e for e in ENGINES if e != "eager") + ")-)?(?:" + "|".join(PRECISIONS) + ")"


# The functions below read a config that mlalab.plan.schema.validate has filled with the schema's defaults;
# `part3` and `precision` are optional sections (absent: not built).


def part3_runtimes(config: dict) -> list[str]:
    """The runtimes of `part3.runtimes`; none without Part 3."""
    return list(config["part3"]["runtimes"]) if "part3" in config else []


def extra_models(config: dict) -> dict[str, dict]:
    """`part3.models`: model id -> its entry (source, name, image_size | seq_len [+ config], batch_sizes)."""
    return dict(config["part3"]["models"]) if "part3" in config else {}


def part3_specs(config: dict) -> dict[str, ModelSpec]:
    """Model id -> model spec (mlalab.measure.models.build) of the Part 3 networks, and of BERT-base where
    only the precision study uses it."""
    p3 = config["part3"] if "part3" in config else None
    prec_bert = config["precision"]["bert"] if "precision" in config else None
    in_precision = bool(prec_bert and prec_bert["enabled"])
    specs = {}
    if p3:
        specs["resnet18"] = TorchvisionSpec("resnet18", int(p3["resnet18"]["image_size"]))
    seq = p3["bert"]["seq_len"] if p3 else None
    if in_precision:
        if seq is not None and int(prec_bert["seq_len"]) != int(seq):
            raise ValueError(f"precision.bert.seq_len ({prec_bert['seq_len']}) differs from part3.bert.seq_len "
                             f"({seq}): BERT-base is timed once, at one sequence length; drop one of the two")
        seq = prec_bert["seq_len"]
    if p3 or in_precision:
        attn = p3["bert"]["attn_implementation"] if p3 else schema.default("part3.bert.attn_implementation")
        specs["bert-base"] = TransformersSpec("BertConfig", int(seq), attn_implementation=attn)
    for mid, entry in extra_models(config).items():
        if mid in specs:
            raise ValueError(f"part3.models.{mid}: the id {mid!r} is the lab's own model; pick another id")
        specs[mid] = model_spec(entry)
    return specs


def part3_batches(config: dict) -> dict[str, list[int]]:
    """Model id -> the batch sizes its Part 3 section shows (the lab's two and `part3.models`)."""
    p3 = config["part3"] if "part3" in config else {}
    out = {model: [int(b) for b in p3[section]["batch_sizes"]]
           for section, model in (("resnet18", "resnet18"), ("bert", "bert-base")) if p3}
    out.update({mid: [int(b) for b in e["batch_sizes"]] for mid, e in extra_models(config).items()})
    return out


def runtime_points(config: dict) -> list[tuple[str, str, int]]:
    """(model, variant, batch size) of the Part 3 runtime table: every Part 3 model x runtime x batch."""
    return [(m, variant(*RUNTIMES[rt]), b) for m, bs in part3_batches(config).items()
            for rt in part3_runtimes(config) for b in bs]


def model_specs(config: dict, lab: Lab) -> dict[str, ModelSpec]:
    """Every model id the lab builds -> its spec."""
    mnist = {mid: MnistSpec(m["kind"], m["model"]) for mid, m in lab.models.items()}
    return {**mnist, **part3_specs(config)}


def timing_of(config: dict, model: str) -> dict:
    """The timing settings of one model: Part 3's `part3.timing` for its networks, else `timing`."""
    if "part3" in config and model in part3_specs(config):
        return {**config["timing"], **config["part3"]["timing"]}
    return config["timing"]


def part3_precisions(config: dict) -> list[str]:
    """The precisions of the lab's two Part 3 latency tables: fp32, and bf16 where `part3.runtimes` lists it."""
    return ["fp32"] + (["bf16"] if "bf16" in part3_runtimes(config) else [])


def precision_points(config: dict, lab: Lab) -> list[tuple[str, str, int]]:
    """(model, precision, batch size) the precision study shows: its trained models and BERT-base."""
    if "precision" not in config:
        return []
    prec = config["precision"]
    out = [(m["name"], mode, int(bs)) for m in trained_runs(config, lab) for mode in prec["modes"]
           for bs in prec["batch_sizes"]]
    if prec["bert"]["enabled"]:
        out += [("bert-base", mode, int(bs)) for mode in prec["modes"] for bs in prec["bert"]["batch_sizes"]]
    return out


def part3_points(config: dict) -> list[tuple[str, str, int]]:
    """(model, precision, batch size) of the Part 3 latency tables, and Q1's one batch of N images."""
    if "part3" not in config:
        return []
    p3, out = config["part3"], []
    for section, model in (("resnet18", "resnet18"), ("bert", "bert-base")):
        out += [(model, p, int(bs)) for p in part3_precisions(config) for bs in p3[section]["batch_sizes"]]
    out.append(("resnet18", "fp32", int(p3["resnet18"]["q1_images"])))
    return out + runtime_points(config)


def points(config: dict, lab: Lab) -> list[tuple[str, str, int]]:
    """(model, precision or variant, batch size) of every latency any section shows, each once, in a stable order."""
    mnist = [(r.model, "fp32", int(r.batch_size)) for r in lab.rows]
    return list(dict.fromkeys(mnist + precision_points(config, lab) + part3_points(config)))


