"""Precision study (the lab's Q4, measured): one trained model run in FP32, BF16 autocast and INT8 dynamic.

Modes:

* fp32: the trained model as is.
* bf16: the same fp32 weights under `torch.autocast(device, dtype=torch.bfloat16)`. Autocast casts the
  inputs and weights of matmul/conv ops to bf16 *per call* (the stored weights stay fp32, so the model's
  size does not change); ops on autocast's fp32 list (e.g. softmax, layer norm, loss) stay fp32.
* int8: `torch.ao.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)`. Every Linear's
  weight is stored as int8 with one fp32 scale and zero point per tensor; at run time each Linear
  quantizes its fp32 input to uint8 with a scale from that batch's min/max, multiplies int8 x uint8 into
  int32 accumulators, and returns fp32. Conv layers are *not* quantized by dynamic quantization (the
  CNN's convs stay fp32). Quantized kernels exist only on the CPU, so this mode always runs there.

What the table records is read off tensors, not assumed: `input_dtype` (the tensor given to the model),
`output_dtype` (the tensor it returns), `weight_dtypes` (each leaf layer's stored weight, e.g.
`DynamicQuantizedLinear=torch.qint8`) and `activation_dtypes` (the dtype of each leaf layer's output in
that mode, from forward hooks). The uint8 activations and int32 accumulators inside a dynamic quantized
Linear live only inside the kernel and are not visible as tensors.

Model size: `state_dict_bytes` is the length of `torch.save(model.state_dict())`, so packed int8
weights, their scales and the pickle framing are counted as a file would hold them; `tensor_bytes` is the
raw data of every tensor in the state dict (packed int8 weights at 1 byte per element).
"""

from __future__ import annotations

import copy
import io
import math
import warnings
from dataclasses import dataclass

import torch
from torch import nn

MODES = ("fp32", "bf16", "int8")


@dataclass
class Variant:
    mode: str
    model: nn.Module
    device: torch.device
    autocast_dtype: torch.dtype | None = None


def bf16_supported(device: torch.device) -> bool:
    from mlalab.stages.peak import bf16_supported as supported

    return supported(device)


def prepare(model: nn.Module, mode: str, device: torch.device) -> Variant:
    """A copy of `model` set up for `mode` (the original is left untouched)."""
    model = copy.deepcopy(model).eval()
    if mode == "fp32":
        return Variant(mode, model.to(device), device)
    if mode == "bf16":
        if not bf16_supported(device):
            raise RuntimeError(f"bf16 is not supported on this {device.type}")
        return Variant(mode, model.to(device), device, torch.bfloat16)
    if mode == "int8":
        cpu = torch.device("cpu")
        with warnings.catch_warnings():  # torch.ao.quantization's deprecation notices, once per call
            warnings.simplefilter("ignore", (DeprecationWarning, UserWarning))
            q = torch.ao.quantization.quantize_dynamic(model.to(cpu), {nn.Linear}, dtype=torch.qint8)
        return Variant(mode, q, cpu)
    raise ValueError(f"unknown precision mode {mode!r}; known: {MODES}")


def forward(v: Variant, x: torch.Tensor):
    with torch.inference_mode():
        if v.autocast_dtype is not None:
            with torch.autocast(v.device.type, dtype=v.autocast_dtype):
                return v.model(x.to(v.device))
        return v.model(x.to(v.device))


def main_output(out) -> torch.Tensor:
    """The tensor a model returns (logits for the MNIST models, last_hidden_state for a bare BERT)."""
    if isinstance(out, torch.Tensor):
        return out
    for key in ("logits", "last_hidden_state"):
        if hasattr(out, key):
            return getattr(out, key)
    if isinstance(out, (tuple, list)):
        return out[0]
    raise TypeError(f"cannot find the output tensor of {type(out).__name__}")


# ---- size -------------------------------------------------------------------------------------------------

def state_dict_bytes(model: nn.Module) -> int:
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    return buf.getbuffer().nbytes


