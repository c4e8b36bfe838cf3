"""The MLPerf Server figure of one Part 3 model: LoadGen's latency percentiles against the offered rate of
every rate the search tried, LoadGen's verdict on each, and the latency bound (from part3_scenario_runs.csv)."""

from __future__ import annotations

from matplotlib.ticker import FuncFormatter

from mlalab.report.context import read_table
from mlalab.report.plots import _empty, _save, plt

PERCENTILES = (("loadgen_p50_s", "p50", ":"), ("loadgen_p90_s", "p90", "--"), ("loadgen_p99_s", "p99", "-"))


def server_tries(frame, model: str):
    """The Server performance runs of `model`, in offered-rate order (None without any)."""
    if frame is None or not len(frame) or "scenario" not in frame.columns:
        return None
    rows = frame[(frame["model"].astype(str) == model) & (frame["scenario"] == "server")
                 & (frame["loadgen_mode"] == "performance")]
    return rows.sort_values("server_target_qps") if len(rows) else None


def scenario_figure(inputs, outputs, model: str, log) -> None:
    """The part3_scenario_figure rule: p50/p90/p99 (ms) against offered samples/s, one colour per runtime;
    filled markers VALID, open markers INVALID; the p99 bound as a horizontal line."""
    rows = server_tries(read_table(inputs.runs), model)
    if rows is None:
        _empty(outputs[0], f"{model}: no Server runs")
        log(f"{model}: no Server runs")
        return
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, (runtime, g) in enumerate(rows.groupby("runtime_label", sort=False)):
        c = colours[k % len(colours)]
        valid = (g["loadgen_validity"] == "VALID").to_numpy()
        for col, name, style in PERCENTILES:
            y = g[col].astype(float) * 1e3
            ax.plot(g["server_target_qps"], y, style, color=c, alpha=0.7, label=f"{runtime} {name}")
            ax.scatter(g["server_target_qps"][valid], y[valid], color=c, s=18, zorder=3)
            ax.scatter(g["server_target_qps"][~valid], y[~valid], facecolor="white", edgecolor=c, s=18, zorder=3)
    bound = rows["latency_bound_s"].dropna()
    if len(bound):
        ax.axhline(float(bound.iloc[0]) * 1e3, color="0.3", linewidth=1)
        pct = rows["latency_target_percentile"].dropna()
        label = f"bound {float(bound.iloc[0]) * 1e3:g} ms" + (f" at p{100 * float(pct.iloc[0]):g}" if len(pct) else "")
        ax.annotate(label, (0.01, float(bound.iloc[0]) * 1e3),
                    xycoords=("axes fraction", "data"), va="bottom", fontsize=8, color="0.3")
    ax.set_yscale("log")
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if f"{v:g}"[0] in "25" else ""))
    ax.set_xlabel("offered rate (samples/s, Poisson arrivals)")
    ax.set_ylabel("latency (ms)")
    ax.set_title(f"{model}: MLPerf Server, every rate tried (filled: VALID, open: INVALID)", fontsize=10)
    ax.legend(ncol=len(PERCENTILES), fontsize=8)
    _save(fig, outputs[0])
    log(f"{model}: {len(rows)} Server runs drawn")
