"""The report's plots (matplotlib, SVG): each function takes tables and writes one figure atomically.

A function given no usable data still writes a figure that says so, so the report rule's outputs exist.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from mlalab.io import atomic_path  # noqa: E402
from mlalab.report.context import read_table  # noqa: E402
from mlalab.report.facts.common import ok_rows  # noqa: E402

plt.rcParams.update({"svg.fonttype": "none", "font.family": "DejaVu Sans", "font.size": 10,
                     "legend.fontsize": 9, "xtick.labelsize": 9, "ytick.labelsize": 9,
                     "axes.grid": True, "grid.alpha": 0.3, "figure.dpi": 100, "svg.hashsalt": "mla-lab"})


def shown_ticks(axis) -> list[str]:
    """The tick labels a numeric axis prints inside its limits (major and minor), as text."""
    lo, hi = sorted(axis.get_view_interval())
    out = []
    for ticker, locs in ((axis.major, axis.get_majorticklocs()), (axis.minor, axis.get_minorticklocs())):
        inside = [v for v in locs if lo * (1 - 1e-9) <= v <= hi * (1 + 1e-9)]
        ticker.formatter.set_locs(inside)
        out += [t for t in (ticker.formatter(v, i) for i, v in enumerate(inside)) if str(t).strip()]
    return out


def numbered_axes(fig) -> None:
    """Every numeric axis prints at least two numbers: a log axis spanning less than a decade has no major
    tick inside it (a 16 % change then looks several-fold), so it gets ticks at 1, 2, 5 (or every digit)."""
    from matplotlib.ticker import FixedFormatter, LogLocator, MaxNLocator
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    for ax in fig.axes:
        if not ax.axison:
            continue
        for axis in (ax.xaxis, ax.yaxis):
            if isinstance(axis.get_major_formatter(), FixedFormatter) or len(shown_ticks(axis)) >= 2:
                continue      # category labels (model names), or numbered already
            if axis.get_scale() == "log":
                for subs in ((1.0, 2.0, 5.0), tuple(range(1, 10))):
                    axis.set_major_locator(LogLocator(base=10, subs=subs, numticks=15))
                    axis.set_major_formatter(plain)
                    axis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
                    if len(shown_ticks(axis)) >= 2:
                        break
            else:
                axis.set_major_locator(MaxNLocator(5))


RING = [(dx, dy) for r in (5, 10, 16, 24, 34, 46, 60) for dx, dy in
        ((r, 0), (-r, 0), (0, r), (0, -r), (r, r), (-r, r), (r, -r), (-r, -r), (2 * r, r // 2), (-2 * r, -r // 2))]


def place_labels(ax, labels: list[tuple[float, float, str]], colors=None, fontsize: float = 8) -> list:
    """Each (x, y, text) beside its point at the first offset (in points, growing rings around it) whose box
    overlaps no label placed before it, no labelled point, no legend and stays inside the axes; a thin line
    leads back to the point when the label had to move away. Deterministic (a force layout such as
    adjustText gives a different picture each run, and left labels overlapping). Call once the layout is
    final: the boxes are measured on the drawn figure."""
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    pts = [ax.transData.transform((x, y)) for x, y, _ in labels]
    taken = [matplotlib.transforms.Bbox.from_extents(px - 4, py - 4, px + 4, py + 4) for px, py in pts]
    taken += [leg.get_window_extent(renderer) for a in fig.axes for leg in [a.get_legend()] if leg]
    texts = []
    for i, (x, y, tag) in enumerate(labels):
        for k, (dx, dy) in enumerate(RING):
            t = ax.annotate(tag, (x, y), xytext=(dx, dy), textcoords="offset points", fontsize=fontsize,
                            color=colors[i] if colors else "black", va="center",
                            ha="left" if dx > 0 else "right" if dx < 0 else "center",
                            arrowprops={"arrowstyle": "-", "color": "0.5", "lw": 0.5} if k >= 10 else None)
            t.update_positions(renderer)
            box = matplotlib.text.Text.get_window_extent(t, renderer)    # the text, not its leader line
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
            if (inside and not any(box.overlaps(b) for b in taken)) or k == len(RING) - 1:
                break
            t.remove()
        taken.append(box)
        texts.append(t)
    return texts


def _save(fig, path) -> None:
    numbered_axes(fig)
    fmt = str(path).rsplit(".", 1)[-1]
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, bbox_inches="tight", metadata={"Date": None} if fmt == "svg" else None)
    plt.close(fig)


def _empty(path, message: str) -> None:
    fig, ax = plt.subplots(figsize=(6, 1.2))
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", color="0.4")
    _save(fig, path)


def _batch_axes(ax) -> None:
    """Log-log axes over batch sizes, ticks written as plain numbers (1, 2, 4 ... 128; 0.5, 20, 300)
    instead of powers (2^7, 3x10^1), which readers of a printed page had to decode."""
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    ax.xaxis.set_major_formatter(plain)
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if f"{v:g}"[0] in "25" else ""))


def _usable(frame, *cols) -> bool:
    return frame is not None and len(frame) and all(c in frame.columns for c in cols)


def training_time_vs_batch(tables: dict[str, pd.DataFrame], path) -> None:
    """`tables`: name -> batch-size experiment table (one line each), mean ± std over seeds."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    drawn = 0
    for name, t in tables.items():
        if not _usable(t, "batch_size", "train_time_s_mean"):
            continue
        t = ok_rows(t).sort_values("batch_size")
        if t.empty:
            continue
        std = t["train_time_s_std"].fillna(0)
        ax.errorbar(t["batch_size"], t["train_time_s_mean"], yerr=std, marker="o", capsize=3, label=name)
        drawn += 1
    if not drawn:
        plt.close(fig)
        return _empty(path, "no training-time data")
    _batch_axes(ax)
    ax.set_xlabel("batch size")
    ax.set_ylabel("training time per epoch (s)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
    _save(fig, path)


def latency_throughput_vs_batch(series: dict[str, pd.DataFrame], path) -> None:
    """`series`: display name -> frame with the latency record's batch_size, latency_median_s, latency_p10_s,
    latency_p90_s and throughput_per_s."""
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9.5, 3.6))
    drawn = 0
    for name, t in series.items():
        if not _usable(t, "batch_size", "latency_median_s"):
            continue
        t = ok_rows(t).sort_values("batch_size")
        if t.empty:
            continue
        med = t["latency_median_s"] * 1e3
        err = [(med - t["latency_p10_s"] * 1e3).clip(lower=0), (t["latency_p90_s"] * 1e3 - med).clip(lower=0)]
        a1.errorbar(t["batch_size"], med, yerr=err, marker="o", capsize=3, label=name)
        a2.plot(t["batch_size"], t["throughput_per_s"], marker="o", label=name)
        drawn += 1
    if not drawn:
        plt.close(fig)
        return _empty(path, "no latency data")
    for ax in (a1, a2):
        _batch_axes(ax)
        ax.set_xlabel("batch size")
    a1.set_ylabel("latency per batch (ms, median, p10–p90)")
    a2.set_ylabel("throughput (inputs / s)")
    a2.legend(loc="upper left", bbox_to_anchor=(1.02, 1))
    fig.tight_layout()
    _save(fig, path)


