# Rules for machine peak throughput and the roofline (issue 6).
# peak: the measured ceilings (matmul GFLOP/s fp32/bf16, copy GB/s), once per device (config `device:`).
# roofline: every timed inference in the tables against those ceilings, as a table and a plot.
PEAK = config.get("peak")


rule peak:
    """Dense matmul GFLOP/s and copy bandwidth with the timing harness; timed, so it owns all cores."""
    input:
        code=code("peak"),
    output:
        json=f"{R}/peak/peak.json",
        table=f"{R}/tables/peak.csv",
    params:
        peak=PEAK,
        device=config["device"],
    threads: timing_threads()
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/peak/peak.log",
    script:
        "../../scripts/peak.py"


ROOFLINE_PART3 = bool(config.get("part3"))  # Part 3's fp32 latency tables + counts join the roofline


rule roofline:
    """Achieved GFLOP/s, % of peak and arithmetic intensity of every timed call; the roofline plot."""
    input:
        peak=f"{R}/peak/peak.json",
        tables=expand(f"{R}/tables/{{experiment}}.csv", experiment=config["experiments"]),
        part3_latency=[f"{R}/tables/part3_{net}_latency.csv" for net in ("resnet18", "bert")]
        if ROOFLINE_PART3 else [],
        part3_counts=f"{R}/tables/part3_counts.csv" if ROOFLINE_PART3 else [],
        code=code("roofline"),
    output:
        table=f"{R}/tables/roofline.csv",
        svg=f"{R}/report/figures/roofline.svg",
        png=f"{R}/report/figures/roofline.png",
    params:
        specs={mid: {"kind": m["kind"], "model": m["model"]} for mid, m in LAB.models.items()},
        plot_experiments=(PEAK or {}).get("plot_experiments", list(config["experiments"])),
        part3=ROOFLINE_PART3,
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/peak/roofline.log",
    script:
        "../../scripts/roofline.py"


if PEAK:
    TARGETS += [f"{R}/tables/peak.csv", f"{R}/tables/roofline.csv", f"{R}/report/figures/roofline.svg"]
