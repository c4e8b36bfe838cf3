"""Expand the validated config (mlalab.plan.schema.validate: defaults filled) into run specs and model specs: the lab as a table of jobs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ARCH_KEYS = {"mlp": ("hidden", "batchnorm"), "cnn": ("channels", "kernel", "fc")}
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class Row:
    """One line of one experiment's table: which run (and which model) fills it."""

    experiment: str
    label: str
    run: str
    model: str
    batch_size: int
    seed: int


@dataclass
class Lab:
    runs: dict[str, dict] = field(default_factory=dict)    # run id -> run spec
    models: dict[str, dict] = field(default_factory=dict)  # model id -> {kind, model}
    rows: list[Row] = field(default_factory=list)

    def rows_of(self, experiment: str) -> list[Row]:
        return [r for r in self.rows if r.experiment == experiment]


def model_slug(kind: str, model: dict) -> str:
    """A readable, file-safe id that depends on the architecture only."""
    if kind == "mlp":
        h = model["hidden"]
        widths = f"{h[0]}x{len(h)}" if len(set(h)) == 1 else ".".join(map(str, h))
        return f"mlp-h{widths}" + ("-bn" if model.get("batchnorm") else "")
    if kind == "cnn":
        return f"cnn-k{model['kernel']}-c{'.'.join(map(str, model['channels']))}-fc{model.get('fc', 128)}"
    raise ValueError(f"unknown model kind {kind!r}")


def _fmt(x) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def training_slug(training: dict) -> str:
    return f"{training['optimizer']}-lr{_fmt(training['lr'])}-m{_fmt(training['momentum'])}-e{training['epochs']}"


def architecture(kind: str, base: dict, variant: dict) -> dict:
    merged = {**base, **{k: v for k, v in variant.items() if k != "label"}}
    unknown = set(merged) - set(ARCH_KEYS[kind])
    if unknown:
        raise ValueError(f"unknown {kind} model key(s) {sorted(unknown)}; allowed: {list(ARCH_KEYS[kind])}")
    return {k: merged[k] for k in ARCH_KEYS[kind] if k in merged}


def expand(config: dict) -> Lab:
    lab = Lab()
    for name, exp in config["experiments"].items():
        if not SAFE_NAME.match(name):
            raise ValueError(f"experiments.{name!r}: experiment names must be safe file names")
        kind = exp["kind"]
        training = {**config["training"], **exp["training"]}
        for variant in exp["variants"]:
            arch = architecture(kind, exp["model"], variant)
            mid = model_slug(kind, arch)
            lab.models[mid] = {"kind": kind, "model": arch}
            for bs in exp["batch_sizes"]:
                for seed in config["seeds"]:
                    rid = f"{mid}-bs{bs}-{training_slug(training)}-s{seed}"
                    lab.runs[rid] = {"kind": kind, "model": arch, "model_id": mid, "batch_size": bs,
                                     "seed": seed, "training": training}
                    lab.rows.append(Row(name, str(variant["label"]), rid, mid, bs, seed))
    return lab


def profile_batches(config: dict, lab: Lab, model: str) -> list[int]:
    """Batch sizes the per-layer table of `model` is profiled at: every batch size of the experiments that
    use it (each experiment's Q1/Q2 tables show its own), plus `profile.activation_batches` if set."""
    extra = config["profile"]["activation_batches"]
    own = {r.batch_size for r in lab.rows if r.model == model}
    return sorted({int(b) for b in (*own, *extra)})
