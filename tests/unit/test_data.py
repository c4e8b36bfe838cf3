import gzip
import hashlib
import os

import numpy as np
import pytest
from testlib import write_idx

from mlalab.plan.mnist import FILES
from mlalab.stages.data import ChecksumError, fetch, load_split, read_idx
from tests.conftest import SHARED_MNIST


def test_fetch_from_local_folder_verifies_and_decompresses(tiny_mnist, tmp_path):
    src, expected, arrays = tiny_mnist
    out = tmp_path / "out"
    fetch(out, src, expected=expected, log=lambda m: None)
    for name, arr in arrays.items():
        assert np.array_equal(read_idx(out / name), arr)
    x, y = load_split(out, "train")
    assert x.shape == (20, 1, 28, 28) and x.dtype.is_floating_point
    assert y.tolist() == arrays["train-labels-idx1-ubyte"].tolist()
    assert load_split(out, "test", subset=3)[0].shape[0] == 3


def test_checksum_mismatch_names_file_and_both_hashes(tiny_mnist, tmp_path):
    src, expected, _ = tiny_mnist
    bad = dict(expected, **{"t10k-labels-idx1-ubyte": "0" * 64})
    out = tmp_path / "out"
    with pytest.raises(ChecksumError) as err:
        fetch(out, src, expected=bad, log=lambda m: None)
    msg = str(err.value)
    assert "t10k-labels-idx1-ubyte" in msg and "0" * 64 in msg and expected["t10k-labels-idx1-ubyte"] in msg
    assert not (out / "t10k-labels-idx1-ubyte").exists()
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_truncated_gzip_is_an_error_naming_the_file(tiny_mnist, tmp_path):
    src, expected, _ = tiny_mnist
    path = src / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ChecksumError, match="train-images-idx3-ubyte"):
        fetch(tmp_path / "out", src, expected=expected, log=lambda m: None)


def test_raw_files_are_accepted(tiny_mnist, tmp_path):
    src, expected, arrays = tiny_mnist
    raw = tmp_path / "raw"
    raw.mkdir()
    for name, arr in arrays.items():
        write_idx(raw / name, arr)
    fetch(tmp_path / "out", raw, expected=expected, log=lambda m: None)
    assert (tmp_path / "out" / "train-images-idx3-ubyte").exists()


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        fetch(tmp_path / "out", tmp_path, log=lambda m: None)


def test_idx_size_mismatch(tmp_path):
    path = tmp_path / "x"
    write_idx(path, np.zeros((3, 2), dtype=np.uint8))
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(ValueError, match="holds 5"):
        read_idx(path)


def test_real_mnist_checksums_match_the_published_ones():
    if not SHARED_MNIST.exists():   # skipped on a developer's machine; under CI a missing file is a failure
        ci = os.environ.get("CI", "").lower() not in ("", "0", "false")
        (pytest.fail if ci else pytest.skip)("../shared/data/mnist not present")
    for name, digest in FILES.items():
        assert hashlib.sha256(gzip.decompress((SHARED_MNIST / f"{name}.gz").read_bytes())).hexdigest() == digest


def test_download_uses_torchvisions_mirrors(monkeypatch, tmp_path, tiny_mnist):
    # No network: urlopen is replaced; the real download path (mirror list, gunzip, verify) still runs.
    src, expected, _ = tiny_mnist
    seen = []

    class Response:
        def __init__(self, data):
            self.data = data

        def read(self):
            return self.data

        def __enter__(self):
            return self

        def __exit__(self, *a):
            return False

    def fake_urlopen(url, timeout):
        seen.append(url)
        if len(seen) == 1:
            raise OSError("mirror down")
        return Response((src / (url.rsplit("/", 1)[1])).read_bytes())

    monkeypatch.setattr("urllib.request.urlopen", fake_urlopen)
    fetch(tmp_path / "out", None, expected=expected, log=lambda m: None)
    from torchvision.datasets import MNIST

    assert seen[0].startswith(MNIST.mirrors[0]) and seen[1].startswith(MNIST.mirrors[1])
    assert len(list((tmp_path / "out").iterdir())) == 4
