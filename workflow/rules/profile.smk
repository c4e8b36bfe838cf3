rule profile:
    """Params, MACs (thop / aten / analytic), shapes, dtypes, the per-layer table and the ONNX file of one MNIST
    architecture."""
    input:
        code=code("profile"),
    output:
        profile=paths.model_profile(config, "{model}"),
        layers=paths.model_layers(config, "{model}"),
        onnx=paths.model_onnx(config, "{model}"),
    wildcard_constraints:
        model=_alternatives(LAB.models),
    params:
        spec=lambda wc: SPECS[wc.model].as_dict(),
        batches=lambda wc: profile_batches(config, LAB, wc.model),
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/profile/{{model}}.log",
    benchmark:
        f"{BENCH}/profile/{{model}}.tsv"
    script:
        "../../scripts/profile.py"
