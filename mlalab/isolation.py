"""How a timed job shares the machine (config `timing.isolation`), recorded with every figure.

* exclusive: a timed job takes every core Snakemake was given, so nothing runs beside it (the default the
  lab was built with: the quietest figures, the longest wall time);
* pinned: a timed job takes `timing.threads` cores (default 1) and pins itself to that many cores of its own
  (os.sched_setaffinity), so two timed jobs on a 2-core machine run side by side without sharing a core.

A job claims its cores with one lock file per core (fcntl.flock, released by the kernel when the job ends or is
killed), so side-by-side jobs never pick the same core; torch's threads are set to the cores it holds.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path

LOCK_DIR = Path(os.environ.get("MLALAB_CORE_LOCKS", Path(tempfile.gettempdir()) / "mlalab-cores"))
_held: list = []   # open lock files: the claim lasts as long as the process


def allowed_cores() -> list[int]:
    return sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else list(range(os.cpu_count() or 1))


def claim_cores(n: int) -> list[int]:
    """Lock `n` free cores of this process's allowed set (non-blocking, first free first) and pin the process
    to them. Returns the cores; fewer than `n` (possibly none) when other jobs hold the rest."""
    LOCK_DIR.mkdir(parents=True, exist_ok=True)
    got = []
    for core in allowed_cores():
        if len(got) == n:
            break
        f = open(LOCK_DIR / f"core{core}.lock", "w")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.close()
            continue
        _held.append(f)
        got.append(core)
    if got and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, got)
    return got


def timed_threads(isolation: str, cores: int, threads: int = 1) -> int:
    """Threads (= Snakemake cores) a timed rule asks for: all of them when exclusive, `threads` when pinned."""
    if isolation == "exclusive":
        return cores
    if isolation == "pinned":
        return max(1, min(int(threads), cores))
    raise ValueError(f"timing.isolation must be exclusive or pinned, got {isolation!r}")


def cluster_executor(argv: list[str], environ) -> bool:
    """Whether this Snakemake invocation submits jobs to a cluster (`--executor X` / `-e X`, or a profile whose
    `executor:` is not local), read from the command line because the executor is not known yet while the
    workflow is parsed. A cluster job is an allocation of its own: pinning is for local runs."""
    import yaml

    def value(flag_names):
        for i, a in enumerate(argv):
            for f in flag_names:
                if a == f and i + 1 < len(argv):
                    return argv[i + 1]
                if a.startswith(f + "="):
                    return a.split("=", 1)[1]
        return None

    executor = value(("--executor", "-e"))
    if executor is None:
        profile = value(("--profile",)) or environ.get("SNAKEMAKE_PROFILE")
        if profile:
            for name in ("profile.yaml", "config.yaml"):
                path = Path(profile) / name
                if path.is_file():
                    executor = (yaml.safe_load(path.read_text()) or {}).get("executor")
                    break
    return executor not in (None, "local", "dryrun", "touch")
