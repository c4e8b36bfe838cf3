rule train:
    """Train one run (model x batch size x training x seed); its training loop is timed, so it owns all cores."""
    input:
        data=MNIST,
        code=code("train"),
    output:
        metrics=paths.run_metrics(config, "{run}"),
        model=paths.run_model(config, "{run}"),
    params:
        spec=lambda wc: LAB.runs[wc.run],
        data=config["data"],
        device=config["device"],
        isolation=timed_job(whole_machine=False),
    threads: timing_threads()
    priority: 10    # the longest jobs of the lab (a batch-1 epoch takes minutes): start them first
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/train/{{run}}.log",
    benchmark:
        f"{BENCH}/train/{{run}}.tsv"
    script:
        "../../scripts/train.py"
