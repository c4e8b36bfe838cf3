"""Which trained runs the precision study reads (torch-free: the workflow plans with it)."""

from __future__ import annotations


def trained_runs(config: dict, lab) -> list[dict]:
    """The trained run (first seed) of each `precision.models` entry: name, source experiment, label, run id.

    `lab` is mlalab.plan.config.expand(config). An entry that names no run raises ValueError, one line per
    such entry, naming its key (`precision.models[i]`), so the message points at the line to edit.
    """
    out, problems = [], []
    for i, m in enumerate(config["precision"]["models"]):
        key = f"precision.models[{i}]"
        exp = config["experiments"].get(m["experiment"])
        if exp is None:
            problems.append(f"{key}.experiment: no experiment {m['experiment']!r} in `experiments:` "
                            f"(there are {', '.join(config['experiments'])})")
            continue
        rows = [r for r in lab.rows_of(m["experiment"]) if r.batch_size == m["batch_size"]
                and r.seed == config["seeds"][0] and ("label" not in m or r.label == m["label"])]
        if not rows:
            labels = sorted({r.label for r in lab.rows_of(m["experiment"])})
            problems.append(
                f"{key}: experiment {m['experiment']!r} trains no run with batch size {m['batch_size']}"
                + (f" and label {m['label']!r}" if "label" in m else "")
                + f" (experiments.{m['experiment']}.batch_sizes: {exp['batch_sizes']}"
                + (f", labels: {labels}" if "label" in m else "") + ")")
            continue
        r = rows[0]
        out.append({"name": r.model, "source": r.experiment, "label": r.label, "run": r.run})
    if problems:
        raise ValueError("\n  ".join(problems))
    return out
