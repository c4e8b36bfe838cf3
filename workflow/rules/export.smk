rule onnx:
    """A Part 3 network (random weights) to ONNX, batch dimension dynamic (the MNIST architectures are exported
    by their profile job). The report links the files (Netron opens them)."""
    input:
        code=code("export_onnx"),
    output:
        paths.model_onnx(config, "{model}"),
    wildcard_constraints:
        model=_alternatives(latency_plan.part3_specs(config)),
    params:
        spec=lambda wc: SPECS[wc.model].as_dict(),
    resources:
        mem_mb=lambda wc: SPECS[wc.model].resources["mem_mb"],
        runtime=lambda wc: SPECS[wc.model].resources["runtime"],
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/onnx/{{model}}.log",
    benchmark:
        f"{BENCH}/onnx/{{model}}.tsv"
    script:
        "../../scripts/export_onnx.py"
