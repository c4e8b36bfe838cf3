# Report rendering: plots, model diagrams, then one HTML + PDF report. Every input is named by the plan
# (mlalab.plan.targets), no globbing: the report renders the parts that are configured.
import os

TABLES = targets.tables(config)
PLOTS = targets.plots(config)
PART3_LATENCY = {k: v for k, v in targets.part3_tables(config).items()
                 if k in ("part3_resnet18_latency", "part3_bert_latency")}


rule report_plots:
    """The report's matplotlib figures (SVG), from the tables alone."""
    input:
        tables=list(targets.experiment_tables(config).values()) + list(targets.layer_tables(config).values()),
        part3=list(PART3_LATENCY.values()),
        precision=[p for k, p in targets.efficiency_tables(config).items() if k == "precision"],
        code=code("plots"),
    output:
        training=report(PLOTS["training_time_vs_batch"], caption="../report/training_time.rst", category="Figures"),
        latency=report(PLOTS["latency_throughput_vs_batch"], caption="../report/latency.rst", category="Figures"),
        accuracy=report(PLOTS["accuracy_vs_params"], caption="../report/accuracy.rst", category="Figures"),
        layers=report([PLOTS[f"{n}_layers"] for n in config["experiments"]], caption="../report/layers.rst",
                      category="Figures", subcategory="Per layer"),
        precision=[PLOTS[k] for k in ("precision_summary",) if k in PLOTS],
    params:
        tables=targets.experiment_tables(config),
        layer_tables=targets.layer_tables(config),
        batch_experiments=targets.batch_experiments(config),
        part3=PART3_LATENCY,
        plots=PLOTS,
        batches={name: e["batch_sizes"] for name, e in config["experiments"].items()},
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/report/plots.log",
    benchmark:
        f"{BENCH}/report/plots.tsv"
    script:
        "../../scripts/plots.py"


rule diagram:
    """One model's exported ONNX graph (an MNIST architecture or a Part 3 network), tensor shapes on its edges
    (Graphviz dot -> SVG)."""
    input:
        onnx=paths.model_onnx(config, "{model}"),
        code=code("diagram"),
    output:
        report(paths.model_diagram(config, "{model}"), caption="../report/diagram.rst",
               category="Model graphs"),
    params:
        title=lambda wc: wc.model,
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/report/diagram/{{model}}.log",
    benchmark:
        f"{BENCH}/report/diagram/{{model}}.tsv"
    script:
        "../../scripts/diagram.py"


rule report:
    """The report: one self-contained HTML file (images inlined) and its WeasyPrint A4 PDF."""
    input:
        tables=list(TABLES.values()),
        figures=list(targets.figures(config).values()),
        diagrams=list(targets.diagrams(config, LAB).values()),
        onnx=list(targets.onnx(config, LAB).values()),
        template_dir=[os.path.join(here("templates"), f) for f in sorted(os.listdir(here("templates")))],
        code=code("render_report"),
    output:
        html=report(paths.report(config, "html"), caption="../report/report.rst", category="Report"),
        pdf=report(paths.report(config, "pdf"), caption="../report/report_pdf.rst", category="Report"),
    params:
        config=targets.report_config(config),
        tables=TABLES,
        figures=targets.figures(config),
        diagrams=targets.diagrams(config, LAB),
        onnx=targets.onnx(config, LAB),
        benchmarks=BENCH,
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/report/report.log",
    benchmark:
        f"{BENCH}/report/report.tsv"
    script:
        "../../scripts/render_report.py"

