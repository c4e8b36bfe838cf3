"""The model graphs are the exported ONNX files themselves, every edge labelled with its tensor's shape."""

import html
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