def accuracy_vs_params(tables: dict[str, pd.DataFrame], path) -> None:
    """Every variant of every MNIST experiment: accuracy (mean ± std) against parameter count."""
    fig, ax = plt.subplots(figsize=(7.5, 5.2))
    drawn, tags = 0, []
    for name, t in tables.items():
        if not _usable(t, "params_total", "accuracy_mean"):
            continue
        t = ok_rows(t)
        if t.empty:
            continue
        # one point per variant: the largest batch size of a batch sweep is not mixed with the others
        std = t["accuracy_std"].fillna(0) * 100
        ax.errorbar(t["params_total"], t["accuracy_mean"] * 100, yerr=std, fmt="o", capsize=3, label=name)
        for _, r in t.iterrows():
            tag = f"{r['label']}" + (f" bs{int(r['batch_size'])}" if t["batch_size"].nunique() > 1 else "")
            tags.append((float(r["params_total"]), float(r["accuracy_mean"]) * 100, tag))
        drawn += 1
    if not drawn:
        plt.close(fig)
        return _empty(path, "no accuracy data")
    ax.set_xscale("log")
    count = FuncFormatter(lambda v, _: f"{v / 1e6:g}M" if v >= 1e6 else f"{v / 1e3:g}k")
    ax.xaxis.set_major_formatter(count)
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: count(v) if f"{v:g}"[0] in "25" else ""))
    ax.set_xlabel("parameters")
    ax.set_ylabel("test accuracy (%)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
    low, high = ax.get_ylim()
    ax.set_ylim(low - 0.04 * (high - low), high + 0.08 * (high - low))     # room around the edge points' labels
    numbered_axes(fig)
    place_labels(ax, tags)    # variants of similar size sit close together: labels placed apart
    _save(fig, path)


def layers_figure(layers: pd.DataFrame, batches: list[int], path, title: str = "",
                  skip_models: set | None = None) -> None:
    """Per variant of an experiment's layer table: weight bytes vs activation bytes per layer (log scale),
    and MACs per layer. Variants whose model is in `skip_models` (drawn for an earlier experiment) are left
    out, so the same chart is not drawn twice."""
    if not _usable(layers, "name", "param_bytes"):
        return _empty(path, "no per-layer data")
    body = layers[(layers["name"] != "total") & ~layers["model"].isin(skip_models or set())]
    groups = list(body.groupby("label", sort=False))
    if not groups:
        return _empty(path, "every variant is drawn in an earlier part")
    n = len(groups)
    fig, axes = plt.subplots(n, 2, figsize=(10, 3.3 * n), squeeze=False)
    for row, (label, g) in enumerate(groups):
        names = list(g["name"].astype(str))
        x = range(len(names))
        ax = axes[row][0]
        cols = [("param_bytes", "weights + bias")] + [(f"act_bytes_b{b}", f"activations, batch {b}")
                                                     for b in batches if f"act_bytes_b{b}" in g]
        width = 0.8 / len(cols)
        for i, (col, lab) in enumerate(cols):
            vals = g[col].astype(float).where(g[col].astype(float) > 0) / 1024
            ax.bar([xi + (i - (len(cols) - 1) / 2) * width for xi in x], vals, width, label=lab)
        ax.set_yscale("log")
        ax.set_ylabel("KiB")
        ax.set_xticks(list(x), names, rotation=45, ha="right", fontsize=8)
        ax.set_title(f"{label}: weights vs activations per layer", fontsize=10)
        if row == 0:
            ax.legend(loc="lower left", bbox_to_anchor=(0, 1.12), ncol=len(cols), fontsize=8, frameon=False)
        ax2 = axes[row][1]
        macs = g["macs_per_sample"].astype(float)
        ax2.bar(list(x), macs.where(macs > 0), color="tab:purple")
        ax2.set_yscale("log")
        ax2.set_ylabel("MACs per sample")
        ax2.set_xticks(list(x), names, rotation=45, ha="right", fontsize=7)
        ax2.set_title(f"{label}: MACs per layer (Conv/Linear)", fontsize=10)
        if not (macs > 0).any():
            ax2.text(0.5, 0.5, "no MACs", transform=ax2.transAxes, ha="center")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    _save(fig, path)


def precision_figure(frame: pd.DataFrame | None, path) -> None:
    """Precision study, one panel each: model size (log scale, so the small MNIST models show), throughput at
    each model's largest batch (log, with throughput_p10_per_s..throughput_p90_per_s as error bars), and
    accuracy (BERT, with random weights: % of argmax predictions equal to fp32's)."""
    import numpy as np

    if not _usable(frame, "model", "precision", "batch_size", "state_dict_bytes", "throughput_per_s"):
        _empty(path, "no precision study in this run")
        return
    ok = ok_rows(frame)
    models = list(dict.fromkeys(ok["model"]))
    modes = list(dict.fromkeys(ok["precision"]))
    fig, axes = plt.subplots(1, 3, figsize=(8.2, 3.3))
    width = 0.8 / max(1, len(modes))
    xs = np.arange(len(models))
    for j, mode in enumerate(modes):
        size, thr, err, acc = [], [], [[], []], []
        for m in models:
            g = ok[(ok["model"] == m) & (ok["precision"] == mode)]
            big = g[g["batch_size"] == g["batch_size"].max()] if len(g) else g
            size.append(g["state_dict_bytes"].iloc[0] / 2**20 if len(g) else np.nan)
            if len(big):
                r = big.iloc[0]
                t = float(r["throughput_per_s"])
                thr.append(t)
                lo = float(r["throughput_p10_per_s"]) if pd.notna(r["throughput_p10_per_s"]) else t
                hi = float(r["throughput_p90_per_s"]) if pd.notna(r["throughput_p90_per_s"]) else t
                err[0].append(max(0.0, t - lo))
                err[1].append(max(0.0, hi - t))
            else:
                thr.append(np.nan)
                err[0].append(0.0)
                err[1].append(0.0)
            a = g["accuracy"].iloc[0] if len(g) else np.nan
            if pd.isna(a) and len(g):
                a = g["agreement_with_fp32"].iloc[0]
            acc.append(100 * a if pd.notna(a) else np.nan)
        pos = xs + (j - (len(modes) - 1) / 2) * width
        axes[0].bar(pos, size, width, label=mode)
        axes[1].bar(pos, thr, width, yerr=err, capsize=2, label=mode)
        axes[2].bar(pos, acc, width, label=mode)
    bss = {m: int(ok[ok["model"] == m]["batch_size"].max()) for m in models}
    titles = ("model size (MiB, state_dict)", "throughput, largest batch (inputs/s)",
              "accuracy % (bert-base: % equal to fp32)")
    for ax, title in zip(axes, titles):
        # one line each: rotated two-line labels of neighbouring models run into each other
        labels = [f"{m} (batch {bss[m]})" if ax is axes[1] else m for m in models]
        ax.set_xticks(xs, labels, fontsize=7, rotation=40, ha="right", rotation_mode="anchor")
        ax.set_title(title, fontsize=8.5)
        ax.grid(True, axis="y", alpha=0.3)
        ax.grid(False, axis="x")
    axes[0].set_yscale("log")
    axes[1].set_yscale("log")
    axes[2].set_ylim(0, 100)
    axes[2].legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=8, title="precision", title_fontsize=8)
    fig.tight_layout()
    _save(fig, path)


