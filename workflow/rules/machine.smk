# The folder-level summary of this results folder ({results}/machine.json): the machine, the settings and the
# lab's shape, read from the folder's own tables. `compare` (compare.smk) reads it beside the tables.

PART3_TIMED = {k: v for k, v in targets.part3_tables(config).items()     # the Part 3 tables of latency records
               if k in ("part3_resnet18_latency", "part3_bert_latency", "part3_runtimes")}


rule machine:
    """Which machine and settings made this results folder (device, device name, threads, versions, config
    fingerprint, experiments and Part 3 models with their batch sizes), from its tables."""
    input:
        tables=list(targets.experiment_tables(config).values()),
        part3=list(PART3_TIMED.values()),
        code=code("machine"),
    output:
        paths.machine(config),
    params:
        # where the folder and MNIST live and which folders to compare are no settings of the lab: two folders
        # built from the same lab (here and on a cluster) have the same fingerprint
        config={k: v for k, v in config.items() if k not in ("results", "mnist_dir", "compare")},
        tables=targets.experiment_tables(config),
        part3=PART3_TIMED,
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/machine.log",
    benchmark:
        f"{BENCH}/machine.tsv"
    script:
        "../../scripts/machine.py"
