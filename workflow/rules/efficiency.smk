# Efficiency: the machine's measured ceilings (peak), every fp32 latency record against them (roofline), and
# the precision study (lab Q4), whose latencies are `rule latency` records like every other section's.


rule peak:
    """Dense matmul GFLOP/s and copy bandwidth with the timing harness; timed, so it owns all cores."""
    input:
        code=code("peak"),
    output:
        json=paths.peak_record(config),
        table=paths.table(config, "peak"),
    params:
        peak=lambda wc: config["peak"],
        thread_counts=timed_thread_counts(),
        device=config["device"],
        isolation=timed_job(whole_machine=True, threads="all" if "all" in timed_thread_counts()
                            else max(timed_thread_counts())),
    threads: timing_threads(whole_machine=True)
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/peak/peak.log",
    benchmark:
        f"{BENCH}/peak/peak.tsv"
    script:
        "../../scripts/peak.py"


rule roofline:
    """Achieved GFLOP/s, % of peak and arithmetic intensity of every fp32 latency record; the roofline plot."""
    input:
        peak=rules.peak.output.json,
        tables=list(targets.experiment_tables(config).values()),
        part3_latency=[p for name, p in targets.part3_tables(config).items()
                       if name in ("part3_resnet18_latency", "part3_bert_latency")],
        part3_counts=[p for name, p in targets.part3_tables(config).items() if name == "part3_counts"],
        code=code("roofline"),
    output:
        table=paths.table(config, "roofline"),
        svg=paths.figure(config, "roofline", "svg"),
        png=paths.figure(config, "roofline", "png"),
    params:
        specs={m: s.as_dict() for m, s in SPECS.items()},
        plot_experiments=lambda wc: config["peak"]["plot_experiments"],
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/peak/roofline.log",
    benchmark:
        f"{BENCH}/peak/roofline.tsv"
    script:
        "../../scripts/roofline.py"


PRECISION_RUNS = trained_runs(config, LAB) if "precision" in config else []  # checked when the workflow loads


rule precision:
    """Each trained model in FP32 / BF16 autocast / INT8 dynamic: size, accuracy, dtypes, and the latency
    records of each (model, precision, batch size)."""
    input:
        models=[paths.run_model(config, m["run"]) for m in PRECISION_RUNS],
        latency=paths.latency_records(config, latency_plan.precision_points(config, LAB)),
        data=MNIST,
        code=code("precision"),
    output:
        table=paths.table(config, "precision"),
    params:
        precision=lambda wc: config["precision"],
        models=PRECISION_RUNS,
        data=config["data"],
        bert=lambda wc: SPECS["bert-base"].as_dict() if config["precision"]["bert"]["enabled"] else None,
        device=config["device"],
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/precision/precision.log",
    benchmark:
        f"{BENCH}/precision/precision.tsv"
    script:
        "../../scripts/precision.py"
