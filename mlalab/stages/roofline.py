"""Each timed inference against the machine's measured ceilings (see mlalab/peak.py).

Definitions (all per *batch*, i.e. per timed call):

* FLOPs = 2 x MACs (one multiply + one add). MACs come from the timing tables (the counters of
  mlalab/measure/counters.py), so only the GEMM-like layers (Linear/Conv/matmul) are counted; element-wise ops
  (ReLU, pooling, softmax, layer norm) add memory traffic but no counted FLOPs.
* achieved GFLOP/s = 2 x MACs / median latency / 1e9; its % of the measured fp32 matmul peak.
* bytes moved -- an *estimate*, not a measurement (no hardware counters are read). We count what must
  cross main memory at least once if nothing were reused between calls:
      bytes(B) = parameter bytes + B x (input bytes + activation bytes) per sample,
  where parameter bytes are every parameter and buffer at its stored dtype, and activation bytes are the
  outputs of every leaf module for one sample (mlalab.measure.walker; an output that shares its layer's
  input storage is not counted again: written once, and its read by the next layer assumed to hit
  cache). Ignored: re-reads of weights per tile, im2col buffers, intermediates inside fused kernels (all
  make real traffic larger), and caches holding small models' weights between calls (which makes real
  DRAM traffic smaller: an MNIST MLP's 0.8 MB of weights fits in L2/L3, so its true intensity is higher
  than this estimate).
* arithmetic intensity = FLOPs / bytes (FLOP/byte). The roof at that intensity is
  min(peak GFLOP/s, intensity x bandwidth GB/s); the ridge point is peak / bandwidth.
* roofline time = max(FLOPs / peak, bytes / bandwidth): the fastest the call could run on this machine.
  latency / roofline time >> 1 means the call is bound by fixed per-call costs (Python, dispatch, kernel
  launch, thread wake-up), i.e. latency-bound, not by compute or memory.
"""

from __future__ import annotations

import math

import pandas as pd
import torch
from torch import nn

from mlalab.measure.counters import params
from mlalab.measure.walker import nbytes, tensors, walk
from mlalab.stages.peak import ceiling_for


def achieved_gflops(macs: float, latency_s: float) -> float:
    """2 x MACs / latency, in GFLOP/s."""
    if latency_s <= 0:
        raise ValueError(f"latency must be positive, got {latency_s}")
    return 2.0 * macs / latency_s / 1e9


def pct_of_peak(gflops: float, peak_gflops: float | None) -> float:
    return 100.0 * gflops / peak_gflops if peak_gflops else math.nan


def arithmetic_intensity(flops: float, nbytes: float) -> float:
    """FLOP per byte moved."""
    if nbytes <= 0:
        raise ValueError(f"bytes moved must be positive, got {nbytes}")
    return flops / nbytes


def roof(intensity: float, peak_gflops: float, bandwidth_gbs: float) -> float:
    """Attainable GFLOP/s at `intensity`: the lower of the compute roof and the bandwidth slope."""
    return min(peak_gflops, intensity * bandwidth_gbs)


def traffic_bytes(model: nn.Module, x, **kwargs) -> dict:
    """Parameter bytes, input bytes and leaf-module output bytes of one forward call on `x`.

    Activation and input bytes scale with the batch of `x`; call it with one sample to get per-sample
    figures. An output sharing storage with its layer's input is not counted again, so in-place ReLUs,
    eval-mode Dropout and Flatten views add nothing.
    """
    p = params(model)
    inputs = (x,) if isinstance(x, torch.Tensor) else tuple(x)
    input_bytes = sum(nbytes(t) for t in tensors((inputs, kwargs)))
    calls = walk(model, inputs, kwargs).calls
    return {"param_bytes": int(p["bytes"] + p["buffer_bytes"]), "input_bytes": int(input_bytes),
            "activation_bytes": int(sum(c.new_output_bytes for c in calls))}


def model_traffic(spec: dict) -> dict:
    """Per-sample input/activation bytes and (batch-independent) parameter bytes of one model spec
    (mlalab.measure.models.build; random weights: only shapes matter here)."""
    from mlalab.measure.models import build, call_arguments, example_batch

    model = build(spec)
    args, kwargs = call_arguments(spec, example_batch(spec, model, 1))
    return traffic_bytes(model, args, **kwargs)


