"""How a timed job shares the machine (config `timing.isolation`, default and meaning in docs/config.md, from the
schema), recorded with every figure.

* pinned: a timed measurement (a latency series, the peak, ResNet18 Q1) holds the whole machine:
  Snakemake gives it every core, so no other job of the build runs beside it, and it locks every core against
  other builds on the machine; it computes on `timing.threads` of them (Part 3's networks on
  `part3.timing.threads`: `all` in config.yaml), pinned (os.sched_setaffinity). Why the whole machine: pinning a job to a core of its own separates cores, not the
  shared cache and memory bus, and a neighbour's streaming (another model's timing, a training epoch) once
  slowed a small CNN's calls twofold midway through its series. Why one thread on a held machine: measured
  in the full build, the MNIST models' sub-millisecond calls on two threads drifted (4 series still unstable
  after three tries, against none on one thread); the big models' calls of up to seconds gain 1.3x and are
  long enough not to drift, so they use every core. Training jobs (timed
  too: training time) take `timing.threads` pinned cores each and may run side by side with each other; their
  records say what ran beside them.
* shared: every timed job takes only its own `timing.threads` pinned cores, so latency series run side by side
  too (faster builds; the figures carry `beside_jobs`, and drift checks catch what that costs);
* exclusive: every timed job, training included, takes every core Snakemake was given.

A job claims its cores with one lock file per core (fcntl.flock, released by the kernel when the job ends or is
killed), so jobs never pick the same core; torch's threads are set to the cores it computes on. A timed job that
finds its cores taken (another build on the machine) waits for them rather than measure beside that build; if
they stay taken it fails as a fault of the machine, recording nothing, so a later run retries it.
Every job of any build also registers itself while it runs (`register_job`), so a measurement can name what ran
beside it (`running_jobs`).
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import time
from pathlib import Path
from typing import Callable

# One folder per user: a folder another user created (mode 0755) cannot take this user's lock files. Builds of two
# users on one machine therefore do not see each other's core locks (docs/faults.md).
LOCK_DIR = Path(os.environ.get("MLALAB_CORE_LOCKS", Path(tempfile.gettempdir()) / f"mlalab-cores-{os.getuid()}"))
_held: list = []   # open lock files: the claim lasts as long as the process


def allowed_cores() -> list[int]:
    return sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else list(range(os.cpu_count() or 1))


def _lock_free_cores(cores: list[int], n: int) -> list[int]:
    got = []
    for core in cores:
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
    return got


def _release(cores: list[int]) -> None:
    names = {str(LOCK_DIR / f"core{c}.lock") for c in cores}
    for f in [f for f in _held if f.name in names]:
        f.close()
        _held.remove(f)


def claim_cores(n: int, hold: int | None = None, wait_s: float = 0.0,
                log: Callable[[str], None] | None = None) -> list[int]:
    """Lock `hold` (default `n`) cores of this process's allowed set, first free first, and pin the process to
    `n` of them; returns those `n`. With `wait_s` > 0, wait up to that long for the cores other jobs hold
    (and raise CoresBusy if they stay taken); without, take what is free: fewer than `n`, possibly none."""
    LOCK_DIR.mkdir(parents=True, exist_ok=True)
    allowed = allowed_cores()
    want = min(max(n, hold or n), len(allowed))
    got = _lock_free_cores(allowed, want)
    deadline, said = time.monotonic() + wait_s, 0.0
    while len(got) < want and wait_s > 0:
        _release(got)   # all or nothing: two jobs each holding a core and waiting for the other's would deadlock
        if time.monotonic() > deadline:
            raise CoresBusy(f"{want} of the cores {allowed} stayed locked by other jobs for {wait_s:g} s "
                            f"(another build on this machine?): not measuring beside them")
        if log and time.monotonic() - said >= 30:
            log(f"waiting for {want} free core(s) of {allowed}; running: {'; '.join(running_jobs()) or '?'}")
            said = time.monotonic()
        time.sleep(0.5)
        got = _lock_free_cores(allowed, want)
    used = sorted(got)[:n]
    if used and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, used)
    return used


class CoresBusy(RuntimeError):
    """A timed job's cores stayed taken by other jobs: a fault of the machine's load, not of the config."""


def register_job(name: str) -> None:
    """Mark this process as a running job named `name` until it exits (a lock file the kernel releases)."""
    folder = LOCK_DIR / "jobs"
    folder.mkdir(parents=True, exist_ok=True)
    f = open(folder / f"{os.getpid()}.job", "w")
    fcntl.flock(f, fcntl.LOCK_EX)
    f.write(name)
    f.flush()
    _held.append(f)


def running_jobs() -> set[str]:
    """The names of the other jobs running now, of any build on this machine; stale entries are swept."""
    out = set()
    folder = LOCK_DIR / "jobs"
    if not folder.is_dir():
        return out
    for path in folder.glob("*.job"):
        if path.stem == str(os.getpid()):
            continue
        try:
            with open(path) as f:
                try:
                    fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
                except BlockingIOError:        # held: that job is running
                    out.add(f.read().strip() or path.stem)
                    continue
            path.unlink(missing_ok=True)        # lockable: its job has ended
        except OSError:
            continue
    return out


MODES = ("pinned", "shared", "exclusive")


def timed_threads(isolation: str, cores: int, threads: int | str = 1, whole_machine: bool = False) -> int:
    """Threads (= Snakemake cores) a timed rule asks for: all of them when exclusive, and when pinned for a job
    that holds the whole machine (`whole_machine`: latency, peak, Q1, which computes on `threads`); else
    `threads` (`all`: every core), never more than `cores`."""
    if isolation not in MODES:
        raise ValueError(f"timing.isolation must be one of {', '.join(MODES)}, got {isolation!r}")
    if isolation == "exclusive" or (isolation == "pinned" and whole_machine) or threads == "all":
        return cores
    return max(1, min(int(threads), cores))


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
