# Rules for the precision study (issue 6, the lab's Q4 measured): FP32 vs BF16 autocast vs INT8 dynamic.
from mlalab.stages.precision import trained_runs

PRECISION = config.get("precision")
PRECISION_RUNS = trained_runs(config, LAB) if PRECISION else []  # checked when the workflow loads


rule precision:
    """Each trained model in FP32 / BF16 autocast / INT8 dynamic: size, latency, accuracy, dtypes; timed."""
    input:
        models=[f"{R}/runs/{m['run']}/model.pt" for m in PRECISION_RUNS],
        data=MNIST,
        code=code("precision"),
    output:
        table=f"{R}/tables/precision.csv",
        svg=f"{R}/report/figures/precision.svg",
        png=f"{R}/report/figures/precision.png",
    params:
        precision=PRECISION,
        models=PRECISION_RUNS,
        data=config.get("data", {}),
        timing=config["timing"],
        device=config["device"],
    threads: timing_threads()
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/precision/precision.log",
    script:
        "../../scripts/precision.py"


if PRECISION:
    TARGETS += [f"{R}/tables/precision.csv", f"{R}/report/figures/precision.svg"]
