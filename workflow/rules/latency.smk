rule latency:
    """The one latency record of (model, precision, batch size): every table that shows it reads this file.
    Timed, so it owns all cores."""
    input:
        data=lambda wc: MNIST if SPECS[wc.model]["source"] == "mnist" else [],
        code=code("latency"),
    output:
        f"{R}/latency/{{model}}/{{precision}}-bs{{batch}}.json",
    params:
        model=lambda wc: wc.model,
        spec=lambda wc: SPECS[wc.model],
        precision=lambda wc: wc.precision,
        batch_size=lambda wc: int(wc.batch),
        timing_cfg=lambda wc: latency_plan.timing_of(config, wc.model),
        data=lambda wc: config.get("data", {}) if SPECS[wc.model]["source"] == "mnist" else {},
        device=config["device"],
        isolation=ISOLATION,
    resources:
        mem_mb=lambda wc: latency_plan.resources_of(SPECS[wc.model])["mem_mb"],
        runtime=lambda wc: latency_plan.resources_of(SPECS[wc.model])["runtime"],
    threads: timing_threads()
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/latency/{{model}}/{{precision}}-bs{{batch}}.log",
    benchmark:
        f"{BENCH}/latency/{{model}}/{{precision}}-bs{{batch}}.tsv"
    script:
        "../../scripts/latency.py"
