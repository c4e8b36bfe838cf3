"""Several results folders side by side (rule compare): per experiment and per Part 3 model, each folder's
numbers in one table, the speed-up of each folder against the first, and whether the difference is beyond the
timing noise (mlalab.report.noise.medians_differ, the report's rule).

A folder is read through its `machine.json` (rule machine: machine, settings, lab shape) and its `tables/`
only. Rows are joined on their identity (experiment: variant label, model, batch size; Part 3 model:
precision, runtime, input size, batch size); a row that only some folders have stays in the table with the others missing, and
is listed among what was left out of the comparison. The MLPerf scenario results: mlalab.report.compare_scenarios.
Facts here, words in templates/compare.html.j2.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mlalab.io import read_csv, read_json
from mlalab.report.noise import Latency, medians_differ

EXPERIMENT_KEYS = ["label", "model", "batch_size"]
EXPERIMENT_VALUES = ["latency_median_s", "throughput_per_s", "train_time_s_mean", "accuracy_mean"]
PART3_KEYS = ["precision", "runtime", "input_size", "batch_size"]   # input_size: image_size or seq_len
CI = ["latency_ci95_low_s", "latency_ci95_high_s"]
TRAINING_SETTINGS = ("seeds", "data", "training")        # training time and accuracy mean the same only if equal


class CompareError(ValueError):
    pass


@dataclass(frozen=True)
class Folder:
    path: str
    name: str          # the shortest tail of the path that tells the folders apart
    machine: dict

    @property
    def label(self) -> str:
        return f"{self.machine.get('description') or 'unknown machine'} · {self.name}"


def _names(paths: list[str]) -> list[str]:
    parts = [Path(os.path.abspath(p)).parts for p in paths]
    for n in range(1, max(len(p) for p in parts) + 1):
        names = ["/".join(p[-n:]) for p in parts]
        if len(set(names)) == len(names):
            return names
    raise CompareError(f"compare: a folder is listed twice: {paths}")


def load_folders(paths: list[str]) -> list[Folder]:
    """The listed folders with their machine.json; refuses fewer than two, or a folder without machine.json."""
    paths = [str(p) for p in paths or []]
    if len(paths) < 2:
        raise CompareError(f"compare: list two or more results folders (config key `compare:`), got {paths}")
    lacking = [p for p in paths if not os.path.isfile(os.path.join(p, "machine.json"))]
    if lacking:
        raise CompareError("compare: no machine.json in " + ", ".join(lacking) + ": not a results folder, or "
                           "built before machine.json existed (write one from its tables with that folder's config: "
                           "snakemake --cores 1 --allowed-rules machine -- machine)")
    real = {}
    for p in paths:   # a symlink (or another spelling) of a listed folder is that folder, not a second one
        if os.path.realpath(p) in real:
            raise CompareError(f"compare: {p} is the folder {real[os.path.realpath(p)]} again (both are "
                               f"{os.path.realpath(p)}): list each results folder once")
        real[os.path.realpath(p)] = p
    names = _names(paths)
    return [Folder(p, n, read_json(Path(p, "machine.json"))) for p, n in zip(paths, names)]


def sources(paths: list[str]) -> dict[str, str]:
    """Per folder, a hash of the size and mtime of every file the comparison reads there (machine.json and
    tables/*.csv): the compare rule's parameter, so a changed table reruns it (and Snakemake's reason names
    the folder). Refuses what load_folders refuses, before any job runs."""
    load_folders(paths)
    stamp = {}
    for folder in paths:
        tables = os.path.join(folder, "tables")
        csvs = sorted(n for n in os.listdir(tables) if n.endswith(".csv")) if os.path.isdir(tables) else []
        digest = hashlib.sha256()
        for name in ["machine.json", *(os.path.join("tables", n) for n in csvs)]:
            st = os.stat(os.path.join(folder, name))
            digest.update(f"{name}:{st.st_size}:{st.st_mtime_ns}\n".encode())
        stamp[folder] = digest.hexdigest()[:16]
    return stamp


def _read(path: str) -> pd.DataFrame | None:
    if not os.path.isfile(path):
        return None
    return read_csv(path, dtype={"label": str, "model": str, "precision": str})


def _cell(record: dict, has_ci: bool = True) -> dict:
    """One folder's figures of one row: the values, the CI of the latency median (`has_ci`: its table has the
    interval columns at all), ok or failed."""
    out = {c: _num(record.get(c)) for c in [*EXPERIMENT_VALUES, *CI]}
    out["has_ci"] = has_ci
    out["status"] = str(record.get("status") or "ok") if not _missing(record.get("status")) else "ok"
    out["error"] = None if _missing(record.get("error")) else str(record["error"])
    return out


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and x != x)


def _num(x) -> float | None:
    return None if _missing(x) else float(x)


def join(frames: list[pd.DataFrame | None], keys: list[str]) -> list[dict]:
    """Rows of several folders' tables joined on `keys`: every key any folder has, in order of first
    appearance (first folder first); `cells[i]` is folder i's figures or None when it lacks the row."""
    rows: dict[tuple, dict] = {}
    for i, frame in enumerate(frames):
        if frame is None:
            continue
        has_ci = all(c in frame.columns for c in CI)
        for record in frame.to_dict("records"):
            key = tuple(_key(record[k]) for k in keys)
            row = rows.setdefault(key, {"key": dict(zip(keys, key)), "cells": [None] * len(frames)})
            row["cells"][i] = _cell(record, has_ci)
    return list(rows.values())


def _key(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, float) and value != value:   # NaN != NaN: a blank cell (a failed row's size) joins as None
        return None
    return value.item() if hasattr(value, "item") else value


def _ok(cell: dict | None, column: str) -> float | None:
    return cell[column] if cell is not None and cell["status"] == "ok" else None


def _ratio(num: float | None, den: float | None) -> float | None:
    return num / den if num is not None and den else None


def pair(first: dict | None, other: dict | None, training: bool) -> dict:
    """`other` against `first`: speed-up = first's latency median / other's (> 1: other is faster; the same as
    other's throughput / first's), whether the medians differ beyond timing noise (True / False / None: not
    enough calls to tell, or `unknown` says why), and, if both folders trained alike, the training-time speed-up
    and accuracy difference."""
    lat_a, lat_b = _ok(first, "latency_median_s"), _ok(other, "latency_median_s")
    differs, unknown = None, None
    if lat_a is not None and lat_b is not None:
        differs = medians_differ(*(Latency(c["latency_median_s"], *(_nan(c[k]) for k in CI)) for c in (first, other)))
        lacking = not (first.get("has_ci", True) and other.get("has_ci", True))
        unknown = (f"no interval columns ({', '.join(CI)}) in a table" if lacking
                   else "not enough calls to tell" if differs is None else None)
    acc_a, acc_b = _ok(first, "accuracy_mean"), _ok(other, "accuracy_mean")
    return {
        "speedup": _ratio(lat_a, lat_b),
        "differs": differs,
        "unknown": unknown,
        "train_speedup": _ratio(_ok(first, "train_time_s_mean"), _ok(other, "train_time_s_mean")) if training else None,
        "accuracy_diff": acc_b - acc_a if training and acc_a is not None and acc_b is not None else None,
    }


def _nan(x: float | None) -> float:
    return float("nan") if x is None else x


def trained_alike(a: Folder, b: Folder, experiment: str) -> bool:
    """Training time and accuracy compare only between folders with the same seeds, data and training
    settings (the experiment's own overrides included)."""
    def setup(f: Folder):
        exp = f.machine.get("experiments", {}).get(experiment, {})
        return [f.machine.get("settings", {}).get(k) for k in TRAINING_SETTINGS] + [exp.get("training")]
    return setup(a) == setup(b)


def _frames_experiment(folders: list[Folder], name: str) -> list[tuple[pd.DataFrame | None, str | None]]:
    """Each folder's table of experiment `name`, or None and why not."""
    out = []
    for f in folders:
        if name not in f.machine.get("experiments", {}):
            out.append((None, "not in its lab"))
            continue
        out.append(_keyed(os.path.join(f.path, "tables", f"{name}.csv"), EXPERIMENT_KEYS))
    return out


def _keyed(path: str, keys: list[str]) -> tuple[pd.DataFrame | None, str | None]:
    """A folder's table, or None and why not: absent, or without the columns its rows are joined on."""
    frame = _read(path)
    if frame is None:
        return None, "table missing"
    lacking = [k for k in keys if k not in frame.columns]
    if lacking:
        return None, (f"{path} has no {', '.join(lacking)} column (damaged, or not a table of this lab): delete it "
                      f"and run snakemake in that folder's lab to rebuild it")
    return frame, None


def _frames_part3(folders: list[Folder], model: str) -> list[tuple[pd.DataFrame | None, str | None]]:
    """Each folder's latencies of Part 3 model `model` from every table that holds them (the lab's table and
    the runtime table copy the same records: one row per key), or None and why not."""
    out = []
    for f in folders:
        shape = f.machine.get("part3", {}).get(model)
        if not shape:
            out.append((None, "not in its lab"))
            continue
        keys = ["model", "precision", "batch_size", *([shape["input"]] if shape["input"] else [])]
        found = [_keyed(os.path.join(f.path, "tables", f"{n}.csv"), keys) for n in shape["tables"]]
        frames = [t[t["model"] == model] for t, _ in found if t is not None]
        if not frames:
            out.append((None, "; ".join(dict.fromkeys(why for _, why in found if why)) or "table missing"))
            continue
        frame = pd.concat(frames, ignore_index=True)
        frame = frame.assign(input_size=frame[shape["input"]] if shape["input"] else None,
                             runtime=frame["runtime"] if "runtime" in frame.columns else "eager")
        out.append((frame.drop_duplicates(subset=PART3_KEYS, keep="first"), None))
    return out


def _union(lists) -> list:
    seen: dict = {}
    for names in lists:
        seen.update(dict.fromkeys(names))
    return list(seen)


def section(kind: str, name: str, title: str, found: list, keys: list[str], training: list[bool]) -> dict:
    """One table of the comparison from each folder's (table or None, why not): its rows (joined), each row's
    pairs against the first folder, which folders lack the whole table and why, and the rows some lack."""
    frames = [frame for frame, _ in found]
    rows = join(frames, keys)
    for row in rows:
        first, others = row["cells"][0], row["cells"][1:]
        row["pairs"] = [pair(first, other, training[i + 1]) for i, other in enumerate(others)]
        row["present"] = [i for i, c in enumerate(row["cells"]) if c is not None]
        row["shared"] = len(row["present"]) == len(frames)
    has_table = [i for i, f in enumerate(frames) if f is not None]
    return {"kind": kind, "name": name, "title": title, "keys": keys, "rows": rows,
            "absent": [{"folder": i, "reason": why} for i, (frame, why) in enumerate(found) if frame is None],
            # rows a folder lacks although it has the table (a whole missing table is said once, in `absent`)
            "left_out": [r for r in rows if any(r["cells"][i] is None for i in has_table)],
            "training": training}


def sections(folders: list[Folder]) -> list[dict]:
    """One section per experiment, then one per Part 3 model, in the order the folders list them."""
    out = []
    for name in _union(f.machine.get("experiments", {}) for f in folders):
        title = next(f.machine["experiments"][name]["title"] for f in folders if name in f.machine["experiments"])
        training = [trained_alike(folders[0], f, name) for f in folders]
        out.append(section("experiment", name, title, _frames_experiment(folders, name), EXPERIMENT_KEYS, training))
    for model in _union(f.machine.get("part3", {}) for f in folders):
        sec = section("part3", model, model, _frames_part3(folders, model), PART3_KEYS, [False] * len(folders))
        sec["input"] = next(f.machine["part3"][model]["input"] for f in folders if model in f.machine["part3"])
        out.append(sec)
    return out


def _flat(obj, prefix: str = "") -> dict:
    if isinstance(obj, dict):
        return {k: v for key, val in obj.items() for k, v in _flat(val, f"{prefix}{key}.").items()}
    return {prefix.rstrip("."): obj}


def settings_differences(folders: list[Folder]) -> list[dict]:
    """Every setting (machine.json `settings`, dotted) whose value is not the same in all folders."""
    flat = [_flat(f.machine.get("settings", {})) for f in folders]
    keys = _union(flat)
    return [{"setting": k, "values": [fl.get(k) for fl in flat]} for k in keys
            if len({json.dumps(fl.get(k), sort_keys=True) for fl in flat}) > 1]


def comparison(folders: list[Folder]) -> dict:
    """Everything the template shows, as data."""
    # imported here: compare_scenarios reads the tables with this module's readers
    from mlalab.report.compare_scenarios import scenario_section

    secs = sections(folders)
    scenarios = scenario_section(folders)
    return {"folders": folders, "sections": secs, "settings": settings_differences(folders),
            "same_config": len({f.machine.get("config_sha256") for f in folders}) == 1, "scenarios": scenarios,
            "left_out": [s for s in [*secs, scenarios] if s and (s["left_out"] or s["absent"])]}


def compare_folders(outputs, folders: list[str], log) -> None:
    """The body of rule compare: the folders' comparison as figures, one HTML file and its PDF."""
    from mlalab.io import atomic_path
    from mlalab.report.compare_figures import speedup_bars, throughput_vs_batch
    from mlalab.report.context import data_uri
    from mlalab.report.render import environment, write_pdf

    found = load_folders(folders)
    for f in found:
        log(f"{f.path}: {f.label}")
    context = comparison(found)
    labels = [f.label for f in found]
    throughput_vs_batch(context["sections"], labels, outputs.throughput)
    speedup_bars(context["sections"], labels, outputs.speedup)
    figures = {"throughput": data_uri(outputs.throughput), "speedup": data_uri(outputs.speedup)}
    html = environment().get_template("compare.html.j2").render(**context, figures=figures)
    with atomic_path(outputs.html) as tmp:
        tmp.write_text(html, encoding="utf-8")
    with atomic_path(outputs.pdf) as tmp:
        write_pdf(html, tmp, base_url=str(Path(outputs.html).resolve().parent))
    for path in (outputs.html, outputs.pdf):   # atomic_path's temp files are 0600; a report is for readers
        os.chmod(path, 0o644)
    left = sum(len(s["left_out"]) for s in context["sections"])
    log(f"wrote {outputs.html} and {outputs.pdf}: {len(context['sections'])} tables, {left} rows not in every folder")
