import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"


@pytest.fixture
def tiny_mnist(tmp_path):
    """Four tiny IDX files (gzip) and their expected SHA-256 of the decompressed content."""
    import gzip
    import hashlib

    from mlalab.data import write_idx

    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (20, 28, 28)),
        "train-labels-idx1-ubyte": rng.integers(0, 10, 20),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (8, 28, 28)),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, 8),
    }
    expected = {}
    for name, arr in arrays.items():
        write_idx(tmp_path / f"{name}.gz", arr, gz=True)
        expected[name] = hashlib.sha256(gzip.decompress((tmp_path / f"{name}.gz").read_bytes())).hexdigest()
    return tmp_path, expected, arrays


@pytest.fixture(scope="session")
def repo_root():
    os.chdir(ROOT)
    return ROOT


def snakemake(*args, results, timeout=1800, check=True):
    """Run this repo's pipeline with the quick overlay into `results` (own folder: no lock needed)."""
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "snakemake", *args, "--cores", "2", "--nolock", "--configfile", "config.quick.yaml",
           "--config", f"results={results}", f"mnist_dir={SHARED_MNIST}"]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if check and out.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stdout[-4000:]}\n{out.stderr[-4000:]}")
    return out


@pytest.fixture(scope="session")
def quick_build(tmp_path_factory):
    """The whole quick pipeline, built once per test session; yields its results folder."""
    if not SHARED_MNIST.exists():
        pytest.skip("../shared/data/mnist is not present")
    results = tmp_path_factory.mktemp("quick") / "results"
    snakemake(results=results)
    return results
