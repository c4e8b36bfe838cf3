"""Render the report from the fixture tables (tests/fixtures) into a folder: shared by the report tests."""

from __future__ import annotations

from pathlib import Path

import yaml

from mlalab.report import diagram, plots, provenance, render

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def render_fixture_report(out: Path, pdf: bool = False) -> dict:
    config = yaml.safe_load((FIXTURES / "config.yaml").read_text())
    tables_dir = FIXTURES / "tables"
    tables = {}
    for name in config["experiments"]:
        tables[name] = tables_dir / f"{name}.csv"
        tables[f"{name}_layers"] = tables_dir / f"{name}_layers.csv"
    for path in sorted(tables_dir.glob("part3_*.csv")):
        tables[path.stem] = path
    for name in ("peak", "roofline", "precision"):  # issue 6 (copied from a quick run)
        if (tables_dir / f"{name}.csv").exists():
            tables[name] = tables_dir / f"{name}.csv"
    frames = {k: render.read_table(v) for k, v in tables.items()}
    fig = out / "figures"
    fig.mkdir(parents=True, exist_ok=True)
    batch = [n for n, e in config["experiments"].items() if len(e["batch_sizes"]) > 1]
    figures = {"training_time_vs_batch": fig / "training_time_vs_batch.svg",
               "latency_throughput_vs_batch": fig / "latency_throughput_vs_batch.svg",
               "accuracy_vs_params": fig / "accuracy_vs_params.svg"}
    plots.training_time_vs_batch({n: frames[n] for n in batch}, figures["training_time_vs_batch"])
    series = {n: frames[n] for n in batch}
    if frames.get("part3_resnet18_latency") is not None:
        series["ResNet18"] = frames["part3_resnet18_latency"]
    plots.latency_throughput_vs_batch(series, figures["latency_throughput_vs_batch"])
    plots.accuracy_vs_params({n: frames[n] for n in config["experiments"]}, figures["accuracy_vs_params"])
    if frames.get("precision") is not None:
        figures["precision_summary"] = fig / "precision_summary.svg"
        plots.precision_figure(frames["precision"], figures["precision_summary"])
    diagrams, onnx = {}, {}
    for name in config["experiments"]:
        figures[f"{name}_layers"] = fig / f"{name}_layers.svg"
        plots.layers_figure(frames[f"{name}_layers"], [1, 64, 128], figures[f"{name}_layers"])
        for model, group in frames[f"{name}_layers"].groupby("model", sort=False):
            if model not in diagrams:
                diagrams[model] = fig / f"diagram-{model}.svg"
                diagram.write_diagram(group, diagrams[model])
                onnx[model] = out / "models" / model / "model.onnx"
                onnx[model].parent.mkdir(parents=True, exist_ok=True)
                onnx[model].write_bytes(b"fixture")
    prov = provenance.collect(config, FIXTURES / "benchmarks", device_used="cpu (fixture)", threads=2)
    html = render.render_report(config, {k: str(v) for k, v in tables.items()}, figures, diagrams, onnx,
                                out / "report" / "report.html", out / "report" / "report.pdf" if pdf else None, prov)
    return {"config": config, "html": html, "frames": frames, "out": out}
