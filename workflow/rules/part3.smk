# Part 3: ResNet18 and BERT-base at inference. Their latencies are `rule latency` records (latency.smk);
# here: Q1's one-image-at-a-time pass, the counters, memory, the GEMM inventory, and the tables.


rule part3_resnet18_q1:
    """Q1: N images one at a time (the same N as one batch is the latency record of batch N); timed."""
    input:
        code=code("part3_resnet18_q1"),
    output:
        paths.resnet18_q1(config),
    params:
        images=part3_setting("resnet18", "q1_images"),
        image_size=part3_setting("resnet18", "image_size"),
        warmup=part3_setting("resnet18", "q1_warmup"),
        repeats=part3_setting("resnet18", "q1_repeats"),
        device=config["device"],
        isolation=timed_job(whole_machine=True, threads=latency_plan.timing_of(config, "resnet18")["threads"]),
    threads: timing_threads(whole_machine=True)
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/part3/resnet18_q1.log",
    benchmark:
        f"{BENCH}/part3/resnet18_q1.tsv"
    script:
        "../../scripts/part3_resnet18_q1.py"


rule part3_resnet18_counts:
    """ResNet18 params and MACs of one image: thop, torch.utils.flop_counter, analytic conv+linear."""
    input:
        code=code("part3_resnet18_counts"),
    output:
        paths.part3_counts(config, "resnet18"),
    params:
        image_size=part3_setting("resnet18", "image_size"),
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/part3/resnet18_counts.log",
    benchmark:
        f"{BENCH}/part3/resnet18_counts.tsv"
    script:
        "../../scripts/part3_resnet18_counts.py"


rule part3_resnet18_memory:
    """Weights vs activations (hooks, saved tensors, CUDA peak) and the per-layer table at one batch size."""
    input:
        code=code("part3_resnet18_memory"),
    output:
        paths.resnet18_memory(config, "{batch}"),
    params:
        batch_size=lambda wc: int(wc.batch),
        image_size=part3_setting("resnet18", "image_size"),
        device=config["device"],
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/part3/resnet18_memory/bs{{batch}}.log",
    benchmark:
        f"{BENCH}/part3/resnet18_memory/bs{{batch}}.tsv"
    script:
        "../../scripts/part3_resnet18_memory.py"


rule part3_bert_counts:
    """BERT-base params and MACs of one sequence: analytic, aten GEMM trace, flop_counter (eager, SDPA), thop."""
    input:
        code=code("part3_bert_counts"),
    output:
        paths.part3_counts(config, "bert"),
    params:
        seq_len=part3_setting("bert", "seq_len"),
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/part3/bert_counts.log",
    benchmark:
        f"{BENCH}/part3/bert_counts.tsv"
    script:
        "../../scripts/part3_bert_counts.py"


rule part3_bert_gemms:
    """The GEMM inventory of encoder.layer[0], traced at the aten level with eager attention."""
    input:
        code=code("part3_bert_gemms"),
    output:
        paths.bert_gemms(config),
    params:
        batch_size=part3_setting("bert", "gemm_batch_size"),
        seq_len=part3_setting("bert", "seq_len"),
        block=0,
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/part3/bert_gemms.log",
    benchmark:
        f"{BENCH}/part3/bert_gemms.tsv"
    script:
        "../../scripts/part3_bert_gemms.py"


rule part3_table:
    """One Part 3 report table (tidy CSV) from the records above and the latency records."""
    input:
        unpack(lambda wc: part3_plan.table_inputs(config, wc.table)),
        code=code("part3_table"),
    output:
        paths.table(config, "{table}"),
    wildcard_constraints:
        table="|".join(part3_plan.TABLES + part3_plan.MODEL_TABLES),
    params:
        table=lambda wc: wc.table,
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/part3/tables/{{table}}.log",
    benchmark:
        f"{BENCH}/part3/tables/{{table}}.tsv"
    script:
        "../../scripts/part3_table.py"


rule part3_model:
    """A `part3.models` model: params, MACs by three counters, weights vs activations at each of its batch
    sizes, and the GEMMs of its first block (one job, the model built once)."""
    input:
        code=code("part3_model_profile"),
    output:
        paths.part3_model_profile(config, "{model}"),
    wildcard_constraints:
        model=_alternatives(latency_plan.extra_models(config)),
    params:
        model=lambda wc: wc.model,
        spec=lambda wc: SPECS[wc.model].as_dict(),
        batch_sizes=lambda wc: latency_plan.part3_batches(config)[wc.model],
    resources:
        mem_mb=lambda wc: SPECS[wc.model].resources["mem_mb"],
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/part3/models/{{model}}.log",
    benchmark:
        f"{BENCH}/part3/models/{{model}}.tsv"
    script:
        "../../scripts/part3_model_profile.py"


rule part3_figure:
    """One Part 3 model's latency and throughput per batch across its runtimes."""
    input:
        table=paths.table(config, "part3_runtimes"),
        code=code("part3_runtime_figure"),
    output:
        paths.figure(config, "part3_runtimes_{model}"),
    params:
        model=lambda wc: wc.model,
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/part3/figures/{{model}}.log",
    benchmark:
        f"{BENCH}/part3/figures/{{model}}.tsv"
    script:
        "../../scripts/part3_runtime_figure.py"
