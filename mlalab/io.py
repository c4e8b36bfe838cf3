"""Atomic writes: an output appears whole or not at all, so a killed job never leaves a file a later
step would read as valid. And the one way to read the JSON and CSV files of a results folder: a file that
cannot be read (truncated, emptied, garbage) is a DamagedFile that names it and says how to rebuild it.

The build lock. Snakemake's own lock (`.snakemake/locks`) is deleted whole when *any* Snakemake invocation in
the working folder ends, so a second build could start beside the first, rerun a job the first had just finished
and break it. A build that runs jobs therefore also holds `{results}/.mlalab-build.lock` (`hold_build_lock`: fcntl.flock,
taken by the Snakefile's `onstart`, i.e. for a real run with jobs to do, never for a dry run, `--list` or
`--report`; released by the kernel when the Snakemake process ends, however it ends). A second build of the same
folder is refused at once, naming the running one (pid, start time, command). A run of only the `compare` rule
takes no lock: it reads other folders and writes only under `{results}/compare`.

A job killed mid-write leaves at most its temporary file (`.{name}.*.tmp` beside the output), never the output;
with the lock held no job of the folder is running, so they are swept (`sweep_temporaries`)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shlex
import socket
import sys
import tempfile
import time
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


LOCK_NAME = ".mlalab-build.lock"
_held: list = []   # the open lock file: the lock lasts as long as the process


class BuildRunning(RuntimeError):
    """Another build holds this results folder."""


def hold_build_lock(results: str | os.PathLike, command: list[str] | None = None) -> Path:
    """Lock the results folder for this process's lifetime, or raise BuildRunning naming the holder."""
    folder = Path(results)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_NAME
    f = open(path, "a+")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.seek(0)
        holder = f.read().strip() or "a process that has not written its name yet"
        f.close()
        raise BuildRunning(f"{folder} is being built by another Snakemake run ({holder}); wait for it to end, or "
                           f"build into another folder: --config results=OTHER") from None
    f.seek(0)
    f.truncate()
    cmd = shlex.join(command if command is not None else sys.argv)
    f.write(f"pid {os.getpid()} on {socket.gethostname()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}: {cmd}\n")
    f.flush()
    _held.append(f)
    return path


def sweep_temporaries(results: str | os.PathLike, skip: tuple[str, ...] = ("compare",)) -> list[Path]:
    """Remove the temporary files killed jobs left (mlalab.io.atomic_path's `.{name}.*.tmp`) under the results
    folder, except under `skip` (a compare run writes there without the lock). Call only with the lock held."""
    folder = Path(results)
    removed = []
    for path in folder.rglob(".*.tmp"):
        rel = path.relative_to(folder).parts
        if rel[0] in skip or not path.is_file():
            continue
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


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