def analyse(timings: pd.DataFrame, traffic: dict[str, dict], peak: dict, peaks: dict | None = None) -> pd.DataFrame:
    """One roofline row per timed call.

    `timings` needs model, batch_size, latency_median_s and macs_per_batch (analytic); optional columns
    (experiment, label, latency_p10_s, latency_p90_s, latency_repeats, source, device, threads) are kept.
    `traffic` maps model -> `traffic_bytes` of one sample; `peak` is mlalab.stages.peak.summarize's dict, and
    `peaks` the same per thread count: a row is compared with the ceilings of its own `threads` where measured.
    """
    out = []
    for row in timings.to_dict("records"):
        ceiling = ceiling_for({"peak": peak, "peaks": peaks}, row.get("threads"))
        p32, bw = _compute_roof(ceiling), ceiling["copy_gbs"]
        ridge = p32 / bw
        bs = int(row["batch_size"])
        macs = float(row["macs_per_batch"])
        flops = 2.0 * macs
        t = traffic[row["model"]]
        nbytes = t["param_bytes"] + bs * (t["input_bytes"] + t["activation_bytes"])
        lat = float(row["latency_median_s"])
        g = achieved_gflops(macs, lat)
        ai = arithmetic_intensity(flops, nbytes)
        roof_g = roof(ai, p32, bw)
        roof_t = max(flops / (p32 * 1e9), nbytes / (bw * 1e9))
        r = {k: row.get(k) for k in ("source", "experiment", "label", "model") if k in row}
        r.update({
            "batch_size": bs, "precision": "fp32", "latency_median_s": lat,
            "latency_p10_s": row.get("latency_p10_s", math.nan), "latency_p90_s": row.get("latency_p90_s", math.nan),
            "latency_repeats": row.get("latency_repeats", math.nan),
            # the median's interval and drift verdict travel with it: the report compares batches by them
            **{k: row.get(k) for k in ("latency_ci95_low_s", "latency_ci95_high_s", "latency_drift")},
            "latency_per_sample_s": lat / bs,
            "macs_per_batch": macs, "macs_source": "analytic", "flops_per_batch": flops,
            "achieved_gflops": g,
            # a slower call (p90 latency) gives the lower GFLOP/s
            "achieved_gflops_p10": achieved_gflops(macs, float(row["latency_p90_s"])) if _ok(row, "latency_p90_s") else math.nan,
            "achieved_gflops_p90": achieved_gflops(macs, float(row["latency_p10_s"])) if _ok(row, "latency_p10_s") else math.nan,
            "peak_fp32_gflops": p32, "pct_of_peak_fp32": pct_of_peak(g, p32),
            "param_bytes": t["param_bytes"], "input_bytes_per_sample": t["input_bytes"],
            "activation_bytes_per_sample": t["activation_bytes"], "bytes_per_batch": nbytes,
            "arithmetic_intensity_flop_per_byte": ai, "ridge_flop_per_byte": ridge,
            "bound": "memory" if ai < ridge else "compute",
            "roof_gflops": roof_g, "pct_of_roof": pct_of_peak(g, roof_g),
            "roofline_time_s": roof_t, "latency_over_roofline_time": lat / roof_t,
            "bandwidth_gbs": bw, "device": row.get("device"), "threads": row.get("threads"),
            "peak_threads": _peak_threads(ceiling, peak, peaks),
        })
        out.append(r)
    return pd.DataFrame(out)


def _peak_threads(ceiling: dict, peak: dict, peaks: dict | None):
    """The thread count the ceiling a row was compared with was measured on (None: not recorded)."""
    for n, c in (peaks or {}).items():
        if c is ceiling:
            return int(n)
    return None


def _compute_roof(peak: dict) -> float:
    """The fp32 compute roof: the best of the matmul and convolution ceilings (mlalab.stages.peak.summarize)."""
    return peak.get("compute_fp32_gflops") or peak["matmul_fp32_gflops"]


def _ok(row, k):
    v = row.get(k)
    return v is not None and not pd.isna(v) and float(v) > 0


# ---- inputs: the pipeline's timing tables, normalized to one frame ---------------------------------------

def from_experiment_table(table: pd.DataFrame) -> pd.DataFrame:
    """Rows of an MNIST experiment table ({R}/tables/{experiment}.csv) that have a latency."""
    t = table.copy()
    if "status" in t:
        t = t[t["status"] == "ok"]
    t = t[pd.to_numeric(t["latency_median_s"], errors="coerce") > 0]
    t["source"] = t["experiment"]
    return t


def from_part3(latency: pd.DataFrame, counts: pd.DataFrame, counter: str = "analytic") -> pd.DataFrame:
    """fp32 rows of a Part 3 latency table, with MACs per sample from part3_counts (`counter` row).

    Part 3's bf16 autocast rows are left out: the roofline compares against the fp32 matmul peak.
    """
    t = latency[(latency["precision"] == "fp32") & (latency["status"] == "ok")].copy()
    macs = counts[counts["counter"] == counter].set_index("model")["macs"]
    missing = sorted(set(t["model"]) - set(macs.index))
    if missing:
        raise KeyError(f"part3_counts has no {counter!r} MACs for {missing}")
    t["macs_per_batch"] = t["model"].map(macs).astype(float) * t["batch_size"]
    t["source"] = t["experiment"] = "part3"
    t["label"] = [f"seq {int(r.seq_len)}" if "seq_len" in t and not pd.isna(getattr(r, "seq_len", float("nan")))
                  else f"{int(r.image_size)}px" for r in t.itertuples()]
    return t


