"""A model diagram from its per-layer table: Graphviz `dot` -> SVG (a hand-drawn SVG if dot is missing).

One box per layer in execution order, with its type, output shape at batch 1 and parameter count; a
sequential model is a chain, which is all the MNIST models are.
"""

from __future__ import annotations

import html
import shutil
import subprocess

import pandas as pd

from mlalab.io import atomic_path, read_csv
from mlalab.report.filters import f_shape

COLORS = {"Linear": "#cfe2f3", "Conv2d": "#d9ead3", "MaxPool2d": "#fff2cc", "BatchNorm1d": "#ead1dc",
          "BatchNorm2d": "#ead1dc", "ReLU": "#eeeeee", "Flatten": "#fce5cd"}


def _count(n) -> str:
    n = int(float(n or 0))
    for unit, scale in (("M", 1e6), ("k", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return str(n)


def _labels(layers: pd.DataFrame, batch: int) -> list[tuple[str, str, str]]:
    rows = layers[layers["name"].astype(str) != "total"]
    out = []
    col = f"output_shape_b{batch}"
    for _, r in rows.iterrows():
        params = int(float(r.get("params", 0) or 0))
        detail = f"out {f_shape(r.get(col))}" + (f" · {_count(params)} params" if params else "")
        out.append((str(r["name"]), str(r["type"]), detail))
    return out


def dot_source(layers: pd.DataFrame, batch: int = 1, title: str = "") -> str:
    lines = ["digraph model {", '  graph [rankdir=TB, fontname="DejaVu Sans", fontsize=11, nodesep=0.2, ranksep=0.18'
             + (f', label="{html.escape(title)}", labelloc=t' if title else "") + "];",
             '  node [shape=box, style="rounded,filled", fontname="DejaVu Sans", fontsize=10, margin="0.15,0.04"];',
             '  edge [arrowsize=0.6];',
             f'  input [label=<<b>input</b><br/><font point-size="9">{f_shape([batch, 1, 28, 28])}</font>>, fillcolor="#ffffff"];']
    prev = "input"
    for i, (name, typ, detail) in enumerate(_labels(layers, batch)):
        node = f"n{i}"
        label = f'<<b>{html.escape(name)}</b>: {html.escape(typ)}<br/><font point-size="9">{html.escape(detail)}</font>>'
        lines.append(f'  {node} [label={label}, fillcolor="{COLORS.get(typ, "#f3f3f3")}"];')
        lines.append(f"  {prev} -> {node};")
        prev = node
    lines.append("}")
    return "\n".join(lines) + "\n"


def svg_by_hand(layers: pd.DataFrame, batch: int = 1) -> str:
    labels = _labels(layers, batch)
    w, h, gap = 300, 38, 14
    height = (len(labels) + 1) * (h + gap) + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w + 20}" height="{height}" '
             f'font-family="DejaVu Sans" font-size="11">']
    items = [("input", "", f_shape([batch, 1, 28, 28]))] + labels
    for i, (name, typ, detail) in enumerate(items):
        y = 5 + i * (h + gap)
        parts.append(f'<rect x="10" y="{y}" width="{w}" height="{h}" rx="6" fill="{COLORS.get(typ, "#f3f3f3")}" '
                     f'stroke="#333"/>')
        parts.append(f'<text x="{10 + w / 2}" y="{y + 15}" text-anchor="middle" font-weight="bold">'
                     f'{html.escape(name)}: {html.escape(typ)}</text>')
        parts.append(f'<text x="{10 + w / 2}" y="{y + 30}" text-anchor="middle" font-size="10">{html.escape(detail)}</text>')
        if i:
            parts.append(f'<line x1="{10 + w / 2}" y1="{y - gap}" x2="{10 + w / 2}" y2="{y}" stroke="#333"/>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write_diagram(layers: pd.DataFrame, path, batch: int = 1, title: str = "") -> str:
    """Write the SVG; returns 'dot' or 'hand' (which renderer drew it)."""
    dot = shutil.which("dot")
    with atomic_path(path) as tmp:
        if dot:
            svg = subprocess.run([dot, "-Tsvg"], input=dot_source(layers, batch, title), capture_output=True,
                                 text=True, check=True, timeout=60).stdout
            tmp.write_text(svg)
            return "dot"
        tmp.write_text(svg_by_hand(layers, batch))
        return "hand"


def draw_diagram(inputs, outputs, title: str, log) -> None:
    """The diagram job (rule diagram): the model's per-layer table (inputs.layers) -> outputs[0], titled."""
    layers = read_csv(inputs.layers, dtype=str, keep_default_na=False)
    how = write_diagram(layers, outputs[0], batch=1, title=title)
    log(f"drew {outputs[0]} with {how}")
