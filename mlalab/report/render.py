"""Render the report: tables (CSV) + facts (answers.py) + figures -> one HTML file and a WeasyPrint PDF.

Python here only loads files and hands raw numbers to the templates; every number is formatted by one of
the Jinja filters below, and every sentence is written by a template (templates/_answers.html.j2).
"""

from __future__ import annotations

import ast
import base64
import math
import mimetypes
import os
from pathlib import Path

import jinja2
import pandas as pd

from mlalab.report import answers

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
DASH = "—"


# ---- filters: raw number in, display text out ------------------------------------------------------------

def _missing(x) -> bool:
    if x is None:
        return True
    if isinstance(x, str):
        return x.strip() == "" or x.strip().lower() == "nan"
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return False


def _sig(x: float, digits: int = 3) -> str:
    """`digits` significant digits, no scientific notation for ordinary magnitudes."""
    if x == 0:
        return "0"
    mag = math.floor(math.log10(abs(x)))
    decimals = max(0, digits - 1 - mag)
    return f"{x:,.{decimals}f}"


def f_bytes(n) -> str:
    """Bytes -> B / KiB / MiB / GiB (binary prefixes, 3 significant digits)."""
    if _missing(n):
        return DASH
    n = float(n)
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if abs(n) >= scale:
            return f"{_sig(n / scale)} {unit}"
    return f"{int(n)} B"


def f_ms(seconds, digits: int = 3) -> str:
    """Seconds -> milliseconds (µs below 0.1 ms)."""
    if _missing(seconds):
        return DASH
    s = float(seconds)
    if 0 < abs(s) < 1e-4:
        return f"{_sig(s * 1e6, digits)} µs"
    return f"{_sig(s * 1e3, digits)} ms"


def f_secs(seconds, digits: int = 3) -> str:
    """Seconds for long durations (training): s, or min above 10 minutes."""
    if _missing(seconds):
        return DASH
    s = float(seconds)
    if abs(s) < 1:
        return f_ms(s, digits)
    if abs(s) >= 600:
        return f"{_sig(s / 60, digits)} min"
    return f"{_sig(s, digits)} s"


def f_si(n, digits: int = 3, unit: str = "") -> str:
    """Counts -> k / M / G / T (decimal prefixes): params, MACs, images per second."""
    if _missing(n):
        return DASH
    n = float(n)
    for prefix, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= scale:
            return f"{_sig(n / scale, digits)} {prefix}{unit}"
    text = f"{int(n):,}" if float(n).is_integer() else _sig(n, digits)
    return f"{text} {unit}".rstrip() if unit else text


def f_int(n) -> str:
    """Exact integer with thousands separators (params in the layer tables)."""
    if _missing(n):
        return DASH
    return f"{int(round(float(n))):,}"


def f_pct(x, digits: int = 2) -> str:
    """Accuracy stored as a fraction (0..1) -> percent."""
    if _missing(x):
        return DASH
    x = float(x)
    return f"{x * 100:.{digits}f} %"


def f_pp(x, digits: int = 2) -> str:
    """A difference of two fractions -> percentage points."""
    if _missing(x):
        return DASH
    return f"{float(x) * 100:.{digits}f} points"


def f_num(x, digits: int = 3) -> str:
    if _missing(x):
        return DASH
    if isinstance(x, str):
        return x
    x = float(x)
    return f_int(x) if x.is_integer() and abs(x) < 1e6 else _sig(x, digits)


def f_times(ratio, digits: int = 3) -> str:
    """A ratio -> '2.5×'."""
    if _missing(ratio):
        return DASH
    return f"{_sig(float(ratio), digits)}×"


def parse_shape(value):
    """'[64, 1, 28, 28]' / '(64, 1, 28, 28)' / list -> list of ints (None if absent)."""
    if _missing(value) if not isinstance(value, (list, tuple)) else False:
        return None
    if isinstance(value, str):
        text = value.strip()
        if text and all(part.strip().isdigit() for part in text.lower().split("x")):
            return [int(part) for part in text.lower().split("x")]
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return value
        if isinstance(value, float) and value.is_integer():
            return [int(value)]
        if isinstance(value, int):
            return [value]
    if isinstance(value, (list, tuple)):
        return list(value)
    return value


