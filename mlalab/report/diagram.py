"""A model's exported ONNX graph, drawn as Netron shows it: Graphviz `dot` -> SVG (a hand-drawn SVG if dot is
missing).

The graph is the .onnx file the profile job exported (not a picture of our own layer table): one box per ONNX
operator with the shapes of its weights, and every edge labelled with its tensor's shape as
`onnx.shape_inference` infers it (the batch dimension stays symbolic, as exported). The MNIST models are chains,
which the hand-drawn fallback assumes.

A large graph (ResNet18's ~50 operators, BERT-base's ~600) would be a strip pages long: identical repeated blocks
(BERT's encoder layers, module paths `...layer.<k>/...` with the same operators in each) are drawn once, the
others folded into one box that says so, and what remains is laid out in columns that read top to bottom, left to
right, so the drawing fits a page.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess

from mlalab.io import atomic_path

COLORS = {"Gemm": "#cfe2f3", "MatMul": "#cfe2f3", "Conv": "#d9ead3", "MaxPool": "#fff2cc",
          "BatchNormalization": "#ead1dc", "Relu": "#eeeeee", "Flatten": "#fce5cd", "Reshape": "#fce5cd"}


def _dims(value_info) -> str:
    dims = value_info.type.tensor_type.shape.dim
    return "×".join(d.dim_param or str(d.dim_value) if (d.dim_param or d.HasField("dim_value")) else "?"
                    for d in dims) or "scalar"


def infer_shapes(model):
    """`model` with every tensor's shape: onnxruntime's symbolic shape inference, which follows shapes computed
    inside the graph (BERT's Reshape targets) so they keep the symbolic batch (onnx's own inference names them
    unk__N); onnx's inference where it cannot."""
    import onnx

    try:
        from onnxruntime.tools.symbolic_shape_infer import SymbolicShapeInference
        return SymbolicShapeInference.infer_shapes(model, auto_merge=True)
    except Exception:  # noqa: BLE001 - an operator it does not know: onnx's inference still gives most shapes
        return onnx.shape_inference.infer_shapes(model)


def read_graph(path) -> dict:
    """The .onnx file at `path`, shapes inferred: {"nodes": [(id, op_type, name, [weight shapes])],
    "edges": [(from id, to id, tensor, shape)], "inputs"/"outputs": [(tensor, shape)]}; ids are 'n0'..., and
    'in:<tensor>' / 'out:<tensor>' for the graph's inputs and outputs."""
    import onnx

    try:
        model = infer_shapes(onnx.load(str(path)))
    except Exception as exc:  # noqa: BLE001 - a damaged export is named, with how to remake it
        raise ValueError(f"cannot read the ONNX graph {path}: {type(exc).__name__}: {exc}; delete the file and "
                         "rerun the build to export it again") from exc
    g = model.graph
    weights = {t.name: "×".join(map(str, t.dims)) or "scalar" for t in g.initializer}
    shapes = {v.name: _dims(v) for v in [*g.input, *g.value_info, *g.output]}
    producer = {t.name: f"in:{t.name}" for t in g.input if t.name not in weights}
    nodes, edges, paths, derived = [], [], {}, set()
    for i, node in enumerate(g.node):
        if node.input and all(t in weights for t in node.input):
            # a constant copied (the exporter's Identity of a shared buffer): a weight, not a step of the graph
            weights.update({t: weights[node.input[0]] for t in node.output})
            continue
        if node.op_type == "Constant":       # a constant (a shape, a scale): an operand, as Netron shows it
            value = next((a.t for a in node.attribute if a.name == "value"), None)
            weights.update({t: "×".join(map(str, value.dims)) if value is not None and value.dims else "scalar"
                            for t in node.output})
            continue
        if node.op_type == "Shape" or (set(node.input) <= set(weights) | derived and set(node.input) & derived):
            # arithmetic on shapes (a Reshape's target, BERT's mask and position ids): an operand of the step
            # that uses it, not a step of its own
            derived.update(node.output)
            weights.update({t: shapes.get(t, "?") for t in node.output})
            continue
        # each constant input under its name in the operator's schema (Conv's W and B), as Netron shows it
        names = [p.name for p in onnx.defs.get_schema(node.op_type, node.domain or "").inputs] or ["input"]
        const = [f"{names[min(k, len(names) - 1)]} ⟨{weights[t]}⟩" for k, t in enumerate(node.input) if t in weights]
        nodes.append((f"n{i}", node.op_type, module_name(node.name) or node.op_type, const))
        paths[f"n{i}"] = node.name
        edges += [(producer[t], f"n{i}", t, shapes.get(t, "?")) for t in node.input if t in producer]
        producer.update({t: f"n{i}" for t in node.output})
    outputs = [(t.name, shapes.get(t.name, "?")) for t in g.output]
    edges += [(producer[t], f"out:{t}", t, shape) for t, shape in outputs if t in producer]
    return {"nodes": nodes, "edges": edges, "outputs": outputs, "paths": paths,
            "inputs": [(t.name, shapes.get(t.name, "?")) for t in g.input if t.name not in weights]}


