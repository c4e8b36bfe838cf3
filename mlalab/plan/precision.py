"""Which trained runs the precision study reads (torch-free: the workflow plans with it)."""

from __future__ import annotations


def trained_runs(config: dict, lab) -> list[dict]:
    """The trained run (first seed) of each `precision.models` entry: name, source experiment, label, run id.

    `lab` is mlalab.plan.config.expand(config); raises a clear error for an entry that names no run.
    """
    out = []
    for m in config["precision"]["models"]:
        if m["experiment"] not in config["experiments"]:
            raise ValueError(f"precision.models: no experiment {m['experiment']!r} in `experiments:`")
        rows = [r for r in lab.rows_of(m["experiment"]) if r.batch_size == m["batch_size"]
                and r.seed == config["seeds"][0] and ("label" not in m or r.label == m["label"])]
        if not rows:
            raise ValueError(f"precision.models: experiment {m['experiment']!r} has no run with batch size "
                             f"{m['batch_size']}" + (f" and label {m['label']!r}" if "label" in m else ""))
        r = rows[0]
        out.append({"name": r.model, "source": r.experiment, "label": r.label, "run": r.run})
    return out
