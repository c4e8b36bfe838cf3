"""Checks of the lab itself, at plan time (torch-free): what the schema cannot see but the config already says.

Each problem is one line naming its key, so a config that would train and time for minutes before failing (or,
worse, build a silently wrong table) is refused before any job runs:

* a repeated variant (two variants that build the same model) would count each seed twice in that row's mean
  and std; a repeated label would give two table rows with the same name;
* a batch size larger than the training set cannot train one step;
* every `precision.models` entry must name a run the lab trains;
* adaptive timing needs min_repeats <= max_repeats (else every series would record a failure);
* a `part3.models` transformers entry's seq_len must fit the position table of its config (BERT: 512), and a
  size in its `config:` overrides must be a positive whole number (num_hidden_layers: -1 builds nothing);
* a `part3.models` id must not be an MNIST model id (two rules would claim the same files);
* `results:` must be a folder of its own, not `/`, the working folder or one above it.
"""

from __future__ import annotations

import re
from pathlib import Path

from mlalab.plan import scenarios, schema
from mlalab.plan.config import architecture, model_slug
from mlalab.plan.latency import extra_models
from mlalab.plan.precision import trained_runs
from mlalab.plan.schema import ConfigError
from mlalab.plan.specs import TransformersSpec, model_spec

MNIST_TRAIN_IMAGES = 60_000


def sources(workflow) -> str:
    """The config files Snakemake merged, in merge order, for error messages: 'config.yaml + my.yaml'.

    Snakemake's `workflow.configfiles` holds the command line's files first, then the Snakefile's own
    `configfile:`; the Snakefile's is loaded first and the command line's (then `--config`) update it."""
    given = [str(p) for p in getattr(workflow, "overwrite_configfiles", None) or []]
    every = [str(p) for p in getattr(workflow, "configfiles", None) or []]
    names = [p for p in every if p not in given] + given
    settings = getattr(workflow, "config_settings", None)
    if settings is not None and getattr(settings, "config", None):
        names.append("--config " + " ".join(f"{k}={v}" for k, v in settings.config.items()))
    return " + ".join(_short(n) for n in names) or "config"


def _short(path: str) -> str:
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path


def training_images(config: dict) -> int:
    subset = config["data"]["train_subset"]
    return min(int(subset), MNIST_TRAIN_IMAGES) if subset else MNIST_TRAIN_IMAGES


def duplicate_variants(config: dict) -> list[str]:
    found = []
    for name, exp in config["experiments"].items():
        models, labels = {}, {}
        for j, variant in enumerate(exp["variants"]):
            mid = model_slug(exp["kind"], architecture(exp["kind"], exp["model"], variant))
            label = str(variant["label"])
            if mid in models:
                found.append(f"experiments.{name}.variants[{j}] repeats variants[{models[mid]}] (both build "
                             f"{mid}): its seeds would be counted twice in that row; remove one")
            elif label in labels:
                found.append(f"experiments.{name}.variants[{j}]: label {label!r} is already used by "
                             f"variants[{labels[label]}]; each row of the table needs its own label")
            models.setdefault(mid, j)
            labels.setdefault(label, j)
    return found


def batch_sizes_fit_the_data(config: dict) -> list[str]:
    n = training_images(config)
    subset = config["data"]["train_subset"]
    where = f"data.train_subset: {subset}" if subset else "all of MNIST's training set"
    return [f"experiments.{name}.batch_sizes[{k}]: {bs} is larger than the {n:,} training images ({where})"
            for name, exp in config["experiments"].items()
            for k, bs in enumerate(exp["batch_sizes"]) if bs > n]


def precision_models_exist(config: dict, lab) -> list[str]:
    if "precision" not in config:
        return []
    try:
        trained_runs(config, lab)
    except ValueError as e:
        return [str(e)]
    return []


def repeats_in_order(config: dict) -> list[str]:
    """Adaptive timing stops between min_repeats and max_repeats: min above max cannot time anything."""
    found = []
    part3 = config["part3"]["timing"] if "part3" in config else {}
    for where, timing in (("timing", config["timing"]), ("part3.timing", {**config["timing"], **part3})):
        if where == "part3.timing" and not part3:
            continue
        if timing["mode"] != "adaptive":
            continue
        lo, hi = timing["min_repeats"], timing["max_repeats"]
        if lo > hi:
            src = lambda k, where=where: (where if where == "timing" or k in part3 else "timing") + f".{k}"  # noqa: E731
            found.append(f"{src('min_repeats')}: {lo} is more than {src('max_repeats')}: {hi} (defaults "
                         f"{schema.default('timing.min_repeats')} and {schema.default('timing.max_repeats')}): adaptive timing needs min_repeats <= max_repeats")
    return found


