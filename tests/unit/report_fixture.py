"""Render the report from the fixture tables (tests/fixtures) into a folder: shared by the report tests."""

from __future__ import annotations

import html as _html
import re
from pathlib import Path
from types import SimpleNamespace

import yaml

from mlalab.measure.onnx_export import export_spec
from mlalab.plan import targets
from mlalab.plan.config import expand
from mlalab.plan.schema import validate
from mlalab.report import diagram, plots, provenance, render
from mlalab.report.context import read_table

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# small versions of the Part 3 networks (the same graphs, fewer layers and pixels), so the fixture exports fast
PART3_DRAWN = {"resnet18": {"source": "torchvision", "name": "resnet18", "image_size": 32},
               "bert-base": {"source": "transformers", "name": "BertConfig", "seq_len": 8,
                             "config": {"num_hidden_layers": 3, "hidden_size": 32, "num_attention_heads": 2,
                                        "intermediate_size": 64, "vocab_size": 100}}}


def render_fixture_report(out: Path, pdf: bool = False) -> dict:
    """The figures through the report-plots job's body (plots.draw_plots, with the params the rule passes),
    the diagrams, then the report."""
    config = validate(yaml.safe_load((FIXTURES / "config.yaml").read_text()))   # as the Snakefile leaves it
    tables_dir = FIXTURES / "tables"
    mnist = {name: tables_dir / f"{name}.csv" for name in config["experiments"]}
    layer_tables = {f"{name}_layers": tables_dir / f"{name}_layers.csv" for name in config["experiments"]}
    part3 = {path.stem: path for path in sorted(tables_dir.glob("part3_*.csv"))}
    efficiency = {name: tables_dir / f"{name}.csv" for name in ("peak", "roofline", "precision", "latency")
                  if (tables_dir / f"{name}.csv").exists()}  # issue 6 (copied from a quick run)
    tables = {**mnist, **layer_tables, **part3, **efficiency}
    frames = {k: read_table(v) for k, v in tables.items()}
    fig = out / "figures"
    figures = {"training_time_vs_batch": fig / "training_time_vs_batch.svg",
               "latency_throughput_vs_batch": fig / "latency_throughput_vs_batch.svg",
               "accuracy_vs_params": fig / "accuracy_vs_params.svg",
               **{f"{name}_layers": fig / f"{name}_layers.svg" for name in config["experiments"]}}
    if "precision" in efficiency:
        figures["precision_summary"] = fig / "precision_summary.svg"
    plots.draw_plots(SimpleNamespace(precision=[efficiency["precision"]] if "precision" in efficiency else []),
                     tables=mnist, layer_tables=layer_tables,
                     batch_experiments=[n for n, e in config["experiments"].items() if len(e["batch_sizes"]) > 1],
                     part3={k: v for k, v in part3.items() if k in plots.PART3_NAMES}, plots=figures,
                     batches={n: e["batch_sizes"] for n, e in config["experiments"].items()},
                     log=lambda message: None)
    diagrams, onnx = {}, {}
    lab = expand(config)
    for name in config["experiments"]:
        for model in frames[f"{name}_layers"]["model"].unique():
            if model not in diagrams:
                # each architecture exported as the profile job exports it, then drawn as the diagram job draws it
                onnx[model] = out / "models" / model / "model.onnx"
                onnx[model].parent.mkdir(parents=True, exist_ok=True)
                export_spec({"source": "mnist", **lab.models[model]}, onnx[model])
                diagrams[model] = fig / f"diagram-{model}.svg"
                diagram.write_diagram(onnx[model], diagrams[model], title=model)
    for model, spec in PART3_DRAWN.items():       # the Part 3 networks, small, drawn as the diagram job draws them
        onnx[model] = out / "models" / model / "model.onnx"
        onnx[model].parent.mkdir(parents=True, exist_ok=True)
        export_spec(spec, onnx[model])
        diagrams[model] = fig / f"diagram-{model}.svg"
        diagram.write_diagram(onnx[model], diagrams[model], title=model)
    prov = provenance.collect(config, FIXTURES / "benchmarks", device_used="cpu (fixture)", threads=2)
    html = render.render_report(targets.report_config(config), {k: str(v) for k, v in tables.items()}, figures, diagrams, onnx,
                                out / "report" / "report.html", out / "report" / "report.pdf" if pdf else None, prov)
    return {"config": config, "html": html, "frames": frames, "out": out}


def render_answer(fact: dict, macro: str = "trend", env=None) -> str:
    """One answer sentence as the report prints it, as plain text (the answer macros' tests)."""
    env = env or render.environment()
    module = env.get_template("_answers.html.j2").make_module()
    text = str(getattr(module, macro)(fact))
    return " ".join(_html.unescape(re.sub(r"<[^>]+>", "", text)).split())
