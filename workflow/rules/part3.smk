# Rules for Part 3: ResNet18 and BERT-base at inference (issue 3).
# One job per (network, precision, batch size) for timing and memory, one per counter set, one per table.
from mlalab.plan import part3 as p3plan
P3 = config.get("part3")
P3R = f"{R}/part3"
P3_TIMING = (P3 or {}).get("timing", config["timing"])
P3_TABLE_NAMES = p3plan.TABLES     # the report rules (report.smk) read this list
P3_JOB = ("part3/job", "part3/nets", "timing", "io", "joblog")


rule part3_resnet18_latency:
    """Latency of one ResNet18 batch (median, p10/p90 after warm-up); timed, so it owns all cores."""
    input:
        code=code("part3_resnet18_latency"),
    output:
        f"{P3R}/resnet18/latency/{{precision}}-bs{{batch}}.json",
    wildcard_constraints:
        precision="fp32|bf16",
        batch=r"[1-9][0-9]*",
    params:
        batch_size=lambda wc: int(wc.batch),
        precision=lambda wc: wc.precision,
        image_size=lambda wc: P3["resnet18"]["image_size"],
        timing=P3_TIMING,
        device=config["device"],
    threads: timing_threads()
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/part3/resnet18_latency/{{precision}}-bs{{batch}}.log",
    script:
        "../../scripts/part3_resnet18_latency.py"


rule part3_resnet18_q1:
    """Q1: N images one at a time vs as one batch of N; timed, so it owns all cores."""
    input:
        code=code("part3_resnet18_q1"),
    output:
        f"{P3R}/resnet18/q1.json",
    params:
        images=lambda wc: P3["resnet18"]["q1_images"],
        image_size=lambda wc: P3["resnet18"]["image_size"],
        warmup=lambda wc: P3["resnet18"].get("q1_warmup", 1),
        repeats=lambda wc: P3["resnet18"].get("q1_repeats", 5),
        device=config["device"],
    threads: timing_threads()
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/part3/resnet18_q1.log",
    script:
        "../../scripts/part3_resnet18_q1.py"


rule part3_resnet18_counts:
    """ResNet18 params and MACs of one image: thop, torch.utils.flop_counter, analytic conv+linear."""
    input:
        code=code("part3_resnet18_counts"),
    output:
        f"{P3R}/resnet18/counts.json",
    params:
        image_size=lambda wc: P3["resnet18"]["image_size"],
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/part3/resnet18_counts.log",
    script:
        "../../scripts/part3_resnet18_counts.py"


rule part3_resnet18_memory:
    """Weights vs activations (hooks, saved tensors, CUDA peak) and the per-layer table at one batch size."""
    input:
        code=code("part3_resnet18_memory"),
    output:
        f"{P3R}/resnet18/memory/bs{{batch}}.json",
    wildcard_constraints:
        batch=r"[1-9][0-9]*",
    params:
        batch_size=lambda wc: int(wc.batch),
        image_size=lambda wc: P3["resnet18"]["image_size"],
        device=config["device"],
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/part3/resnet18_memory/bs{{batch}}.log",
    script:
        "../../scripts/part3_resnet18_memory.py"


rule part3_bert_latency:
    """Latency of one BERT-base batch at the configured sequence length; timed, so it owns all cores."""
    input:
        code=code("part3_bert_latency"),
    output:
        f"{P3R}/bert/latency/{{precision}}-bs{{batch}}.json",
    wildcard_constraints:
        precision="fp32|bf16",
        batch=r"[1-9][0-9]*",
    params:
        batch_size=lambda wc: int(wc.batch),
        precision=lambda wc: wc.precision,
        seq_len=lambda wc: P3["bert"]["seq_len"],
        attn_implementation=lambda wc: P3["bert"].get("attn_implementation", "sdpa"),
        timing=P3_TIMING,
        device=config["device"],
    threads: timing_threads()
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/part3/bert_latency/{{precision}}-bs{{batch}}.log",
    script:
        "../../scripts/part3_bert_latency.py"


rule part3_bert_counts:
    """BERT-base params and MACs of one sequence: analytic, aten GEMM trace, flop_counter (eager, SDPA), thop."""
    input:
        code=code("part3_bert_counts"),
    output:
        f"{P3R}/bert/counts.json",
    params:
        seq_len=lambda wc: P3["bert"]["seq_len"],
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/part3/bert_counts.log",
    script:
        "../../scripts/part3_bert_counts.py"


rule part3_bert_gemms:
    """The GEMM inventory of encoder.layer[0], traced at the aten level with eager attention."""
    input:
        code=code("part3_bert_gemms"),
    output:
        f"{P3R}/bert/gemms.json",
    params:
        batch_size=lambda wc: P3["bert"].get("gemm_batch_size", 1),
        seq_len=lambda wc: P3["bert"]["seq_len"],
        block=0,
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/part3/bert_gemms.log",
    script:
        "../../scripts/part3_bert_gemms.py"


rule part3_table:
    """One Part 3 report table (tidy CSV) from the JSON records above."""
    input:
        unpack(lambda wc: p3plan.table_inputs(P3, P3R, wc.table)),
        code=code("part3_table"),
    output:
        f"{R}/tables/{{table}}.csv",
    wildcard_constraints:
        table="|".join(P3_TABLE_NAMES),
    params:
        table=lambda wc: wc.table,
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/part3/tables/{{table}}.log",
    script:
        "../../scripts/part3_table.py"


if P3:
    TARGETS += expand(f"{R}/tables/{{table}}.csv", table=P3_TABLE_NAMES)
