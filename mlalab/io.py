"""Atomic writes: an output appears whole or not at all, so a killed job never leaves a file a later
step would read as valid."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path beside `path`; rename it onto `path` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; outputs should read like any other file
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_json(path, obj) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=False, default=_jsonable) + "\n")


def read_json(path):
    return json.loads(Path(path).read_text())


def write_csv(path, frame) -> None:
    """Write a pandas DataFrame atomically (raw numbers, no formatting)."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def _jsonable(x):
    if hasattr(x, "tolist"):
        return x.tolist()
    if isinstance(x, (set, tuple)):
        return list(x)
    return str(x)


def shape_text(shape) -> str:
    """The one way a tensor shape is written in a table: [64, 32, 28, 28] -> '64x32x28x28'; a missing shape
    (None, NaN, []) -> ''."""
    if shape is None or (isinstance(shape, float) and shape != shape) or len(shape) == 0:
        return ""
    return "x".join(str(d) for d in shape)
