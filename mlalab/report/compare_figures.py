"""The comparison's figures (matplotlib, SVG), drawn from the joined sections of mlalab.report.compare:
throughput against batch size, one line per folder, for every series that sweeps the batch size; and the
speed-up of each folder against the first, one bar per row the folders share."""

from __future__ import annotations

import math

from mlalab.report.plots import _empty, _save, plt

SERIES_KEYS = {"experiment": ("label",), "part3": ("precision", "runtime", "input_size")}


def _series(sec: dict) -> dict[tuple, list[dict]]:
    """A section's rows grouped by everything but the batch size (a variant; a precision and runtime at an
    input size)."""
    groups: dict[tuple, list[dict]] = {}
    for row in sec["rows"]:
        groups.setdefault(tuple(row["key"][k] for k in SERIES_KEYS[sec["kind"]]), []).append(row)
    return {k: rows for k, rows in groups.items() if len({r["key"]["batch_size"] for r in rows}) > 1}


def _series_title(sec: dict, key: tuple) -> str:
    if sec["kind"] == "part3":
        return f"{sec['name']} {key[0]} {key[1]}, input {key[2]}"
    return f"{sec['name']} {key[0]}"


def throughput_vs_batch(sections: list[dict], labels: list[str], path) -> None:
    panels = [(sec, key, rows) for sec in sections for key, rows in _series(sec).items()]
    if not panels:
        _empty(path, "no series sweeps the batch size")
        return
    cols = min(3, len(panels))
    nrows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(4.2 * cols, 3.2 * nrows + 0.6), squeeze=False)
    for ax, (sec, key, rows) in zip(axes.flat, panels):
        for i, label in enumerate(labels):
            pts = sorted((r["key"]["batch_size"], r["cells"][i]["throughput_per_s"]) for r in rows
                         if r["cells"][i] is not None and r["cells"][i]["status"] == "ok"
                         and r["cells"][i]["throughput_per_s"])
            if pts:
                # marker and dash differ too, so a folder whose line lies on another's stays visible
                ax.plot(*zip(*pts), marker="os^Dv"[i % 5], linestyle=("-", "--", ":", "-.")[i % 4], color=f"C{i}",
                        label=label, markerfacecolor="none" if i else None)
        ax.set(xscale="log", yscale="log", xlabel="batch size", ylabel="throughput (inputs/s)",
               title=_series_title(sec, key))
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    handles, names = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=min(2, len(labels)), frameon=False)
    fig.tight_layout(rect=(0, 0.06 if nrows > 1 else 0.12, 1, 1))
    _save(fig, path)


def _row_label(sec: dict, row: dict) -> str:
    k = row["key"]
    if sec["kind"] == "part3":
        return f"{sec['name']} {k['precision']} {k['runtime']} in {k['input_size']} bs{k['batch_size']}"
    return f"{sec['name']} {k['label']} bs{k['batch_size']}"


def speedup_bars(sections: list[dict], labels: list[str], path) -> None:
    """Latency speed-up of each folder against the first (log scale: 2x faster and 2x slower are as long);
    a hatched bar is within the timing noise or could not be told apart."""
    rows = [(_row_label(sec, row), row["pairs"]) for sec in sections for row in sec["rows"]
            if any(p["speedup"] for p in row["pairs"])]
    if not rows:
        _empty(path, "no row has a latency in the first folder and another one")
        return
    others = len(labels) - 1
    height = 0.8 / others
    fig, ax = plt.subplots(figsize=(8, 0.9 + 0.22 * len(rows) * max(1, others * 0.7)))
    for j in range(others):
        label = labels[j + 1]
        for y, (_, pairs) in enumerate(rows):
            p = pairs[j]
            if p["speedup"]:
                ax.barh(y + (j - (others - 1) / 2) * height, math.log2(p["speedup"]), height=height,
                        color=f"C{j + 1}", hatch=None if p["differs"] else "///", edgecolor="white", label=label)
                label = None    # one legend entry per folder
    ax.axvline(0, color="0.2", linewidth=0.8)
    ax.set_yticks(range(len(rows)), [name for name, _ in rows])
    ax.invert_yaxis()
    lo, hi = ax.get_xlim()
    ticks = range(math.floor(lo), math.ceil(hi) + 1)
    ax.set_xticks(list(ticks), [f"{2.0 ** t:g}×" for t in ticks])
    ax.set_xlabel(f"speed-up against {labels[0]} (right: faster)")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False, fontsize=8)
    fig.tight_layout()
    _save(fig, path)