def f_shape(value) -> str:
    """A shape -> '64×1×28×28'."""
    s = parse_shape(value)
    if s is None:
        return DASH
    if isinstance(s, list):
        return "×".join(str(d) for d in s) if s else "scalar"
    return str(s)


def f_dtype(value) -> str:
    if _missing(value):
        return DASH
    return str(value).replace("torch.", "")


def f_plain(value) -> str:
    return DASH if _missing(value) else str(value)


FILTERS = {
    "bytes": f_bytes, "ms": f_ms, "secs": f_secs, "si": f_si, "int": f_int, "pct": f_pct, "pp": f_pp,
    "num": f_num, "times": f_times, "shape": f_shape, "dtype": f_dtype, "plain": f_plain,
}


def fmt(value, unit: str | None) -> str:
    """Dispatch on a unit name (used by the answer macros, whose facts carry their unit)."""
    if unit == "relpct":
        return DASH if _missing(value) else f"{float(value) * 100:+.3f} %"
    if unit == "per_s":
        return f_si(value, unit="/s")
    return FILTERS.get(unit or "plain", f_plain)(value)


def column_unit(column: str) -> str:
    """The filter for a raw CSV column, from the naming convention (units in names)."""
    c = column.lower()
    if "shape" in c:
        return "shape"
    if "rel_diff" in c or "rel_error" in c:
        return "relpct"
    if "dtype" in c:
        return "dtype"
    if "bytes" in c:
        return "bytes"
    if "throughput" in c or c.endswith("_per_s"):
        return "per_s"
    if c.endswith("_s") or c.endswith("_s_mean") or c.endswith("_s_std") or "_s_" in c:
        return "secs" if ("train" in c or "wall" in c or "test_set" in c) else "ms"
    if "accuracy" in c:
        return "pct"
    if "macs" in c or "flops" in c or c.startswith("params") or c.endswith("params"):
        return "si"
    if "speedup" in c or "ratio" in c:
        return "times"
    return "num"


def f_col(value, column: str) -> str:
    unit = column_unit(column)
    if isinstance(value, str) and not _is_number(value) and unit not in ("shape", "dtype"):
        return value  # a label in a numeric-looking column (e.g. which MAC column was used)
    return fmt(value, unit)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# ---- the environment ---------------------------------------------------------------------------------

def environment(templates: str | Path = TEMPLATES) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "j2", "xml"), default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    env.filters["fmt"] = fmt
    env.filters["upfirst"] = lambda text: text[:1].upper() + text[1:] if text else text
    env.filters["col"] = f_col
    env.globals["column_unit"] = column_unit
    env.globals["missing"] = _missing
    env.globals["is_text"] = lambda v: isinstance(v, str) and not _is_number(v)
    env.tests["missing"] = _missing
    return env


def render_answer(fact: dict, macro: str = "trend", env: jinja2.Environment | None = None) -> str:
    """One answer sentence as the report prints it, as plain text (tests use this)."""
    env = env or environment()
    module = env.get_template("_answers.html.j2").make_module()
    html = str(getattr(module, macro)(fact))
    import html as _html
    import re
    return " ".join(_html.unescape(re.sub(r"<[^>]+>", "", html)).split())


# ---- inputs ------------------------------------------------------------------------------------------

def read_table(path) -> pd.DataFrame | None:
    """A CSV as a DataFrame, or None when the file is absent (that part is then reported as missing)."""
    if not path or not os.path.exists(path):
        return None
    try:
        header = pd.read_csv(path, nrows=0).columns
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    text = {c: str for c in header if "shape" in c or "dtype" in c or c in ("label", "model", "name", "error")}
    return pd.read_csv(path, dtype=text)


def data_uri(path) -> str | None:
    """An image file as a data: URI, so the HTML is one self-contained file."""
    if not path or not os.path.exists(path):
        return None
    mime = mimetypes.guess_type(str(path))[0] or "application/octet-stream"
    if str(path).endswith(".svg"):
        mime = "image/svg+xml"
    return f"data:{mime};base64,{base64.b64encode(Path(path).read_bytes()).decode('ascii')}"


