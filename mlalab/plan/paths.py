"""Where every file of a results folder lives: the one spelling of each path (torch-free).

Each function takes the config and the ids of one file. A rule passes `"{wildcard}"` strings as ids to get its
output pattern (`run_metrics(config, "{run}")`), a consumer passes values; so producer and consumer spell a path
the same way. Which of these files the default target builds is mlalab.plan.targets; logs and benchmarks mirror
their rule's output under logs() and benchmarks()."""

from __future__ import annotations

from mlalab.plan.mnist import FILES as MNIST_FILES


def results(config: dict) -> str:
    return config["results"].rstrip("/")


def logs(config: dict) -> str:
    return f"{results(config)}/logs"


def benchmarks(config: dict) -> str:
    """Snakemake benchmark files, {rule}/{job}.tsv (mlalab.report.provenance reads the tree)."""
    return f"{results(config)}/benchmarks"


def mnist_files(config: dict) -> list[str]:
    """The four decompressed IDX files (defined by their SHA-256, mlalab.plan.mnist)."""
    return [f"{results(config)}/data/mnist/{name}" for name in MNIST_FILES]


def run_metrics(config: dict, run: str) -> str:
    return f"{results(config)}/runs/{run}/metrics.json"


def run_model(config: dict, run: str) -> str:
    """The trained weights of one run."""
    return f"{results(config)}/runs/{run}/model.pt"


def latency_record(config: dict, model: str, variant: str, batch: int | str) -> str:
    """The one latency record of (model, variant, batch size). `variant` names (runtime, precision):
    a precision for eager PyTorch (`fp32`), else `{runtime}-{precision}` (mlalab.plan.latency.variant)."""
    return f"{results(config)}/latency/{model}/{variant}-bs{batch}.json"


def latency_records(config: dict, points: list[tuple[str, str, int]]) -> list[str]:
    """The record files of some (model, variant, batch size) points (mlalab.plan.latency), each once."""
    return list(dict.fromkeys(latency_record(config, m, v, b) for m, v, b in points))


def _model_dir(config: dict, model: str) -> str:
    return f"{results(config)}/models/{model}"


def model_profile(config: dict, model: str) -> str:
    """An MNIST architecture's params, MACs, shapes and dtypes."""
    return f"{_model_dir(config, model)}/profile.json"


def model_layers(config: dict, model: str) -> str:
    """An MNIST architecture's per-layer table."""
    return f"{_model_dir(config, model)}/layers.csv"


def model_onnx(config: dict, model: str) -> str:
    return f"{_model_dir(config, model)}/model.onnx"


def model_diagram(config: dict, model: str) -> str:
    return f"{_model_dir(config, model)}/diagram.svg"


def peak_record(config: dict) -> str:
    return f"{results(config)}/peak/peak.json"


def resnet18_q1(config: dict) -> str:
    """ResNet18 Q1: the images one at a time."""
    return f"{results(config)}/part3/resnet18/q1.json"


def part3_counts(config: dict, network: str) -> str:
    """Params and MACs of `resnet18` or `bert` by every counter."""
    return f"{results(config)}/part3/{network}/counts.json"


def resnet18_memory(config: dict, batch: int | str) -> str:
    return f"{results(config)}/part3/resnet18/memory/bs{batch}.json"


def bert_gemms(config: dict) -> str:
    return f"{results(config)}/part3/bert/gemms.json"


def part3_model_profile(config: dict, model: str) -> str:
    """The one record of a `part3.models` model: counts, memory per batch, GEMMs of its first block."""
    return f"{results(config)}/part3/models/{model}/profile.json"


def scenario_record(config: dict, model: str, runtime: str, scenario: str) -> str:
    """The record of one (model, runtime, scenario) LoadGen job; its LoadGen logs are scenario_logs()."""
    return f"{scenario_logs(config, model, runtime, scenario)}.json"


def scenario_logs(config: dict, model: str, runtime: str, scenario: str) -> str:
    """The folder of that job's LoadGen logs: performance/ (Server: performance/qps{rate}/ per rate), accuracy/."""
    return f"{results(config)}/part3/scenarios/{model}/{runtime}/{scenario}"


def table(config: dict, name: str) -> str:
    """A table the report reads (columns: docs/columns.md)."""
    return f"{results(config)}/tables/{name}.csv"


def figure(config: dict, name: str, ext: str = "svg") -> str:
    return f"{results(config)}/report/figures/{name}.{ext}"


def report(config: dict, ext: str) -> str:
    """The report itself: `html` or `pdf`."""
    return f"{results(config)}/report/report.{ext}"


def machine(config: dict) -> str:
    """The folder's summary of the machine and settings that made it (what `compare` reads besides tables)."""
    return f"{results(config)}/machine.json"


def compare_file(config: dict, name: str) -> str:
    """A file of the comparison of several results folders (`compare.html`, `speedup.svg`, ...)."""
    return f"{results(config)}/compare/{name}"