def _tensors(obj):
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, (tuple, list)):
        for o in obj:
            yield from _tensors(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _tensors(o)


def tensor_bytes(model: nn.Module) -> int:
    """Raw bytes of every tensor in the state dict, packed quantized weights included (int8 = 1 byte)."""
    total = 0
    for t in _tensors(dict(model.state_dict())):
        total += t.numel() * t.element_size()
    return total


# ---- dtypes, read off the tensors -------------------------------------------------------------------------

def _weight(m: nn.Module) -> torch.Tensor | None:
    w = getattr(m, "weight", None)
    if callable(w) and not isinstance(w, torch.Tensor):  # quantized modules expose weight() as a method
        w = w()
    return w if isinstance(w, torch.Tensor) else None


def _join(d: dict[str, set]) -> str:
    return ";".join(f"{k}={','.join(sorted(v))}" for k, v in d.items())


def leaves(model: nn.Module) -> list[nn.Module]:
    """Leaf layers; a quantized module counts as one leaf (its packed-params child is storage, not a layer)."""
    if not list(model.children()) or _is_quantized(model):
        return [model]
    return [leaf for child in model.children() for leaf in leaves(child)]


def _is_quantized(m: nn.Module) -> bool:
    return type(m).__module__.startswith("torch.ao.nn.quantized")


def _kind(m: nn.Module) -> str:
    """Layer type name; quantized modules get a prefix (a dynamic quantized Linear is also named 'Linear')."""
    return f"quantized.{type(m).__name__}" if _is_quantized(m) else type(m).__name__


def dtypes(v: Variant, x: torch.Tensor) -> dict:
    """input/output dtype, stored weight dtypes and leaf-output dtypes per layer type, from one forward."""
    weights: dict[str, set] = {}
    acts: dict[str, set] = {}
    leaf_modules = leaves(v.model)
    for m in leaf_modules:
        w = _weight(m)
        if w is not None:
            weights.setdefault(_kind(m), set()).add(str(w.dtype))

    def hook(m, _i, out):
        if isinstance(out, torch.Tensor):
            acts.setdefault(_kind(m), set()).add(str(out.dtype))

    hooks = [m.register_forward_hook(hook) for m in leaf_modules]
    try:
        out = main_output(forward(v, x))
    finally:
        for h in hooks:
            h.remove()
    quantized = [m for m in leaf_modules if _is_quantized(m)]
    return {"input_dtype": str(x.dtype), "output_dtype": str(out.dtype), "weight_dtypes": _join(weights),
            "activation_dtypes": _join(acts), "quantized_layers": len(quantized)}


def linear_weight_dtypes(model: nn.Module) -> list[torch.dtype]:
    """Stored weight dtype of every Linear-like leaf (float Linear or dynamic quantized Linear)."""
    return [_weight(m).dtype for m in leaves(model) if "Linear" in type(m).__name__ and _weight(m) is not None]


# ---- accuracy ---------------------------------------------------------------------------------------------

def predictions(v: Variant, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """Model outputs for all of `x` (in batches), as fp32 on the CPU."""
    outs = [main_output(forward(v, x[i:i + batch_size])).float().cpu() for i in range(0, len(x), batch_size)]
    return torch.cat(outs)


def quality(out: torch.Tensor, reference: torch.Tensor, labels: torch.Tensor | None) -> dict:
    """Accuracy (if labels), agreement of argmax with the fp32 reference, and relative output error."""
    rec = {"accuracy": math.nan, "test_samples": len(out)}
    if labels is not None:
        rec["accuracy"] = (out.argmax(-1) == labels).float().mean().item()
    rec["agreement_with_fp32"] = (out.argmax(-1) == reference.argmax(-1)).float().mean().item()
    rec["rel_error_vs_fp32"] = ((out - reference).norm() / reference.norm().clamp_min(1e-30)).item()
    return rec


# ---- sentences --------------------------------------------------------------------------------------------

def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def precision_sentences(frame) -> list[str]:
    """Per model: each non-fp32 mode against fp32 (size, throughput at the largest batch, accuracy)."""
    import pandas as pd

    from mlalab.report.noise import Latency, latency_overlap

    out = []
    ok = frame[frame["status"] == "ok"] if "status" in frame else frame
    for model, g in ok.groupby("model", sort=False):
        bs = int(g["batch_size"].max())
        at = g[g["batch_size"] == bs].set_index("mode")
        if "fp32" not in at.index:
            continue
        ref = at.loc["fp32"]
        parts = []
        for mode, r in at.iterrows():
            if mode == "fp32":
                continue
            size = r.state_dict_bytes / ref.state_dict_bytes
            speed = r.throughput_per_s / ref.throughput_per_s
            s = (f"{mode.upper()} {'shrinks' if size < 0.95 else 'keeps'} the model "
                 f"({r.state_dict_bytes / 1e6:.3g} MB against {ref.state_dict_bytes / 1e6:.3g} MB, {size:.2f}x)")
            if latency_overlap(Latency.of_row(r), Latency.of_row(ref)):
                s += (f"; at batch {bs} its latency ({1e3 * r.latency_median_s:.3g} ms, p10–p90 "
                      f"{1e3 * r.latency_p10_s:.3g}–{1e3 * r.latency_p90_s:.3g} ms on {r.device}) is not "
                      f"distinguishable from fp32's ({1e3 * ref.latency_median_s:.3g} ms, "
                      f"{1e3 * ref.latency_p10_s:.3g}–{1e3 * ref.latency_p90_s:.3g} ms) over "
                      f"{int(r.latency_repeats)} repeats")
            else:
                s += (f" and runs batch {bs} at {speed:.2f}x the fp32 throughput "
                      f"({'faster' if speed > 1 else 'slower'}, outside the p10–p90 spread of "
                      f"{int(r.latency_repeats)} repeats; {r.device})")
            if not pd.isna(r.accuracy) and not pd.isna(ref.accuracy):
                d = 100 * (r.accuracy - ref.accuracy)
                s += (f", with test accuracy {_pct(r.accuracy)} against {_pct(ref.accuracy)} "
                      f"({d:+.2f} points; {_pct(r.agreement_with_fp32)} of predictions equal fp32's)")
            else:
                s += (f"; its outputs differ from fp32 by {100 * r.rel_error_vs_fp32:.2g}% (relative L2), "
                      f"random weights so no accuracy")
            s += (f". Read off the tensors: stored weights {r.weight_dtypes}, input {r.input_dtype}, "
                  f"output {r.output_dtype}")
            parts.append(s)
        if parts:
            out.append(f"{model}: " + ". ".join(parts) + ".")
    return out


def precision_sentence(frame) -> str:
    return " ".join(precision_sentences(frame))


# ---- the study --------------------------------------------------------------------------------------------

def _bert_inputs(entry: dict, n: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, int(entry.get("vocab_size", 30522)), (n, int(entry["seq_len"])), generator=g)


def study(entries: list[dict], modes: list[str], batch_sizes: list[int], timing: dict, device: torch.device,
          test: tuple[torch.Tensor, torch.Tensor] | None, log=print) -> list[dict]:
    """One row per (model, mode, batch size). A mode that cannot run records status 'failed' and why.

    `entries`: dicts with `name` and `model` (an nn.Module, trained for MNIST), `kind` ('mnist' or 'bert'),
    optional `source`/`run`, and for BERT `seq_len`, `batch_sizes`, `quality_samples`.
    `test`: the MNIST test tensors (images, labels) used for accuracy.
    """
    from mlalab.measure.timing import latency

    rows = []
    for e in entries:
        is_bert = e["kind"] == "bert"
        if is_bert:
            xq, yq = _bert_inputs(e, int(e.get("quality_samples", 8)), seed=1), None
        else:
            xq, yq = test
        bss = e.get("batch_sizes", batch_sizes)
        reference = None
        for mode in modes:
            base = {"model": e["name"], "kind": e["kind"], "source": e.get("source"), "run": e.get("run"),
                    "mode": mode}
            try:
                v = prepare(e["model"], mode, device)
                sizes = {"state_dict_bytes": state_dict_bytes(v.model), "tensor_bytes": tensor_bytes(v.model)}
                sample = xq[:1]
                kinds = dtypes(v, sample)
                out = predictions(v, xq, 1000 if not is_bert else 4)
                if mode == "fp32":
                    reference = out
                q = quality(out, reference if reference is not None else out, yq)
                log(f"{e['name']} {mode}: {sizes['state_dict_bytes']:,} B, accuracy {q['accuracy']:.4f}, "
                    f"agreement {q['agreement_with_fp32']:.4f}; {kinds}")
            except Exception as ex:  # noqa: BLE001 - recorded as this mode's failure
                log(f"{e['name']} {mode}: failed: {type(ex).__name__}: {ex}")
                rows += [{**base, "batch_size": bs, "status": "failed", "error": f"{type(ex).__name__}: {ex}"[:300]}
                         for bs in bss]
                continue
            for bs in bss:
                x = _bert_inputs(e, bs) if is_bert else xq[:bs]
                if len(x) < bs:  # a small test subset: repeat it to fill the batch
                    x = x.repeat((bs + len(x) - 1) // len(x), *[1] * (x.dim() - 1))[:bs]
                stats = latency(v.model, x.to(v.device), v.device, int(timing["warmup"]), int(timing["repeats"]),
                                v.autocast_dtype)
                log(f"  bs{bs}: median {stats['median_s'] * 1e3:.3f} ms ({stats['n']} repeats)")
                rows.append({**base, "batch_size": bs, "device": v.device.type, "threads": torch.get_num_threads(),
                             "latency_median_s": stats["median_s"], "latency_p10_s": stats["p10_s"],
                             "latency_p90_s": stats["p90_s"], "latency_repeats": stats["n"],
                             "throughput_per_s": stats["throughput_per_s"], **sizes, **q, **kinds,
                             "status": "ok", "error": None})
    return rows


def plot(frame, paths: list[str], fmt: str | None = None) -> None:
    """Three panels per model x mode: size (MB), throughput at the largest batch, accuracy (or agreement)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    ok = frame[frame["status"] == "ok"]
    models = list(dict.fromkeys(ok["model"]))
    modes = list(dict.fromkeys(ok["mode"]))
    fig, axes = plt.subplots(1, 3, figsize=(12, 4))
    width = 0.8 / max(1, len(modes))
    xs = np.arange(len(models))
    for j, mode in enumerate(modes):
        size, thr, acc = [], [], []
        for m in models:
            g = ok[(ok["model"] == m) & (ok["mode"] == mode)]
            big = g[g["batch_size"] == g["batch_size"].max()] if len(g) else g
            size.append(g["state_dict_bytes"].iloc[0] / 1e6 if len(g) else np.nan)
            thr.append(big["throughput_per_s"].iloc[0] if len(big) else np.nan)
            a = g["accuracy"].iloc[0] if len(g) else np.nan
            acc.append(100 * (a if not np.isnan(a) else g["agreement_with_fp32"].iloc[0]) if len(g) else np.nan)
        for ax, vals in zip(axes, (size, thr, acc)):
            ax.bar(xs + (j - (len(modes) - 1) / 2) * width, vals, width, label=mode)
    bss = {m: int(ok[ok["model"] == m]["batch_size"].max()) for m in models}
    for ax, title in zip(axes, ("model size (MB, state_dict)",
                                "throughput at the largest batch (samples/s)",
                                "test accuracy % (BERT: % argmax = fp32)")):
        ax.set_xticks(xs, [f"{m}\nbs{bss[m]}" if "throughput" in title else m for m in models], fontsize=7)
        ax.set_title(title, fontsize=9)
        ax.grid(True, axis="y", alpha=0.3)
    axes[1].set_yscale("log")
    accs = [v for v in ok["accuracy"].dropna()] or [0.9]
    axes[2].set_ylim(max(0, 100 * min(accs) - 5), 100.5)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    for p in paths:
        fig.savefig(p, format=fmt)
    plt.close(fig)


def run_job(cfg: dict, models: list[dict], data_cfg: dict, timing: dict, device_name: str, data_dir,
            threads: int, csv_path, figure_paths: list[str], log=print):
    """The precision rule. `models`: [{name, source, run, path}] trained runs (model.pt of the train rule)."""
    import pandas as pd

    from mlalab.io import atomic_path, write_csv
    from mlalab.measure.timing import resolve_device, set_threads
    from mlalab.stages import data as mnist
    from mlalab.stages.train_job import load_trained

    device = resolve_device(device_name)
    log(f"device {device}, threads {set_threads(threads)}")
    test = mnist.load_split(data_dir, "test", mnist.subset_of(data_cfg, "test"))
    entries = [{**m, "kind": "mnist", "model": load_trained(m["path"])} for m in models]
    bert = cfg.get("bert", {})
    if bert.get("enabled"):
        from mlalab.measure.nets import build_bert
        entries.append({"name": "bert-base", "kind": "bert", "source": "part3", "model": build_bert(),
                        "seq_len": int(bert.get("seq_len", 128)),
                        "batch_sizes": bert.get("batch_sizes", cfg["batch_sizes"])})
    rows = study(entries, cfg["modes"], cfg["batch_sizes"], timing, device, test, log)
    frame = pd.DataFrame(rows)
    for e in entries:  # sizes that do not depend on the mode
        frame.loc[frame["model"] == e["name"], "seq_len"] = e.get("seq_len")
    write_csv(csv_path, frame)
    for path in figure_paths:
        with atomic_path(path) as tmp:
            plot(frame, [str(tmp)], fmt=str(path).rsplit(".", 1)[-1])
    for s in precision_sentences(frame):
        log(s)
    return frame


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
