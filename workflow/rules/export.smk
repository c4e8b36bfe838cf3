rule onnx:
    """One model of the lab (MNIST architectures, ResNet18, BERT-base; random weights) to ONNX, batch
    dimension dynamic. The report links the files (Netron opens them)."""
    input:
        code=code("export_onnx"),
    output:
        f"{R}/models/{{model}}/model.onnx",
    params:
        spec=lambda wc: SPECS[wc.model],
    resources:
        mem_mb=lambda wc: latency_plan.resources_of(SPECS[wc.model])["mem_mb"],
        runtime=lambda wc: latency_plan.resources_of(SPECS[wc.model])["runtime"],
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/onnx/{{model}}.log",
    benchmark:
        f"{BENCH}/onnx/{{model}}.tsv"
    script:
        "../../scripts/export_onnx.py"
