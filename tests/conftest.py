from pathlib import Path

import numpy as np
import pytest
from testlib import write_idx

ROOT = Path(__file__).resolve().parents[1]
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"


@pytest.fixture
def tiny_mnist(tmp_path):
    """Four tiny IDX files (gzip) and their expected SHA-256 of the decompressed content."""
    import gzip
    import hashlib

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

