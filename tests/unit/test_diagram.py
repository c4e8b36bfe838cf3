"""The model graphs are the exported ONNX files themselves, every edge labelled with its tensor's shape."""

import html
import re
import shutil

import pytest
import torch

from mlalab.measure import models
from mlalab.measure.onnx_export import export_spec
from mlalab.report import diagram

SPECS = {"cnn": {"source": "mnist", "kind": "cnn", "model": {"channels": [32, 64], "kernel": 5, "fc": 128}},
         "mlp-bn": {"source": "mnist", "kind": "mlp", "model": {"hidden": [256, 128], "batchnorm": True}}}


@pytest.fixture(scope="module", params=sorted(SPECS))
def exported(request, tmp_path_factory):
    spec = SPECS[request.param]
    path = tmp_path_factory.mktemp("onnx") / "model.onnx"
    export_spec(spec, path)
    return spec, path


def _torch_output_shapes(spec) -> dict[str, list[int]]:
    """Each named module's output shape at batch 3, from a forward pass (not from ONNX)."""
    model, shapes = models.build(spec), {}
    for name, module in model.named_modules():
        if name:
            module.register_forward_hook(lambda m, i, o, name=name: shapes.__setitem__(name, list(o.shape)))
    with torch.no_grad():
        model(models.example_batch(spec, model, 3))
    return shapes


def test_edge_shapes_are_the_tensors_torch_computes(exported):
    spec, path = exported
    graph = diagram.read_graph(path)
    names = {node: name for node, _, name, _ in graph["nodes"]}
    torch_shapes = _torch_output_shapes(spec)
    checked = 0
    for a, _, _, shape in graph["edges"]:
        if a in names and names[a] in torch_shapes:
            dims = torch_shapes[names[a]]
            assert shape == "×".join(["batch", *map(str, dims[1:])]), (names[a], shape, dims)
            checked += 1
    assert checked == len(graph["nodes"])  # every operator's output is a torch module's output
    assert graph["inputs"] == [("image", "batch×1×28×28")] and graph["outputs"] == [("logits", "batch×10")]
    weights = [c for _, op, _, const in graph["nodes"] if op in ("Gemm", "Conv") for c in const]
    first = next(iter(models.build(spec).parameters()))      # PyTorch's (out x in) order, as stored
    assert weights[0].endswith(f"⟨{'×'.join(map(str, first.shape))}⟩")


@pytest.mark.parametrize("dot", [True, False])
def test_every_box_and_edge_of_the_drawing_has_its_shape(exported, tmp_path, monkeypatch, dot):
    _, path = exported
    if dot and not shutil.which("dot"):
        pytest.skip("Graphviz dot not installed")
    if not dot:
        monkeypatch.setattr(diagram.shutil, "which", lambda name: None)
    out = tmp_path / "graph.svg"
    assert diagram.write_diagram(path, out, title="m") == ("dot" if dot else "hand")
    svg = html.unescape(out.read_text())
    graph = diagram.read_graph(path)
    for _, _, _, shape in graph["edges"]:
        assert shape in svg and "?" not in shape
    for _, op, name, const in graph["nodes"]:
        assert op in svg and name in svg and all(c in svg for c in const)
    assert "—" not in svg


def test_a_damaged_export_is_named(tmp_path):
    bad = tmp_path / "model.onnx"
    bad.write_bytes(b"not onnx")
    with pytest.raises(ValueError, match="model.onnx.*rerun the build"):
        diagram.read_graph(bad)


# The Part 3 networks: a tiny BERT (4 identical encoder layers) and ResNet18, exported as the onnx job does.
BIG = {"bert": {"source": "transformers", "name": "BertConfig", "seq_len": 8,
                "config": {"num_hidden_layers": 4, "hidden_size": 32, "num_attention_heads": 2,
                           "intermediate_size": 64, "vocab_size": 100}},
       "resnet18": {"source": "torchvision", "name": "resnet18", "image_size": 32}}


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    out = {}
    for name, spec in BIG.items():
        out[name] = tmp_path_factory.mktemp("onnx") / f"{name}.onnx"
        export_spec(spec, out[name])
    return out


def test_identical_repeated_blocks_are_drawn_once(big):
    full = diagram.read_graph(big["bert"])
    folded = diagram.fold_repeats(full)
    layer = [n for n, _, _, _ in full["nodes"] if "/layer.0/" in full["paths"][n]]
    assert len(layer) > 10
    boxes = [n for n in folded["nodes"] if n[0].startswith("fold:")]
    assert len(boxes) == 1 and boxes[0][1] == "× 3 more" and boxes[0][2] == "layer.1–3"
    assert len(folded["nodes"]) == len(full["nodes"]) - 3 * len(layer) + 1
    # the folded box is entered by layer 0's output and leaves with the same hidden-state shape
    into = [e for e in folded["edges"] if e[1] == boxes[0][0]]
    out = [e for e in folded["edges"] if e[0] == boxes[0][0]]
    assert into and out and all(e[3] != "?" for e in into + out)
    assert any(e[3] == "batch×8×32" for e in out)
    # ResNet18's blocks differ between stages (downsampling), so nothing is folded there
    res = diagram.read_graph(big["resnet18"])
    assert diagram.fold_repeats(res) == res


def test_a_large_graph_is_laid_out_in_columns(big, tmp_path):
    graph = diagram.read_graph(big["resnet18"])
    assert len(graph["nodes"]) > 40
    src = diagram.dot_source(graph, "resnet18", rows=16)
    starts = diagram._columns(graph, 16)
    assert src.count("subgraph cluster_") == len(starts) >= 3 and "rank=same" in src
    assert all(b - a <= 16 for a, b in zip(starts, [*starts[1:], len(graph["nodes"])]))
    # each column ends after a residual block, so it hands one tensor to the next: no edge runs across
    assert src.count("↓ column") == len(starts) - 1 and "constraint=false" not in src
    small = diagram.dot_source(graph, "resnet18", rows=100)
    assert "subgraph" not in small and "constraint=false" not in small
    if shutil.which("dot"):
        out = tmp_path / "resnet18.svg"
        diagram.write_diagram(big["resnet18"], out, title="resnet18")
        svg = html.unescape(out.read_text())
        assert all(shape in svg for _, _, _, shape in graph["edges"])
        width, height = (float(v.rstrip("pt")) for v in
                         re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups())
        assert height < 2 * width          # columns: not a strip many pages long
