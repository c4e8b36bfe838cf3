rule profile:
    """Params, MACs (thop / aten / analytic), shapes, dtypes and the per-layer table of one MNIST architecture."""
    input:
        code=code("profile"),
    output:
        profile=f"{R}/models/{{model}}/profile.json",
        layers=f"{R}/models/{{model}}/layers.csv",
    params:
        spec=lambda wc: LAB.models[wc.model],
        batches=lambda wc: profile_batches(config, LAB, wc.model),
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/profile/{{model}}.log",
    benchmark:
        f"{BENCH}/profile/{{model}}.tsv"
    script:
        "../../scripts/profile.py"
