# Rules for ONNX export (issue 4): every MNIST architecture, and ResNet18 / BERT-base when Part 3 is configured.
# Files land beside each model's profile, and the report links them (Netron opens them).


rule onnx_mnist:
    """One MNIST architecture (weights as initialized with seed 0; the graph is what matters) to ONNX."""
    input:
        code=code("export_onnx"),
    output:
        f"{R}/models/{{model}}/model.onnx",
    params:
        spec=lambda wc: LAB.models[wc.model],
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/onnx/{{model}}.log",
    benchmark:
        f"{R}/benchmarks/onnx_mnist/{{model}}.tsv"
    script:
        "../../scripts/export_onnx.py"


rule onnx_part3:
    """ResNet18 / BERT-base (random weights, as Part 3 times them) to ONNX, batch dimension dynamic."""
    input:
        code=code("export_onnx"),
    output:
        f"{R}/part3/{{net}}/model.onnx",
    wildcard_constraints:
        net="resnet18|bert",
    params:
        net=lambda wc: wc.net,
        image_size=lambda wc: config["part3"]["resnet18"].get("image_size", 224),
        seq_len=lambda wc: config["part3"]["bert"].get("seq_len", 128),
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/onnx/{{net}}.log",
    benchmark:
        f"{R}/benchmarks/onnx_part3/{{net}}.tsv"
    script:
        "../../scripts/export_onnx.py"


ONNX_MNIST = {m: f"{R}/models/{m}/model.onnx" for m in LAB.models}
ONNX_PART3 = {n: f"{R}/part3/{n}/model.onnx" for n in (["resnet18", "bert"] if config.get("part3") else [])}
TARGETS += list(ONNX_MNIST.values()) + list(ONNX_PART3.values())
