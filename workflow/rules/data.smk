rule mnist:
    """MNIST's four IDX files, decompressed and SHA-256-checked: copied from mnist_dir, else downloaded.

    The files are defined by their SHA-256 (mlalab/plan/mnist.py), not by where they came from or by the code
    that fetched them: so `mnist_dir` is deliberately not a param (params are a rerun trigger; the job reads it
    from the config) and the fetcher's modules are not inputs. Dropping, adding or changing mnist_dir, or
    editing the package, never plans this job or anything downstream of the verified files."""
    output:
        MNIST,
    priority: 100   # everything that trains or times an MNIST model waits for it
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/mnist.log",
    benchmark:
        f"{BENCH}/mnist/mnist.tsv"
    script:
        "../../scripts/fetch_mnist.py"
