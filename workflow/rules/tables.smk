rule experiment_table:
    """One report table per experiment (training mean/std over seeds, the fp32 latency record of each
    (model, batch size)) and its per-layer table."""
    input:
        metrics=lambda wc: [f"{R}/runs/{r.run}/metrics.json" for r in LAB.rows_of(wc.experiment)],
        latency=lambda wc: sorted({latency_plan.path(R, r.model, "fp32", r.batch_size)
                                   for r in LAB.rows_of(wc.experiment)}),
        profiles=lambda wc: sorted({f"{R}/models/{r.model}/profile.json" for r in LAB.rows_of(wc.experiment)}),
        layers=lambda wc: sorted({f"{R}/models/{r.model}/layers.csv" for r in LAB.rows_of(wc.experiment)}),
        code=code("experiment_table"),
    output:
        table=report(f"{R}/tables/{{experiment}}.csv", caption="../report/experiment_table.rst",
                     category="Tables", subcategory="Parts 1 and 2"),
        layers=report(f"{R}/tables/{{experiment}}_layers.csv", caption="../report/layers_table.rst",
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