def roofline(inputs, outputs, specs: dict[str, dict], plot_experiments: list[str], log) -> None:
    """The roofline rule: tables + measured ceilings -> roofline.csv and the plot.

    inputs: peak (peak.json), tables (experiment tables), part3_latency + part3_counts (where Part 3 is
    configured); `specs`: model id -> model spec of every model in those tables."""
    from mlalab.io import atomic_path, read_csv, read_json, write_csv

    record = read_json(inputs.peak)
    peak, env, peaks = record["peak"], record["environment"], record.get("peaks")
    counts = [int(n) for n in (peaks or {str(env["threads"]): peak})]
    title = (f"Roofline on {env['device_name']} ({env['device']}, {' and '.join(map(str, counts))} "
             f"thread{'' if counts == [1] else 's'}), measured ceilings")
    frames = [from_experiment_table(read_csv(p)) for p in inputs.tables]
    if len(inputs.part3_counts):   # a list: empty where Part 3 is not configured
        counts = read_csv(inputs.part3_counts[0])
        frames += [from_part3(read_csv(p), counts) for p in inputs.part3_latency]
    timings = pd.concat([f for f in frames if len(f)], ignore_index=True) if frames else pd.DataFrame()
    if timings.empty:
        raise RuntimeError("no timed rows in the roofline's input tables")
    traffic = {}
    for model in dict.fromkeys(timings["model"]):
        traffic[model] = model_traffic(specs[model])
        log(f"{model}: {traffic[model]}")
    frame = analyse(timings, traffic, peak, peaks)
    write_csv(outputs.table, frame)
    shown = frame[frame["source"].isin([*plot_experiments, "part3"])].drop_duplicates(["model", "batch_size"])
    for path in (outputs.svg, outputs.png):
        with atomic_path(path) as tmp:
            plot(shown, peak, [str(tmp)], title=title, fmt=str(path).rsplit(".", 1)[-1], peaks=peaks)


def plot(frame: pd.DataFrame, peak: dict, paths: list[str], title: str = "Roofline (measured ceilings)",
         fmt: str | None = None, peaks: dict | None = None) -> None:
    """Log-log roofline: fp32 (and bf16) matmul roofs, the copy-bandwidth slope, one point per model/batch;
    with `peaks` (ceilings per thread count) the fp32 roof of every other thread count too, dotted."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    p32, bw, p16 = _compute_roof(peak), peak["copy_gbs"], peak.get("matmul_bf16_gflops")
    ai = frame["arithmetic_intensity_flop_per_byte"]
    lo = min(0.05, float(ai.min()) / 2 if len(ai) else 0.05)
    hi = max(20 * p32 / bw, float(ai.max()) * 2 if len(ai) else 1.0)
    xs = np.logspace(np.log10(lo), np.log10(hi), 200)
    fig, ax = plt.subplots(figsize=(7.5, 6.6))
    ax.plot(xs, np.minimum(p32, xs * bw), "k-", lw=2,
            label=f"fp32 {peak.get('compute_fp32_measure') or 'matmul'} {p32:.0f} GFLOP/s, copy {bw:.1f} GB/s")
    if peak.get("matmul_tf32_gflops"):
        p_tf = peak["matmul_tf32_gflops"]
        ax.plot(xs, np.minimum(p_tf, xs * bw), "k-.", lw=1, label=f"tf32 matmul {p_tf:.0f} GFLOP/s (cuDNN convs)")
    if p16:
        ax.plot(xs, np.minimum(p16, xs * bw), "k--", lw=1, label=f"bf16 matmul {p16:.0f} GFLOP/s")
    if peaks and len(peaks) > 1:
        first = min(peaks, key=int)
        ax.lines[0].set_label(f"{first} thread{'' if first == '1' else 's'}: " + ax.lines[0].get_label())
        for n in sorted(peaks, key=int)[1:]:
            c = peaks[n]
            pn, bn = _compute_roof(c), c["copy_gbs"]
            ax.plot(xs, np.minimum(pn, xs * bn), color="0.35", ls=(0, (1, 1)), lw=2,
                    label=f"{n} threads: fp32 {c.get('compute_fp32_measure') or 'matmul'} {pn:.0f} GFLOP/s, copy {bn:.1f} GB/s")
    markers = "osD^vP*Xh<>"
    labels = []      # (x, y, batch size, colour) of every point: labelled once the layout is final
    for i, (model, g) in enumerate(frame.groupby("model", sort=False)):
        g = g.sort_values("batch_size")
        label = g["label"].iloc[0] if "label" in g else None
        name = f"{model} ({label})" if isinstance(label, str) and label and label != model else str(model)
        line = ax.plot(g["arithmetic_intensity_flop_per_byte"], g["achieved_gflops"], marker=markers[i % len(markers)],
                       ls=":", label=name)[0]
        labels += [(r.arithmetic_intensity_flop_per_byte, r.achieved_gflops, f"{int(r.batch_size)}",
                    line.get_color()) for _, r in g.iterrows()]
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (FLOP / estimated byte moved)")
    ax.set_ylabel("achieved GFLOP/s (2 x MACs / median latency)")
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    # the legend below the axes: inside, it hid points and their batch labels
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    from mlalab.report.plots import numbered_axes, place_labels
    numbered_axes(fig)
    fig.tight_layout()
    place_labels(ax, [label[:3] for label in labels], colors=[label[3] for label in labels], fontsize=7)
    for p in paths:
        fig.savefig(p, format=fmt)
    plt.close(fig)
