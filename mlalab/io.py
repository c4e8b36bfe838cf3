"""Atomic writes: an output appears whole or not at all, so a killed job never leaves a file a later
step would read as valid. And the one way to read the JSON and CSV files of a results folder: a file that
cannot be read (truncated, emptied, garbage) is a DamagedFile that names it and says how to rebuild it.

A killed job leaves at most its temporary file (`.{name}.*.tmp` beside the output); the run lock sweeps them
(mlalab.runlock)."""

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


REBUILD = ("delete it and run snakemake again (the rule that makes it rebuilds it), or rerun that rule with "
           "--forcerun RULE")


class DamagedFile(OSError):
    """A file of the results that exists but cannot be read. An OSError: a failure of the machine's files, not
    of the config, so a record job that meets one records nothing (mlalab.runner.is_machine_failure)."""

    def __init__(self, path, what: str):
        super().__init__(f"{path}: {what}: a damaged file; {REBUILD}")
        self.path = str(path)


def read_json(path):
    try:
        return json.loads(Path(path).read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DamagedFile(path, f"not JSON ({e})") from e


def read_csv(path, **kwargs):
    """pandas.read_csv of a table of the lab. A 0-byte file is damaged: write_csv writes at least a line, even
    for a table of nothing."""
    import pandas as pd

    if os.path.getsize(path) == 0:
        raise DamagedFile(path, "empty (0 bytes)")
    try:
        return pd.read_csv(path, **kwargs)
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise DamagedFile(path, f"not a CSV table ({str(e).strip().splitlines()[0] if str(e).strip() else e})") from e


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