# Position tables of the transformers configs the schema accepts: (config key, its default, rows a sequence
# may not use), each limit tried on a 1-layer model. Learned absolute positions only: a longer sequence indexes past
# the table (RuntimeError or IndexError late, in part3_table). RoBERTa's position ids start after padding, keeping
# 2 rows. Rotary models (Llama, Mistral, Qwen2, GPT-NeoX) compute positions and are not limited
# here. tests/unit/test_checks.py compares the defaults with transformers'.
POSITIONS = {
    "AlbertConfig": ("max_position_embeddings", 512, 0), "BertConfig": ("max_position_embeddings", 512, 0),
    "DistilBertConfig": ("max_position_embeddings", 512, 0), "ElectraConfig": ("max_position_embeddings", 512, 0),
    "RobertaConfig": ("max_position_embeddings", 512, 2), "GPT2Config": ("n_positions", 1024, 0),
    "GPTNeoConfig": ("max_position_embeddings", 2048, 0), "OPTConfig": ("max_position_embeddings", 2048, 0),
}
# A config key that counts or sizes something (num_hidden_layers, hidden_size, n_head, vocab_size, dim, ...).
_SIZE_KEY = re.compile(r"^(num_|n_)|(_size|_dim|_layers|_heads|_embeddings|_positions|_groups)$|^dim$")
MAX_SIZE = 1 << 20   # a vocabulary of a million words is the largest size any accepted config has a use for


def transformers_fit(config: dict) -> list[str]:
    found = []
    for mid, entry in extra_models(config).items():
        if not isinstance(model_spec(entry), TransformersSpec):
            continue
        where = f"part3.models.{mid}"
        overrides = entry.get("config") or {}
        for key, value in overrides.items():
            if not _SIZE_KEY.search(str(key)) or value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SIZE:
                found.append(f"{where}.config.{key}: {value!r} is not a size: a whole number from 1 to {MAX_SIZE:,}")
        if entry.get("name") in POSITIONS:
            key, default, reserved = POSITIONS[entry["name"]]
            table = overrides.get(key, default)
            if isinstance(table, int) and not isinstance(table, bool) and int(entry["seq_len"]) > table - reserved:
                found.append(f"{where}.seq_len: {entry['seq_len']} is longer than {entry['name']} allows "
                             f"({key}: {table}{f', {reserved} kept for padding' if reserved else ''}): "
                             f"use a seq_len of at most {table - reserved}, or set config.{key}")
    return found


def model_ids_distinct(config: dict, lab) -> list[str]:
    return [f"part3.models.{mid}: {mid!r} is also the id of an MNIST model of experiments: (two rules would "
            f"make its latency records, results/latency/{mid}/); give the Part 3 entry another id"
            for mid in extra_models(config) if mid in lab.models]


def results_folder_of_its_own(config: dict, workdir: Path | None = None) -> list[str]:
    """Everything under `results:` is the lab's to rebuild and sweep: never the root, the working folder (the
    workflow's own files) or a folder above it."""
    workdir = (workdir or Path.cwd()).resolve()
    folder = (workdir / str(config["results"])).resolve()
    if folder == workdir or folder in workdir.parents:
        return [f"results: {config['results']!r} is {'/' if folder == Path('/') else folder}, which holds the "
                f"working folder {workdir}: give the results a folder of their own, e.g. results: results"]
    return []


def errors(config: dict, lab, workdir: Path | None = None) -> list[str]:
    """Every problem of the lab, one line each; `lab` is mlalab.plan.config.expand(config)."""
    return (duplicate_variants(config) + batch_sizes_fit_the_data(config) + precision_models_exist(config, lab)
            + scenarios.errors(config) + repeats_in_order(config) + transformers_fit(config)
            + model_ids_distinct(config, lab) + results_folder_of_its_own(config, workdir))


def check(config: dict, lab, source: str = "config", workdir: Path | None = None) -> None:
    problems = errors(config, lab, workdir)
    if problems:
        raise ConfigError(f"{source} is invalid:\n  " + "\n  ".join(problems))
