"""A model's exported ONNX graph, drawn as Netron shows it: Graphviz `dot` -> SVG (a hand-drawn SVG if dot is
missing).

The graph is the .onnx file the profile job exported (not a picture of our own layer table): one box per ONNX
operator with the shapes of its weights, and every edge labelled with its tensor's shape as
`onnx.shape_inference` infers it (the batch dimension stays symbolic, as exported). The MNIST models are chains,
which the hand-drawn fallback assumes.
"""

from __future__ import annotations

import html
import shutil
import subprocess

from mlalab.io import atomic_path

COLORS = {"Gemm": "#cfe2f3", "MatMul": "#cfe2f3", "Conv": "#d9ead3", "MaxPool": "#fff2cc",
          "BatchNormalization": "#ead1dc", "Relu": "#eeeeee", "Flatten": "#fce5cd", "Reshape": "#fce5cd"}


def _dims(value_info) -> str:
    dims = value_info.type.tensor_type.shape.dim
    return "×".join(d.dim_param or str(d.dim_value) if (d.dim_param or d.HasField("dim_value")) else "?"
                    for d in dims) or "scalar"


def read_graph(path) -> dict:
    """The .onnx file at `path`, shapes inferred: {"nodes": [(id, op_type, name, [weight shapes])],
    "edges": [(from id, to id, tensor, shape)], "inputs"/"outputs": [(tensor, shape)]}; ids are 'n0'..., and
    'in:<tensor>' / 'out:<tensor>' for the graph's inputs and outputs."""
    import onnx

    try:
        model = onnx.shape_inference.infer_shapes(onnx.load(str(path)))
    except Exception as exc:  # noqa: BLE001 - a damaged export is named, with how to remake it
        raise ValueError(f"cannot read the ONNX graph {path}: {type(exc).__name__}: {exc}; delete the file and "
                         "rerun the build to export it again") from exc
    g = model.graph
    weights = {t.name: "×".join(map(str, t.dims)) or "scalar" for t in g.initializer}
    shapes = {v.name: _dims(v) for v in [*g.input, *g.value_info, *g.output]}
    producer = {t.name: f"in:{t.name}" for t in g.input if t.name not in weights}
    nodes, edges = [], []
    for i, node in enumerate(g.node):
        if node.input and all(t in weights for t in node.input):
            # a constant copied (the exporter's Identity of a shared buffer): a weight, not a step of the graph
            weights.update({t: weights[node.input[0]] for t in node.output})
            continue
        # each constant input under its name in the operator's schema (Conv's W and B), as Netron shows it
        names = [p.name for p in onnx.defs.get_schema(node.op_type, node.domain or "").inputs] or ["input"]
        const = [f"{names[min(k, len(names) - 1)]} ⟨{weights[t]}⟩" for k, t in enumerate(node.input) if t in weights]
        nodes.append((f"n{i}", node.op_type, node.name.strip("/").split("/")[0] or node.op_type, const))
        edges += [(producer[t], f"n{i}", t, shapes.get(t, "?")) for t in node.input if t in producer]
        producer.update({t: f"n{i}" for t in node.output})
    outputs = [(t.name, shapes.get(t.name, "?")) for t in g.output]
    edges += [(producer[t], f"out:{t}", t, shape) for t, shape in outputs if t in producer]
    return {"nodes": nodes, "edges": edges, "outputs": outputs,
            "inputs": [(t.name, shapes.get(t.name, "?")) for t in g.input if t.name not in weights]}


def dot_source(graph: dict, title: str = "") -> str:
    esc = html.escape
    lines = ["digraph onnx {", '  graph [rankdir=TB, fontname="DejaVu Sans", fontsize=11, nodesep=0.2, ranksep=0.22'
             + (f', label="{esc(title)}", labelloc=t' if title else "") + "];",
             '  node [shape=box, style="rounded,filled", fontname="DejaVu Sans", fontsize=10, margin="0.15,0.04"];',
             '  edge [arrowsize=0.6, fontname="DejaVu Sans", fontsize=9];']
    for kind in ("in", "out"):
        for tensor, _ in graph[f"{kind}puts"]:
            lines.append(f'  "{kind}:{esc(tensor)}" [label=<<b>{esc(tensor)}</b>>, shape=ellipse, fillcolor="#ffffff"];')
    for node, op, name, const in graph["nodes"]:
        sub = "".join(f'<br/><font point-size="9">{esc(" · ".join(const[k:k + 2]))}</font>'
                      for k in range(0, len(const), 2))
        lines.append(f'  {node} [label=<<b>{esc(op)}</b>&#160;{esc(name)}{sub}>, '
                     f'fillcolor="{COLORS.get(op, "#f3f3f3")}"];')
    for a, b, _, shape in graph["edges"]:
        lines.append(f'  "{esc(a)}" -> "{esc(b)}" [label=" {esc(shape)}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def svg_by_hand(graph: dict) -> str:
    """A vertical chain in the file's node order, each arrow labelled with the shape it carries."""
    shape_into = {b: shape for _, b, _, shape in graph["edges"]}
    boxes = ([(graph["inputs"][0][0] if graph["inputs"] else "input", [], "")]
             + [(f"{op} {name}", const, shape_into.get(node, "")) for node, op, name, const in graph["nodes"]]
             + [(t, [], shape_into.get(f"out:{t}", "")) for t, _ in graph["outputs"]])
    w, h, gap = 300, 38, 22
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w + 20}" height="{len(boxes) * (h + gap) + 10}" '
             f'font-family="DejaVu Sans" font-size="11">']
    for i, (label, const, shape) in enumerate(boxes):
        y, cx = 5 + i * (h + gap), 10 + w / 2
        parts += [f'<rect x="10" y="{y}" width="{w}" height="{h}" rx="6" fill="#f3f3f3" stroke="#333"/>',
                  f'<text x="{cx}" y="{y + 15}" text-anchor="middle" font-weight="bold">{html.escape(label)}</text>',
                  f'<text x="{cx}" y="{y + 30}" text-anchor="middle" font-size="10">{html.escape(" ".join(const))}</text>']
        if i:
            parts += [f'<line x1="{cx}" y1="{y - gap}" x2="{cx}" y2="{y}" stroke="#333"/>',
                      f'<text x="{cx + 6}" y="{y - gap / 2 + 4}" font-size="9">{html.escape(shape)}</text>']
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write_diagram(onnx_path, path, title: str = "") -> str:
    """Draw the ONNX graph at `onnx_path` into the SVG `path`; returns 'dot' or 'hand' (which renderer drew it)."""
    graph = read_graph(onnx_path)
    dot = shutil.which("dot")
    with atomic_path(path) as tmp:
        if dot:
            svg = subprocess.run([dot, "-Tsvg"], input=dot_source(graph, title), capture_output=True,
                                 text=True, check=True, timeout=60).stdout
            tmp.write_text(svg)
            return "dot"
        tmp.write_text(svg_by_hand(graph))
        return "hand"


def draw_diagram(inputs, outputs, title: str, log) -> None:
    """The diagram job (rule diagram): the model's exported ONNX file (inputs.onnx) -> outputs[0], titled."""
    how = write_diagram(inputs.onnx, outputs[0], title=title)
    log(f"drew {outputs[0]} from {inputs.onnx} with {how}")
