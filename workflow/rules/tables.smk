rule experiment_table:
    """One report table per experiment (training mean/std over seeds, the fp32 latency record of each
    (model, batch size)) and its per-layer table."""
    input:
        metrics=lambda wc: [paths.run_metrics(config, r.run) for r in LAB.rows_of(wc.experiment)],
        latency=lambda wc: sorted({paths.latency_record(config, r.model, "fp32", r.batch_size)
                                   for r in LAB.rows_of(wc.experiment)}),
        profiles=lambda wc: sorted({paths.model_profile(config, r.model) for r in LAB.rows_of(wc.experiment)}),
        layers=lambda wc: sorted({paths.model_layers(config, r.model) for r in LAB.rows_of(wc.experiment)}),
        code=code("experiment_table"),
    output:
        table=report(paths.table(config, "{experiment}"), caption="../report/experiment_table.rst",
                     category="Tables", subcategory="Parts 1 and 2"),
        layers=report(paths.table(config, "{experiment}_layers"), caption="../report/layers_table.rst",
                      category="Tables", subcategory="Parts 1 and 2"),
    params:
        rows=lambda wc: [vars(r) for r in LAB.rows_of(wc.experiment)],
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/tables/{{experiment}}.log",
    benchmark:
        f"{BENCH}/experiment_table/{{experiment}}.tsv"
    script:
        "../../scripts/experiment_table.py"