def records(frame: pd.DataFrame | None) -> list[dict]:
    if frame is None:
        return []
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


# ---- context: config + tables -> what the templates see ---------------------------------------------

def experiment_context(name: str, exp: dict, table: pd.DataFrame | None, layers: pd.DataFrame | None,
                       figures: dict, diagrams: dict, onnx: dict, activation_batches: list[int]) -> dict:
    role = "batch" if len(exp.get("batch_sizes", [])) > 1 else "variants"
    ctx = {"name": name, "title": exp.get("title", name), "kind": exp["kind"], "role": role,
           "batch_sizes": exp.get("batch_sizes", []), "variants": [str(v.get("label", "")) for v in exp["variants"]],
           "present": table is not None, "rows": records(table), "failed": [], "facts": {}, "layers": [],
           "figures": {k: v for k, v in figures.items() if k.startswith(name + "_")},
           "activation_batches": activation_batches}
    if table is not None and len(table):
        ok = answers.ok_rows(table)
        ctx["failed"] = records(table[~table.index.isin(ok.index)])
        ctx["facts"] = answers.batch_facts(ok) if role == "batch" else answers.variant_facts(ok, ctx["variants"])
        if role == "batch" and len(ok):
            ctx["facts"]["precision"] = answers.precision_fact(ok.iloc[0].to_dict())
    if layers is not None and len(layers):
        for label, group in layers.groupby("label", sort=False):
            model = str(group["model"].iloc[0]) if "model" in group else ""
            group = with_weight_bias_bytes(group)
            body = group[group["name"] != "total"]
            total = group[group["name"] == "total"]
            ctx["layers"].append({
                "label": str(label), "model": model, "rows": records(body),
                "total": records(total)[0] if len(total) else None,
                "facts": answers.layer_facts(group, activation_batches),
                "diagram": diagrams.get(model), "onnx": onnx.get(model),
            })
    return ctx


def with_weight_bias_bytes(layers: pd.DataFrame) -> pd.DataFrame:
    """weight_bytes / bias_bytes per layer when the layer table lacks them: numel(shape) x element size of
    param_dtype (the table's own param_bytes is their sum, which the total row keeps)."""
    if {"weight_bytes", "bias_bytes"} <= set(layers.columns) or "param_dtype" not in layers.columns:
        return layers
    import torch

    def nbytes(shape, dtype):
        dims = parse_shape(shape)
        if not isinstance(dims, list) or _missing(dtype):
            return 0
        size = torch.empty((), dtype=getattr(torch, str(dtype).replace("torch.", ""))).element_size()
        return math.prod(dims) * size

    out = layers.copy()
    for col, shape_col in (("weight_bytes", "weight_shape"), ("bias_bytes", "bias_shape")):
        if col not in out.columns and shape_col in out.columns:
            out[col] = [nbytes(s, d) for s, d in zip(out[shape_col], out["param_dtype"])]
            body = out["name"] != "total"
            out.loc[~body, col] = out.loc[body, col].sum()
    return out


def layers_by_batch(frame: pd.DataFrame) -> pd.DataFrame:
    """Part 3's long per-layer table (one row per layer x batch) -> one row per layer, activation shape and
    bytes per batch as columns (activation_shape_b{b}, activation_bytes_b{b})."""
    if frame is None or "batch_size" not in frame.columns or not len(frame):
        return frame
    batches = sorted(frame["batch_size"].dropna().unique())
    keys = [c for c in ("layer", "call") if c in frame.columns]
    base = frame[frame["batch_size"] == batches[0]].drop(
        columns=[c for c in ("activation_shape", "activation_bytes", "batch_size", "model", "order") if c in frame.columns])
    for b in batches:
        part = frame[frame["batch_size"] == b][keys + [c for c in ("activation_shape", "activation_bytes") if c in frame.columns]]
        part = part.rename(columns={"activation_shape": f"activation_shape_b{int(b)}",
                                    "activation_bytes": f"activation_bytes_b{int(b)}"})
        base = base.merge(part, on=keys, how="left")
    return base


