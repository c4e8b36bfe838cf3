"""Where every table, figure and file of the lab lives, and which of them the default target builds
(torch-free). Rule files take their paths from here, never from each other."""

from __future__ import annotations

from mlalab.plan import part3, scenarios
from mlalab.plan.config import Lab
from mlalab.plan.latency import model_specs, part3_batches


def results(config: dict) -> str:
    return config["results"].rstrip("/")


def experiment_tables(config: dict) -> dict[str, str]:
    return {name: f"{results(config)}/tables/{name}.csv" for name in config["experiments"]}


def layer_tables(config: dict) -> dict[str, str]:
    return {f"{name}_layers": f"{results(config)}/tables/{name}_layers.csv" for name in config["experiments"]}


def part3_tables(config: dict) -> dict[str, str]:
    names = part3.tables(config)
    return {name: f"{results(config)}/tables/{name}.csv" for name in names}


def efficiency_tables(config: dict) -> dict[str, str]:
    r = results(config)
    out = {}
    if config.get("peak"):
        out.update(peak=f"{r}/tables/peak.csv", roofline=f"{r}/tables/roofline.csv")
    if config.get("precision"):
        out["precision"] = f"{r}/tables/precision.csv"
    return out


def latency_table(config: dict) -> dict[str, str]:
    """Every latency record in one table: how each figure was timed (Methods)."""
    return {"latency": f"{results(config)}/tables/latency.csv"}


def scenario_record(config: dict, model: str, runtime: str, scenario: str) -> str:
    """The record of one (model, runtime, scenario) LoadGen job; its LoadGen logs are scenario_logs()."""
    return f"{results(config)}/part3/scenarios/{model}/{runtime}/{scenario}.json"


def scenario_logs(config: dict, model: str, runtime: str, scenario: str) -> str:
    """The folder of that job's LoadGen logs: performance/ (Server: performance/qps{rate}/ per rate), accuracy/."""
    return f"{results(config)}/part3/scenarios/{model}/{runtime}/{scenario}"


def scenario_records(config: dict) -> list[str]:
    return [scenario_record(config, *p) for p in scenarios.points(config)]


def scenario_table_paths(config: dict) -> dict[str, str]:
    """part3_scenarios (a row per job) and part3_scenario_runs (a row per LoadGen run): rule part3_scenario_tables."""
    return {name: f"{results(config)}/tables/{name}.csv" for name in ("part3_scenarios", "part3_scenario_runs")}


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
    fig = f"{results(config)}/report/figures"
    return {
        "training_time_vs_batch": f"{fig}/training_time_vs_batch.svg",
        "latency_throughput_vs_batch": f"{fig}/latency_throughput_vs_batch.svg",
        "accuracy_vs_params": f"{fig}/accuracy_vs_params.svg",
        **{f"{name}_layers": f"{fig}/{name}_layers.svg" for name in config["experiments"]},
        **({"precision_summary": f"{fig}/precision_summary.svg"} if config.get("precision") else {}),
    }


def roofline_figures(config: dict) -> dict[str, str]:
    fig = f"{results(config)}/report/figures"
    return {"svg": f"{fig}/roofline.svg", "png": f"{fig}/roofline.png"} if config.get("peak") else {}


def part3_figures(config: dict) -> dict[str, str]:
    """One figure per Part 3 model: latency and throughput per batch across its runtimes (rule part3_figure)."""
    if not config.get("part3"):
        return {}
    fig = f"{results(config)}/report/figures"
    return {f"part3_runtimes_{m}": f"{fig}/part3_runtimes_{m}.svg" for m in part3_batches(config)}


def scenario_figures(config: dict) -> dict[str, str]:
    """One figure per scenario model: latency percentiles against the offered rate, the bound drawn."""
    s = scenarios.settings(config)
    if not s or "server" not in s["run"]:
        return {}
    return {f"part3_scenarios_{m}": scenario_figure(config, m) for m in s["models"]}


def scenario_figure(config: dict, model: str) -> str:
    return f"{results(config)}/report/figures/part3_scenarios_{model}.svg"


def figures(config: dict) -> dict[str, str]:
    """Every figure the report shows, by name."""
    roof = roofline_figures(config)
    return {**plots(config), **part3_figures(config), **scenario_figures(config),
            **({"roofline": roof["svg"]} if roof else {})}


def diagrams(config: dict, lab: Lab) -> dict[str, str]:
    return {m: f"{results(config)}/models/{m}/diagram.svg" for m in lab.models}


def onnx(config: dict, lab: Lab) -> dict[str, str]:
    """One ONNX file per model the lab builds (MNIST architectures and the Part 3 networks)."""
    return {m: f"{results(config)}/models/{m}/model.onnx" for m in model_specs(config, lab)}


def report(config: dict) -> dict[str, str]:
    r = results(config)
    return {"html": f"{r}/report/report.html", "pdf": f"{r}/report/report.pdf"}


def machine(config: dict) -> str:
    """The folder's summary of the machine and settings that made it (what `compare` reads besides tables)."""
    return f"{results(config)}/machine.json"


def compare(config: dict) -> dict[str, str]:
    """The comparison of the results folders listed under `compare:` (not part of the default target)."""
    out = f"{results(config)}/compare"
    return {"html": f"{out}/compare.html", "pdf": f"{out}/compare.pdf",
            "throughput": f"{out}/throughput_vs_batch.svg", "speedup": f"{out}/speedup.svg"}


def final_outputs(config: dict, lab: Lab) -> list[str]:
    """What `snakemake` with no target builds: every table, figure, ONNX file, the report and machine.json."""
    return [*tables(config).values(), *figures(config).values(), *roofline_figures(config).values(),
            *diagrams(config, lab).values(), *onnx(config, lab).values(), *report(config).values(),
            machine(config)]