def module_name(path: str) -> str:
    """The module an exported operator belongs to, from its node name: '/fc1/Gemm' -> 'fc1',
    '/layer1/layer1.0/conv1/Conv' -> 'layer1.0.conv1', '/model/encoder/layer.0/attention/self/query/MatMul' ->
    'layer.0.attention.self.query' (from the first indexed module on; 'model' is the export wrapper); '' for an
    operator without one."""
    parts = path.strip("/").split("/")[:-1]
    parts = [p for k, p in enumerate(parts) if not (k + 1 < len(parts) and parts[k + 1].startswith(p + "."))]
    parts = parts[1:] if parts[:1] == ["model"] else parts
    first = next((k for k, p in enumerate(parts) if _INDEXED.match(p)), max(0, len(parts) - 3))
    return ".".join(parts[first:])


_INDEXED = re.compile(r"^(?P<stem>.+)\.(?P<k>\d+)$")


def _block(path: str):
    """(stem path, index) of the first indexed module in a node's path ('/encoder/layer.3/attention/...' ->
    ('/encoder/layer', 3)), or None."""
    parts = path.strip("/").split("/")
    for depth, part in enumerate(parts):
        m = _INDEXED.match(part)
        if m:
            return "/".join([*parts[:depth], m["stem"]]), int(m["k"])
    return None


def fold_repeats(graph: dict, min_repeats: int = 3) -> dict:
    """`graph` with each run of >= `min_repeats` identical indexed blocks (same operators in the same order) drawn
    once: the first block stays, the others become one box ('× 11 more: layer.1–11, as layer.0'), whose edges
    carry the shapes of the tensors entering and leaving the folded blocks."""
    blocks: dict[str, dict[int, list]] = {}
    for node, op, _, _ in graph["nodes"]:
        b = _block(graph.get("paths", {}).get(node, ""))
        if b:
            blocks.setdefault(b[0], {}).setdefault(b[1], []).append((node, op))
    folded: dict[str, str] = {}               # node id -> the box that stands for it
    boxes = {}
    for stem, members in blocks.items():
        ks = sorted(members)
        ops = {k: [op for _, op in members[k]] for k in ks}
        if len(ks) < min_repeats or any(ops[k] != ops[ks[0]] for k in ks[1:]):
            continue
        box = f"fold:{stem}"
        name = stem.split("/")[-1]
        boxes[box] = (box, f"× {len(ks) - 1} more", f"{name}.{ks[1]}–{ks[-1]}",
                      [f"each the {len(ops[ks[0]])} operators of {name}.{ks[0]}"])
        folded.update({node: box for k in ks[1:] for node, _ in members[k]})
    if not folded:
        return graph
    nodes, placed = [], set()
    for entry in graph["nodes"]:
        box = folded.get(entry[0])
        if box is None:
            nodes.append(entry)
        elif box not in placed:
            nodes.append(boxes[box])
            placed.add(box)
    edges, seen = [], set()
    for a, b, tensor, shape in graph["edges"]:
        a2, b2 = folded.get(a, a), folded.get(b, b)
        if a2 == b2 or (a2, b2) in seen:
            continue
        seen.add((a2, b2))
        edges.append((a2, b2, tensor, shape))
    return {**graph, "nodes": nodes, "edges": edges}


def _handed(graph: dict, i: int) -> str | None:
    """The one operator whose output alone crosses from the boxes before node i to those after it (after a ResNet
    block, between BERT's layers), or None where several tensors (or a graph input) cross."""
    n = len(graph["nodes"])
    pos = {node[0]: k for k, node in enumerate(graph["nodes"])}
    crossing = {a for a, b, _, _ in graph["edges"] if pos.get(a, -1) < i <= pos.get(b, n)}
    return next(iter(crossing)) if len(crossing) == 1 and next(iter(crossing)) in pos else None


