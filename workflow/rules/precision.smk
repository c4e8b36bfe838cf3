# Rules for the precision study (issue 6, the lab's Q4 measured): FP32 vs BF16 autocast vs INT8 dynamic.
PRECISION = config.get("precision")


def _precision_models():
    """The trained run (first seed) of each `precision.models` entry: name, source experiment, run id."""
    out = []
    for m in PRECISION["models"]:
        if m["experiment"] not in config["experiments"]:
            raise ValueError(f"precision.models: no experiment {m['experiment']!r} in `experiments:`")
        rows = [r for r in LAB.rows_of(m["experiment"]) if r.batch_size == m["batch_size"]
                and r.seed == config["seeds"][0] and ("label" not in m or r.label == m["label"])]
        if not rows:
            raise ValueError(f"precision.models: experiment {m['experiment']!r} has no run with batch size "
                             f"{m['batch_size']}" + (f" and label {m['label']!r}" if "label" in m else ""))
        r = rows[0]
        out.append({"name": r.model, "source": r.experiment, "label": r.label, "run": r.run})
    return out


rule precision:
    """Each trained model in FP32 / BF16 autocast / INT8 dynamic: size, latency, accuracy, dtypes; timed."""
    input:
        models=lambda wc: [f"{R}/runs/{m['run']}/model.pt" for m in _precision_models()],
        data=MNIST,
        code=pkg("precision", "peak", "timing", "io", "joblog", "data", "models", "train_job", "part3/nets"),
    output:
        table=f"{R}/tables/precision.csv",
        svg=f"{R}/report/figures/precision.svg",
        png=f"{R}/report/figures/precision.png",
    params:
        precision=PRECISION,
        models=lambda wc: _precision_models(),
        data=config.get("data", {}),
        timing=config["timing"],
        device=config["device"],
    threads: timing_threads()
    log:
        f"{LOGS}/precision/precision.log",
    script:
        "../../scripts/precision.py"


if PRECISION:
    TARGETS += [f"{R}/tables/precision.csv", f"{R}/report/figures/precision.svg"]
