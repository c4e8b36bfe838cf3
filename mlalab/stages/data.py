"""MNIST as tensors: fetch (download or copy from a local folder), verify, and load IDX files in one go."""

from __future__ import annotations

import gzip
import hashlib
import struct
import urllib.request
from pathlib import Path

import numpy as np
import torch

from mlalab.io import atomic_path
from mlalab.plan.mnist import FILES

# The training set's statistics, as every MNIST tutorial normalizes with them.
MEAN, STD = 0.1307, 0.3081


class ChecksumError(RuntimeError):
    pass


def mirrors() -> list[str]:
    """torchvision's own mirror list, so ours never drifts from it."""
    from torchvision.datasets import MNIST

    return list(MNIST.mirrors)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_maybe_gz(path: Path) -> bytes:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (EOFError, OSError) as e:
            raise ChecksumError(f"{path}: truncated or corrupt gzip ({e})") from e
    return raw


def verify(name: str, content: bytes, source: str, expected: dict[str, str] = FILES) -> None:
    got = sha256(content)
    if got != expected[name]:
        raise ChecksumError(f"{source}: SHA-256 of decompressed {name} is {got}, expected {expected[name]}")


def _find(folder: Path, name: str) -> Path:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"mnist_dir {folder}: neither {name} nor {name}.gz is there")


def _download(name: str, log=print) -> bytes:
    errors = []
    for base in mirrors():
        url = f"{base}{name}.gz"
        try:
            log(f"downloading {url}")
            with urllib.request.urlopen(url, timeout=60) as r:
                return gzip.decompress(r.read())
        except Exception as e:  # noqa: BLE001 - try the next mirror, report all at the end
            errors.append(f"{url}: {e}")
    raise RuntimeError(f"could not download {name}:\n" + "\n".join(errors))


def fetch(out_dir: str | Path, mnist_dir: str | Path | None = None, expected: dict[str, str] = FILES,
          log=print) -> list[Path]:
    """Write the four decompressed, verified IDX files into `out_dir` (from `mnist_dir`, else download)."""
    out_dir = Path(out_dir)
    written = []
    for name in expected:
        if mnist_dir:
            src = _find(Path(mnist_dir), name)
            content, source = _read_maybe_gz(src), str(src)
        else:
            content, source = _download(name, log), f"download of {name}"
        verify(name, content, source, expected)
        with atomic_path(out_dir / name) as tmp:
            tmp.write_bytes(content)
        log(f"{name}: {len(content):,} bytes, sha256 ok ({source})")
        written.append(out_dir / name)
    return written


def read_idx(path: str | Path) -> np.ndarray:
    """Parse an IDX file (magic: 0, 0, dtype code, ndim; then big-endian dims) into a numpy array."""
    raw = _read_maybe_gz(Path(path))
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path}: not an IDX file (bad magic)")
    if raw[2] != 0x08:
        raise ValueError(f"{path}: only unsigned-byte IDX data is supported, type code 0x{raw[2]:02x}")
    ndim = raw[3]
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    body = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise ValueError(f"{path}: header says {dims} = {int(np.prod(dims))} values, file holds {body.size}")
    return body.reshape(dims)


def load_split(folder: str | Path, split: str, subset: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Images as normalized float32 (N, 1, 28, 28) and labels as int64, loaded once into memory."""
    prefix = {"train": "train", "test": "t10k"}[split]
    folder = Path(folder)
    images = read_idx(folder / f"{prefix}-images-idx3-ubyte")
    labels = read_idx(folder / f"{prefix}-labels-idx1-ubyte")
    if subset:
        images, labels = images[:subset], labels[:subset]
    x = torch.from_numpy(images.astype(np.float32)).div_(255.0).sub_(MEAN).div_(STD).unsqueeze(1)
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


def subset_of(data_cfg: dict, split: str) -> int | None:
    """The config's `data.{split}_subset` (None = the whole split)."""
    return data_cfg[f"{split}_subset"]


def fetch_mnist_from(mnist_dir: str | Path | None):
    """The mnist rule's job body, with `mnist_dir` (None = download) bound from the config rather than given as a
    rule param, so that where MNIST comes from is never a rerun trigger (workflow/rules/data.smk)."""

    def fetch_mnist(outputs, log) -> None:
        """The four verified IDX files, from `mnist_dir` or downloaded."""
        log(f"mnist_dir: {mnist_dir or 'not set, downloading'}")
        fetch(Path(outputs[0]).parent, mnist_dir, log=log)

    return fetch_mnist
