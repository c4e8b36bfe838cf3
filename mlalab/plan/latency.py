"""Which latencies the lab measures: one record per (model, precision, batch size), planned from every section
that shows one (experiment tables, the precision study, Part 3, ResNet18 Q1's one-batch figure), so each is
timed by exactly one job and read everywhere (torch-free)."""

from __future__ import annotations

from mlalab.plan.config import Lab
from mlalab.plan.precision import trained_runs
from mlalab.plan.specs import MnistSpec, ModelSpec, TorchvisionSpec, TransformersSpec, model_spec

PRECISIONS = ("fp32", "bf16", "int8")
# Adaptive timing's call counts where the config leaves them out (mlalab.measure.timing reads these too).
MIN_REPEATS, MAX_REPEATS = 10, 1000
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


def part3_runtimes(config: dict) -> list[str]:
    """The runtimes of `part3.runtimes` (default: eager only)."""
    return list((config.get("part3") or {}).get("runtimes") or ["eager"])


def extra_models(config: dict) -> dict[str, dict]:
    """`part3.models`: model id -> its entry (source, name, image_size | seq_len [+ config], batch_sizes)."""
    return dict((config.get("part3") or {}).get("models") or {})


def part3_specs(config: dict) -> dict[str, ModelSpec]:
    """Model id -> model spec (mlalab.measure.models.build) of the Part 3 networks, and of BERT-base where
    only the precision study uses it."""
    p3 = config.get("part3") or {}
    bert = p3.get("bert") or {}
    prec_bert = ((config.get("precision") or {}).get("bert") or {})
    specs = {}
    if p3.get("resnet18"):
        specs["resnet18"] = TorchvisionSpec("resnet18", int(p3["resnet18"]["image_size"]))
    seq = bert.get("seq_len")
    if prec_bert.get("enabled") and prec_bert.get("seq_len") is not None:
        if seq is not None and int(prec_bert["seq_len"]) != int(seq):
            raise ValueError(f"precision.bert.seq_len ({prec_bert['seq_len']}) differs from part3.bert.seq_len "
                             f"({seq}): BERT-base is timed once, at one sequence length; drop one of the two")
        seq = prec_bert["seq_len"]
    if bert or prec_bert.get("enabled"):
        specs["bert-base"] = TransformersSpec("BertConfig", int(seq or 128),
                                              attn_implementation=bert.get("attn_implementation", "sdpa"))
    for mid, entry in extra_models(config).items():
        if mid in specs:
            raise ValueError(f"part3.models.{mid}: the id {mid!r} is the lab's own model; pick another id")
        specs[mid] = model_spec(entry)
    return specs


def part3_batches(config: dict) -> dict[str, list[int]]:
    """Model id -> the batch sizes its Part 3 section shows (the lab's two and `part3.models`)."""
    p3 = config.get("part3") or {}
    out = {model: [int(b) for b in p3[section]["batch_sizes"]]
           for section, model in (("resnet18", "resnet18"), ("bert", "bert-base")) if p3.get(section)}
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
    if model in part3_specs(config):
        return {**config["timing"], **((config.get("part3") or {}).get("timing") or {})}
    return config["timing"]


def part3_precisions(config: dict) -> list[str]:
    """The precisions of the lab's two Part 3 latency tables: fp32, and bf16 where `part3.runtimes` lists it."""
    return ["fp32"] + (["bf16"] if "bf16" in part3_runtimes(config) else [])


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
    return out + runtime_points(config)


def points(config: dict, lab: Lab) -> list[tuple[str, str, int]]:
    """(model, precision or variant, batch size) of every latency any section shows, each once, in a stable order."""
    mnist = [(r.model, "fp32", int(r.batch_size)) for r in lab.rows]
    return list(dict.fromkeys(mnist + precision_points(config, lab) + part3_points(config)))


def path(results: str, model: str, precision: str, batch_size: int) -> str:
    """`precision`: a precision (eager) or a variant (`onnxruntime-fp32`, see variant())."""
    return f"{results}/latency/{model}/{precision}-bs{batch_size}.json"


def paths(config: dict, pts: list[tuple[str, str, int]]) -> list[str]:
    """The record files of some points, each once."""
    r = config["results"].rstrip("/")
    return list(dict.fromkeys(path(r, m, p, b) for m, p, b in pts))