def build_context(config: dict, tables: dict[str, pd.DataFrame | None], figures: dict[str, str],
                  diagrams: dict[str, str], onnx: dict[str, str], provenance: dict) -> dict:
    """Everything the templates need. `tables` maps table names (file stems) to frames or None."""
    batches = list(config.get("profile", {}).get("activation_batches", [1, 64, 128]))
    parts = {"mlp": [], "cnn": []}
    for name, exp in config["experiments"].items():
        ctx = experiment_context(name, exp, tables.get(name), tables.get(f"{name}_layers"), figures,
                                 diagrams, onnx, batches)
        parts.setdefault(exp["kind"], []).append(ctx)
    part3 = {k[len("part3_"):]: v for k, v in tables.items() if k.startswith("part3_")}
    if part3.get("resnet18_layers") is not None:
        part3["resnet18_layers_wide"] = layers_by_batch(part3["resnet18_layers"])
    efficiency = {k: v for k, v in tables.items() if k in ("roofline", "precision", "peak")}
    validation = answers.validation_rows(tables, config)
    return {
        "config": config,
        "title": config.get("report", {}).get("title", "ML accelerators — Lab 1"),
        "parts": parts,
        "part3": {k: records(v) if isinstance(v, pd.DataFrame) else v for k, v in part3.items()},
        "part3_present": {k: v is not None for k, v in part3.items()},
        "part3_facts": answers.part3_facts(part3),
        "efficiency": {k: records(v) if isinstance(v, pd.DataFrame) else v for k, v in efficiency.items()},
        "efficiency_facts": answers.efficiency_facts(efficiency),
        "figures": figures,
        "onnx": onnx,
        "validation": validation,
        "provenance": provenance,
    }


def render_html(context: dict, env: jinja2.Environment | None = None) -> str:
    env = env or environment()
    return env.get_template("report.html.j2").render(**context)


def write_pdf(html: str, path, base_url: str | None = None) -> None:
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    HTML(string=html, base_url=base_url or os.getcwd()).write_pdf(str(path))


# ---- the whole report --------------------------------------------------------------------------------

def _relative(path, start) -> str:
    return os.path.relpath(str(path), str(start)).replace(os.sep, "/")


def device_summary(tables: dict) -> tuple[str | None, object]:
    """The device and threads the MNIST timings ran with, read from the experiment tables."""
    for frame in tables.values():
        if frame is not None and len(frame) and "device" in frame.columns:
            ok = answers.ok_rows(frame)
            if len(ok) and pd.notna(ok["device"].iloc[0]):
                name = ok["device_name"].iloc[0] if "device_name" in ok.columns else None
                threads = ok["threads"].iloc[0] if "threads" in ok.columns else None
                dev = str(ok["device"].iloc[0]) + (f" ({name})" if isinstance(name, str) and name else "")
                return dev, (int(threads) if pd.notna(threads) else None)
    return None, None


def render_report(config: dict, tables: dict, figures: dict, diagrams: dict, onnx: dict, html_path,
                  pdf_path=None, provenance: dict | None = None, sentences: dict | None = None) -> str:
    # `sentences` is accepted for older callers and ignored: the efficiency summary is written by the
    # templates from answers.efficiency_facts.
    """`tables`: name -> CSV path; `figures`: key -> image path; `diagrams`/`onnx`: model id -> path.
    Writes the self-contained HTML (images inlined) and, if asked, the PDF. Returns the HTML."""
    from mlalab.io import atomic_path

    out_dir = Path(html_path).resolve().parent
    frames = {name: read_table(path) for name, path in tables.items()}
    fig_uris = {k: data_uri(p) for k, p in figures.items()}
    diag_uris = {k: data_uri(p) for k, p in diagrams.items()}
    onnx_links = {k: _relative(p, out_dir) for k, p in onnx.items() if p and os.path.exists(p)}
    context = build_context(config, frames, fig_uris, diag_uris, onnx_links, provenance or {})
    html = render_html(context)
    with atomic_path(html_path) as tmp:
        tmp.write_text(html, encoding="utf-8")
    if pdf_path:
        with atomic_path(pdf_path) as tmp:
            write_pdf(html, tmp, base_url=str(out_dir))
    for path in (html_path, pdf_path):  # atomic_path's temp files are 0600; a report is for readers
        if path:
            os.chmod(path, 0o644)
    return html
