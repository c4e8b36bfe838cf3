rule latency:
    """The one latency record of (model, variant, batch size): every table that shows it reads this file. The
    `variant` wildcard names (runtime, precision): a precision (eager PyTorch) or `{runtime}-{precision}`
    (compile, onnxruntime; Part 3 models), latency_plan.variant(). Timed, so it owns all cores."""
    input:
        data=lambda wc: MNIST if SPECS[wc.model].reads_mnist else [],
        onnx=lambda wc: [paths.model_onnx(config, wc.model)]
        if latency_plan.needs_onnx(latency_plan.split_variant(wc.variant)[0]) else [],
        code=code("latency"),
    output:
        paths.latency_record(config, "{model}", "{variant}", "{batch}"),
    wildcard_constraints:
        variant=latency_plan.VARIANT_PATTERN,   # a precision, or runtime-precision
    params:
        model=lambda wc: wc.model,
        spec=lambda wc: SPECS[wc.model].as_dict(),
        precision=lambda wc: latency_plan.split_variant(wc.variant)[1],
        runtime=lambda wc: latency_plan.split_variant(wc.variant)[0],
        batch_size=lambda wc: int(wc.batch),
        timing_cfg=lambda wc: latency_plan.timing_of(config, wc.model),
        data=lambda wc: config["data"] if SPECS[wc.model].reads_mnist else {},
        device=config["device"],
        isolation=model_timed_job,
    resources:
        mem_mb=lambda wc: SPECS[wc.model].resources["mem_mb"],
        runtime=lambda wc: SPECS[wc.model].resources["runtime"],
    threads: timing_threads(whole_machine=True)
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/latency/{{model}}/{{variant}}-bs{{batch}}.log",
    benchmark:
        f"{BENCH}/latency/{{model}}/{{variant}}-bs{{batch}}.tsv"
    script:
        "../../scripts/latency.py"


rule latency_table:
    """Every latency record in one table: calls, stop, drift, the test-set pass cross-check, isolation and what
    ran beside each figure (the report's Methods is written from it)."""
    input:
        latency=paths.latency_records(config, latency_plan.points(config, LAB)),
        code=code("latency_table"),
    output:
        table=targets.latency_table(config)["latency"],
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/tables/latency.log",
    benchmark:
        f"{BENCH}/tables/latency.tsv"
    script:
        "../../scripts/latency_table.py"
