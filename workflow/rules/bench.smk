rule bench:
    """Inference latency/throughput of one run's model at its batch size; timed, so it owns all cores."""
    input:
        data=MNIST,
        code=code("bench"),
    output:
        timing=f"{R}/runs/{{run}}/timing.json",
    params:
        spec=lambda wc: LAB.runs[wc.run],
        data=config.get("data", {}),
        timing=config["timing"],
        device=config["device"],
    threads: timing_threads()
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/bench/{{run}}.log",
    benchmark:
        f"{R}/benchmarks/bench/{{run}}.tsv"
    script:
        "../../scripts/bench.py"