def _columns(graph: dict, rows: int) -> list[int]:
    """Where each column starts (indices into graph["nodes"], file order = topological order): a column ends, at
    most `rows` operators in, at the last point where one tensor alone crosses (_handed), so a column hands one
    arrow to the next, the point nearest an even split chosen; where there is none the cut is made at `rows`, its
    edges drawn across."""
    starts, start, n = [0], 0, len(graph["nodes"])
    even = -(-n // -(-n // rows))                 # the column height that spreads the boxes evenly
    while n - start > rows:
        cuts = [i for i in range(start + max(2, rows // 2), start + rows + 1) if _handed(graph, i)]
        start = min(cuts, key=lambda i: abs(i - start - even)) if cuts else start + rows
        starts.append(start)
    return starts


def dot_source(graph: dict, title: str = "", rows: int = 16) -> str:
    """Graphviz source: one box per operator, edges labelled with shapes; more than `rows` operators are laid out
    in columns (_columns), the tensor a column hands on drawn as an arrow out of its foot and into the next
    column's head, so no edge runs across the picture."""
    esc = html.escape
    lines = ["digraph onnx {", '  graph [rankdir=TB, newrank=true, fontname="DejaVu Sans", fontsize=11, nodesep=0.2, '
             'ranksep=0.22' + (f', label="{esc(title)}", labelloc=t' if title else "") + "];",
             '  node [shape=box, style="rounded,filled", fontname="DejaVu Sans", fontsize=10, margin="0.15,0.04"];',
             '  edge [arrowsize=0.6, fontname="DejaVu Sans", fontsize=9];']
    nodes = graph["nodes"]
    starts = _columns(graph, rows) if nodes else [0]
    column = {node[0]: sum(i >= s for s in starts) - 1 for i, node in enumerate(nodes)}
    last = len(starts) - 1
    column.update({f"in:{t}": 0 for t, _ in graph["inputs"]})
    column.update({f"out:{t}": last for t, _ in graph["outputs"]})
    body: list[list[str]] = [[] for _ in starts]
    for kind in ("in", "out"):
        for tensor, _ in graph[f"{kind}puts"]:
            body[column[f"{kind}:{tensor}"]].append(
                f'  "{kind}:{esc(tensor)}" [label=<<b>{esc(tensor)}</b>>, shape=ellipse, fillcolor="#ffffff"];')
    for node, op, name, const in nodes:
        sub = "".join(f'<br/><font point-size="9">{esc(" · ".join(const[k:k + 2]))}</font>'
                      for k in range(0, len(const), 2))
        body[column[node]].append(f'  "{node}" [label=<<b>{esc(op)}</b>&#160;{esc(name)}{sub}>, '
                                  f'fillcolor="{COLORS.get(op, "#fde9d9" if node.startswith("fold:") else "#f3f3f3")}"];')
    names = {node: f"{op} {name}" for node, op, name, _ in nodes}
    handed = {c: _handed(graph, s) for c, s in enumerate(starts) if c}
    edges, opened = [], set()
    for a, b, _, shape in graph["edges"]:
        ca, cb = column.get(a, 0), column.get(b, 0)
        if cb == ca + 1 and handed.get(cb) == a:
            if cb not in opened:       # the foot of column ca and the head of column cb: one arrow each
                opened.add(cb)
                body[ca].append(f'  "next:{cb}" [label="↓ column {cb + 1}", shape=plaintext, style=""];')
                body[cb].append(f'  "from:{cb}" [label="↑ {esc(names[a])}", shape=plaintext, style=""];')
                edges.append(f'  "{esc(a)}" -> "next:{cb}" [label=" {esc(shape)}"];')
            edges.append(f'  "from:{cb}" -> "{esc(b)}" [label=" {esc(shape)}"];')
        else:
            edges.append(f'  "{esc(a)}" -> "{esc(b)}" [label=" {esc(shape)}"'
                         + (", constraint=false" if ca != cb else "") + "];")
    if len(starts) == 1:
        lines += body[0]
    else:
        for i, part in enumerate(body):
            lines += [f"  subgraph cluster_{i} {{", "  style=invis;", *part, "  }"]
        heads = [f"from:{i}" if i in opened else next(n[0] for n in nodes if column[n[0]] == i)
                 for i in range(1, len(starts))]
        first = f"in:{graph['inputs'][0][0]}" if graph["inputs"] else nodes[0][0]
        lines.append("  { rank=same; " + " ".join(f'"{esc(h)}";' for h in [first, *heads]) + " }")
    lines += edges
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
    """Draw the ONNX graph at `onnx_path` into the SVG `path`; returns which renderer drew it ('dot', 'dot, one
    column' or 'hand')."""
    graph = fold_repeats(read_graph(onnx_path))
    dot = shutil.which("dot")
    with atomic_path(path) as tmp:
        # dot can fail on a large graph's column layout ("trouble in init_rank"): then one column, then by hand
        for rows in ((16, len(graph["nodes"]) + 1) if dot else ()):
            run = subprocess.run([dot, "-Tsvg"], input=dot_source(graph, title, rows=rows), capture_output=True,
                                 text=True, timeout=120)
            if run.returncode == 0:
                tmp.write_text(run.stdout)
                return "dot" if rows == 16 else "dot, one column"
        tmp.write_text(svg_by_hand(graph))
        return "hand"


def draw_diagram(inputs, outputs, title: str, log) -> None:
    """The diagram job (rule diagram): the model's exported ONNX file (inputs.onnx) -> outputs[0], titled."""
    how = write_diagram(inputs.onnx, outputs[0], title=title)
    log(f"drew {outputs[0]} from {inputs.onnx} with {how}")
