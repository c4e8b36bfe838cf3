# Rules for report rendering (issue 4): plots, model diagrams, then one HTML + PDF report.
# Every input is named from the config (no globbing): the report renders the parts that are configured.

MNIST_TABLES = {name: f"{R}/tables/{name}.csv" for name in config["experiments"]}
MNIST_LAYER_TABLES = {f"{name}_layers": f"{R}/tables/{name}_layers.csv" for name in config["experiments"]}
BATCH_EXPERIMENTS = [n for n, e in config["experiments"].items() if len(e["batch_sizes"]) > 1]
P3_TABLES = {name: f"{R}/tables/{name}.csv" for name in (P3_TABLE_NAMES if config.get("part3") else [])}
EFFICIENCY_TABLES = {
    **({"peak": f"{R}/tables/peak.csv", "roofline": f"{R}/tables/roofline.csv"} if config.get("peak") else {}),
    **({"precision": f"{R}/tables/precision.csv"} if config.get("precision") else {}),
}
EFFICIENCY_FIGURES = {
    **({"roofline": f"{R}/report/figures/roofline.svg"} if config.get("peak") else {}),
    **({"precision": f"{R}/report/figures/precision.svg"} if config.get("precision") else {}),
}
FIG = f"{R}/report/figures"
PLOTS = {
    "training_time_vs_batch": f"{FIG}/training_time_vs_batch.svg",
    "latency_throughput_vs_batch": f"{FIG}/latency_throughput_vs_batch.svg",
    "accuracy_vs_params": f"{FIG}/accuracy_vs_params.svg",
    **{f"{name}_layers": f"{FIG}/{name}_layers.svg" for name in config["experiments"]},
    **({"precision_summary": f"{FIG}/precision_summary.svg"} if config.get("precision") else {}),
}
DIAGRAMS = {m: f"{R}/models/{m}/diagram.svg" for m in LAB.models}


rule report_plots:
    """The report's matplotlib figures (SVG), from the tables alone."""
    input:
        tables=list(MNIST_TABLES.values()) + list(MNIST_LAYER_TABLES.values()),
        part3=[P3_TABLES[t] for t in ("part3_resnet18_latency", "part3_bert_latency") if t in P3_TABLES],
        precision=[EFFICIENCY_TABLES[t] for t in ("precision",) if t in EFFICIENCY_TABLES],
        code=code("plots"),
    output:
        training=report(PLOTS["training_time_vs_batch"], caption="../report/training_time.rst", category="Figures"),
        latency=report(PLOTS["latency_throughput_vs_batch"], caption="../report/latency.rst", category="Figures"),
        accuracy=report(PLOTS["accuracy_vs_params"], caption="../report/accuracy.rst", category="Figures"),
        layers=report([PLOTS[f"{n}_layers"] for n in config["experiments"]], caption="../report/layers.rst",
                      category="Figures", subcategory="Per layer"),
        precision=[PLOTS[k] for k in ("precision_summary",) if k in PLOTS],
    params:
        tables=MNIST_TABLES,
        layer_tables=MNIST_LAYER_TABLES,
        batch_experiments=BATCH_EXPERIMENTS,
        part3={k: v for k, v in P3_TABLES.items() if k in ("part3_resnet18_latency", "part3_bert_latency")},
        plots=PLOTS,
        batches=config.get("profile", {}).get("activation_batches", [1, 64, 128]),
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/report/plots.log",
    benchmark:
        f"{R}/benchmarks/report_plots/all.tsv"
    script:
        "../../scripts/plots.py"


rule diagram:
    """One MNIST architecture drawn from its per-layer table (Graphviz dot -> SVG)."""
    input:
        layers=f"{R}/models/{{model}}/layers.csv",
        code=code("diagram"),
    output:
        report(f"{R}/models/{{model}}/diagram.svg", caption="../report/diagram.rst", category="Model graphs"),
    params:
        title=lambda wc: wc.model,
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/report/diagram/{{model}}.log",
    script:
        "../../scripts/diagram.py"


rule report:
    """The report: one self-contained HTML file (images inlined) and its WeasyPrint A4 PDF."""
    input:
        tables=list(MNIST_TABLES.values()) + list(MNIST_LAYER_TABLES.values()) + list(P3_TABLES.values())
        + list(EFFICIENCY_TABLES.values()),
        figures=list(PLOTS.values()) + list(EFFICIENCY_FIGURES.values()),
        diagrams=list(DIAGRAMS.values()),
        onnx=list(ONNX_MNIST.values()) + list(ONNX_PART3.values()),
        template_dir=[os.path.join("templates", f) for f in sorted(os.listdir("templates"))],
        code=code("render_report"),
    output:
        html=report(f"{R}/report/report.html", caption="../report/report.rst", category="Report"),
        pdf=report(f"{R}/report/report.pdf", caption="../report/report_pdf.rst", category="Report"),
    params:
        config=config,
        tables={**MNIST_TABLES, **MNIST_LAYER_TABLES, **P3_TABLES, **EFFICIENCY_TABLES},
        figures={**PLOTS, **EFFICIENCY_FIGURES},
        diagrams=DIAGRAMS,
        onnx={**ONNX_MNIST, **ONNX_PART3},
        benchmarks=f"{R}/benchmarks",
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/report/report.log",
    script:
        "../../scripts/render_report.py"


TARGETS += [f"{R}/report/report.html", f"{R}/report/report.pdf"]
