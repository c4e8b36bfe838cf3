"""Which tables, figures and files the lab builds, by name, and which of them the default target builds
(torch-free). Every path is spelled by mlalab.plan.paths; rule files take theirs from there and from here."""

from __future__ import annotations

from mlalab.plan import part3, paths, scenarios
from mlalab.plan.config import Lab
from mlalab.plan.latency import model_specs, part3_batches


def report_config(config: dict) -> dict:
    """The config the report job gets: where the data came from, or what a later comparison reads, is not part of
    the report (changing either must not rebuild it)."""
    return {k: v for k, v in config.items() if k not in ("mnist_dir", "compare")}


def _tables(config: dict, names) -> dict[str, str]:
    return {name: paths.table(config, name) for name in names}


def experiment_tables(config: dict) -> dict[str, str]:
    return _tables(config, config["experiments"])


def layer_tables(config: dict) -> dict[str, str]:
    return _tables(config, [f"{name}_layers" for name in config["experiments"]])


def part3_tables(config: dict) -> dict[str, str]:
    return _tables(config, part3.tables(config))


def efficiency_tables(config: dict) -> dict[str, str]:
    return _tables(config, [*(("peak", "roofline") if config.get("peak") else ()),
                            *(("precision",) if config.get("precision") else ())])


def latency_table(config: dict) -> dict[str, str]:
    """Every latency record in one table: how each figure was timed (Methods)."""
    return _tables(config, ["latency"])


def scenario_records(config: dict) -> list[str]:
    return [paths.scenario_record(config, *p) for p in scenarios.points(config)]


def scenario_table_paths(config: dict) -> dict[str, str]:
    """part3_scenarios (a row per job) and part3_scenario_runs (a row per LoadGen run): rule part3_scenario_tables."""
    return _tables(config, ["part3_scenarios", "part3_scenario_runs"])


def scenario_tables(config: dict) -> dict[str, str]:
    """The MLPerf scenario tables the report reads, when `part3.scenarios` runs any."""
    return scenario_table_paths(config) if scenarios.points(config) else {}


def tables(config: dict) -> dict[str, str]:
    """Every table the report reads, by name."""
    return {**experiment_tables(config), **layer_tables(config), **part3_tables(config),
            **scenario_tables(config), **efficiency_tables(config), **latency_table(config)}


def batch_experiments(config: dict) -> list[str]:
    return [n for n, e in config["experiments"].items() if len(e["batch_sizes"]) > 1]


def plots(config: dict) -> dict[str, str]:
    """The figures drawn by the report_plots rule (matplotlib, from the tables alone)."""
    names = ["training_time_vs_batch", "latency_throughput_vs_batch", "accuracy_vs_params",
             *(f"{name}_layers" for name in config["experiments"]),
             *(("precision_summary",) if config.get("precision") else ())]
    return {name: paths.figure(config, name) for name in names}


def roofline_figures(config: dict) -> dict[str, str]:
    return {ext: paths.figure(config, "roofline", ext) for ext in ("svg", "png")} if config.get("peak") else {}


def part3_figures(config: dict) -> dict[str, str]:
    """One figure per Part 3 model: latency and throughput per batch across its runtimes (rule part3_figure)."""
    if not config.get("part3"):
        return {}
    return {f"part3_runtimes_{m}": paths.figure(config, f"part3_runtimes_{m}") for m in part3_batches(config)}


def scenario_figures(config: dict) -> dict[str, str]:
    """One figure per scenario model: latency percentiles against the offered rate, the bound drawn."""
    s = scenarios.settings(config)
    if not s or "server" not in s["run"]:
        return {}
    return {f"part3_scenarios_{m}": paths.figure(config, f"part3_scenarios_{m}") for m in s["models"]}


def figures(config: dict) -> dict[str, str]:
    """Every figure the report shows, by name."""
    roof = roofline_figures(config)
    return {**plots(config), **part3_figures(config), **scenario_figures(config),
            **({"roofline": roof["svg"]} if roof else {})}


def diagrams(config: dict, lab: Lab) -> dict[str, str]:
    """One drawing of the exported ONNX graph per model the lab builds (as `onnx`)."""
    return {m: paths.model_diagram(config, m) for m in model_specs(config, lab)}


def onnx(config: dict, lab: Lab) -> dict[str, str]:
    """One ONNX file per model the lab builds (MNIST architectures and the Part 3 networks)."""
    return {m: paths.model_onnx(config, m) for m in model_specs(config, lab)}


def report(config: dict) -> dict[str, str]:
    return {ext: paths.report(config, ext) for ext in ("html", "pdf")}


def compare(config: dict) -> dict[str, str]:
    """The comparison of the results folders listed under `compare:` (not part of the default target)."""
    return {"html": paths.compare_file(config, "compare.html"), "pdf": paths.compare_file(config, "compare.pdf"),
            "throughput": paths.compare_file(config, "throughput_vs_batch.svg"),
            "speedup": paths.compare_file(config, "speedup.svg")}


def final_outputs(config: dict, lab: Lab) -> list[str]:
    """What `snakemake` with no target builds: every table, figure, ONNX file, the report and machine.json."""
    return [*tables(config).values(), *figures(config).values(), *roofline_figures(config).values(),
            *diagrams(config, lab).values(), *onnx(config, lab).values(), *report(config).values(),
            paths.machine(config)]
