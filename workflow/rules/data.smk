rule mnist:
    """MNIST's four IDX files, decompressed and SHA-256-checked: copied from mnist_dir, else downloaded."""
    input:
        code=code("fetch_mnist"),
    output:
        MNIST,
    params:
        mnist_dir=config.get("mnist_dir"),
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/mnist.log",
    benchmark:
        f"{BENCH}/mnist/mnist.tsv"
    script:
        "../../scripts/fetch_mnist.py"
