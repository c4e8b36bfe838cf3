"""The folder-level summary of a results folder (rule machine, `{results}/machine.json`): which machine and
settings made it, and the lab's shape as its tables hold it. `compare` reads it to name a folder and to know
what two folders share, so everything here comes from the folder's own tables where they say it (device,
device name, threads, torch: the latency columns every table copies) and from the config otherwise.

No hostname is recorded: a folder copied back from a cluster names its machine by device and CPU/GPU model.
"""

from __future__ import annotations

import os
import platform
from collections import Counter

import pandas as pd

from mlalab.io import read_csv
from mlalab.report.provenance import config_fingerprint, cpu_model, versions

# The settings that change what a number means: folders that differ in one of these are listed side by side.
TRAINING_SETTINGS = ("seeds", "data", "training")
TIMING_SETTINGS = ("device", "timing")
INPUTS = ("image_size", "seq_len")     # what a Part 3 model's input size is called in its tables


def _ok(frame: pd.DataFrame) -> pd.DataFrame:
    if "status" not in frame.columns:
        return frame
    return frame[frame["status"].fillna("ok").astype(str) == "ok"]


def _plain(value):
    """A pandas cell as JSON: numpy ints/floats to Python, NaN to None."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value.item() if hasattr(value, "item") else value


def measured_on(frames: list[pd.DataFrame]) -> list[dict]:
    """Every (device, device_name, threads, torch) the folder's latency rows were measured with, most rows
    first."""
    seen: Counter = Counter()
    for frame in frames:
        cols = [c for c in ("device", "device_name", "threads", "torch") if c in frame.columns]
        for row in _ok(frame)[cols].itertuples(index=False):
            seen[tuple(_plain(v) for v in row) + (None,) * (4 - len(cols))] += 1
    return [{"device": d, "device_name": n, "threads": t, "torch": v, "rows": count}
            for (d, n, t, v), count in seen.most_common()]


def description(main: dict | None) -> str:
    """One line naming the machine: 'cuda NVIDIA H200, 16 threads' / 'cpu AMD EPYC, 2 threads'."""
    if not main:
        return "unknown machine (no latency measured)"
    text = " ".join(str(x) for x in (main["device"], main["device_name"]) if x)
    return f"{text}, {main['threads']} thread{'s' if main['threads'] != 1 else ''}" if main["threads"] else text


def experiment_shape(name: str, exp: dict, frame: pd.DataFrame | None) -> dict:
    """What an experiment table holds: its variants (label -> model) and batch sizes, in table order."""
    shape = {"title": exp["title"], "kind": exp["kind"], "training": exp["training"],
             "table": frame is not None}
    if frame is None:
        return {**shape, "variants": {}, "batch_sizes": []}
    return {**shape, "variants": dict(zip(frame["label"].astype(str), frame["model"].astype(str))),
            "batch_sizes": sorted({int(b) for b in frame["batch_size"]})}


def part3_models(frames: dict[str, pd.DataFrame | None]) -> dict:
    """Per Part 3 model: the tables that hold its latencies (the lab's two and the runtime table), its input
    (`image_size` or `seq_len`) and the input sizes, precisions, runtimes and batch sizes they hold."""
    out: dict[str, dict] = {}
    for table, frame in frames.items():
        if frame is None or not len(frame):
            continue
        for model, rows in frame.groupby("model", sort=False):
            col = next((c for c in INPUTS if c in rows.columns and rows[c].notna().any()), None)
            shape = out.setdefault(str(model), {"tables": [], "input": col, "input_sizes": set(), "precisions": set(),
                                                "runtimes": set(), "batch_sizes": set()})
            shape["tables"].append(table)
            shape["input_sizes"] |= {int(v) for v in rows[col].dropna()} if col else set()
            shape["precisions"] |= set(rows["precision"].dropna().astype(str))
            shape["runtimes"] |= set(rows["runtime"].dropna().astype(str)) if "runtime" in rows.columns else set()
            shape["batch_sizes"] |= {int(b) for b in rows["batch_size"]}
    return {m: {k: sorted(v) if isinstance(v, set) else v for k, v in shape.items()} for m, shape in out.items()}


def _read(path) -> pd.DataFrame | None:
    return read_csv(path, dtype={"label": str, "model": str}) if path and os.path.exists(path) else None


def describe_machine(config: dict, tables: dict, part3: dict, log) -> dict:
    """The body of rule machine: `config` is the lab's config without `results`, `mnist_dir` and `compare`,
    `tables` the experiment tables, `part3` the Part 3 tables of latency records (by name)."""
    frames = {name: _read(path) for name, path in tables.items()}
    p3 = {name: _read(path) for name, path in part3.items()}
    seen = measured_on([f for f in [*frames.values(), *p3.values()] if f is not None])
    main = seen[0] if seen else None
    record = {
        "description": description(main),
        "device": main and main["device"], "device_name": main and main["device_name"],
        "threads": main and main["threads"], "torch": main and main["torch"],
        "measured_on": seen,
        "python": platform.python_version(),
        "versions": versions(),
        # where this summary was written (on a cluster it may be another node than the timed jobs ran on)
        "written_on": {"cpu": cpu_model(), "cpu_count": os.cpu_count(),
                       "platform": f"{platform.system()} {platform.release()} ({platform.machine()})"},
        "config_sha256": config_fingerprint(config),
        "settings": {k: config[k] for k in (*TIMING_SETTINGS, *TRAINING_SETTINGS)}
        | {"part3_timing": config["part3"]["timing"] if "part3" in config else None},
        "experiments": {name: experiment_shape(name, config["experiments"][name], frames[name]) for name in frames},
        "part3": part3_models(p3),
    }
    log(f"{record['description']}; {len(record['experiments'])} experiments, Part 3: {sorted(record['part3'])}")
    return record