PART3_NAMES = {"part3_resnet18_latency": "ResNet18", "part3_bert_latency": "BERT-base"}


def draw_plots(inputs, tables: dict, layer_tables: dict, batch_experiments: list, part3: dict, plots: dict,
               batches: dict, log) -> None:
    """The report-plots job: every figure of `plots` (key -> SVG path) from the tables (name -> CSV path);
    `batches`: experiment -> its batch sizes (each layer figure shows the activations at its own).
    Part 3's latency tables add their fp32 rows to the latency figure (bf16 belongs to the precision study);
    the precision figure reads `inputs.precision` when the study is configured."""
    frames = {name: read_table(path) for name, path in tables.items()}
    batch_tables = {name: frames[name] for name in batch_experiments}
    training_time_vs_batch(batch_tables, plots["training_time_vs_batch"])
    series = {f"{name} ({t['kind'].iloc[0].upper() if t is not None and len(t) else ''})": t
              for name, t in batch_tables.items()}
    for table, path in part3.items():
        frame = read_table(path)
        series[PART3_NAMES.get(table, table)] = (frame if frame is None or not len(frame)
                                                 else frame[frame["precision"].astype(str) == "fp32"])
    latency_throughput_vs_batch(series, plots["latency_throughput_vs_batch"])
    accuracy_vs_params(frames, plots["accuracy_vs_params"])
    drawn: set = set()
    for name, path in layer_tables.items():
        exp = name[: -len("_layers")]
        frame = read_table(path)
        layers_figure(frame, list(batches.get(exp, [])), plots[f"{exp}_layers"], skip_models=set(drawn))
        if frame is not None and len(frame):
            drawn |= set(frame["model"])
    if "precision_summary" in plots:
        precision = list(inputs.precision)
        precision_figure(read_table(precision[0]) if precision else None, plots["precision_summary"])
    log(f"wrote {len(plots)} figures")


def part3_runtime_figure(inputs, outputs, model: str, log) -> None:
    """The part3_figure rule: one Part 3 model's latency and throughput per batch, one line per runtime
    (part3_runtimes.csv; failed runtimes are left out, their reasons are in the table)."""
    frame = read_table(inputs.table)
    rows = frame[frame["model"].astype(str) == model] if _usable(frame, "model", "runtime_label") else None
    series = {} if rows is None else {str(k): g for k, g in rows.groupby("runtime_label", sort=False)}
    latency_throughput_vs_batch(series, outputs[0])
    log(f"{model}: {len(series)} runtimes drawn")
