"""Checks of the lab itself, at plan time (torch-free): what the schema cannot see but the config already says.

Each problem is one line naming its key, so a config that would train and time for minutes before failing (or,
worse, build a silently wrong table) is refused before any job runs:

* a repeated variant (two variants that build the same model) would count each seed twice in that row's mean
  and std; a repeated label would give two table rows with the same name;
* a batch size larger than the training set cannot train one step;
* every `precision.models` entry must name a run the lab trains.
"""

from __future__ import annotations

from mlalab.plan import scenarios
from mlalab.plan.config import architecture, model_slug
from mlalab.plan.precision import trained_runs
from mlalab.plan.schema import ConfigError

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
    from pathlib import Path

    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path


def training_images(config: dict) -> int:
    subset = (config.get("data") or {}).get("train_subset")
    return min(int(subset), MNIST_TRAIN_IMAGES) if subset else MNIST_TRAIN_IMAGES


def duplicate_variants(config: dict) -> list[str]:
    found = []
    for name, exp in config["experiments"].items():
        models, labels = {}, {}
        for j, variant in enumerate(exp["variants"]):
            mid = model_slug(exp["kind"], architecture(exp["kind"], exp.get("model", {}), variant))
            label = str(variant.get("label", mid))
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
    subset = (config.get("data") or {}).get("train_subset")
    where = f"data.train_subset: {subset}" if subset else "all of MNIST's training set"
    return [f"experiments.{name}.batch_sizes[{k}]: {bs} is larger than the {n:,} training images ({where})"
            for name, exp in config["experiments"].items()
            for k, bs in enumerate(exp["batch_sizes"]) if bs > n]


def precision_models_exist(config: dict, lab) -> list[str]:
    if not config.get("precision"):
        return []
    try:
        trained_runs(config, lab)
    except ValueError as e:
        return [str(e)]
    return []


def errors(config: dict, lab) -> list[str]:
    """Every problem of the lab, one line each; `lab` is mlalab.plan.config.expand(config)."""
    return (duplicate_variants(config) + batch_sizes_fit_the_data(config) + precision_models_exist(config, lab)
            + scenarios.errors(config))


def check(config: dict, lab, source: str = "config") -> None:
    problems = errors(config, lab)
    if problems:
        raise ConfigError(f"{source} is invalid:\n  " + "\n  ".join(problems))
