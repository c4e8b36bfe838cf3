"""The one job runner every rule's script goes through: `run(snakemake, body)`.

It gives the body its parameters by keyword (`snakemake.params`, plus `inputs`, `outputs`, `threads`, `log`
and, where the rule passes `device`, the resolved torch device), pins torch's threads to the job's Snakemake
threads, writes progress lines to the rule's `log:` file, and writes the body's returned record atomically
to the rule's `record` output (or its only JSON output). A body that fails inside a *record* job (training,
timing, counting: one point of the lab) because of the configuration leaves a record with status 'failed',
the reason and its arguments, so the other jobs and the report go on; any other job fails loudly. A failure
of the machine (out of memory, no GPU for `device: cuda`, a CUDA error, any OSError: a full disk, an I/O error,
a read-only or unwritable folder, a damaged input file: `is_machine_failure`) is never recorded: the job fails and keeps no output, so the next plain run retries it.

Jobs end with their build. Snakemake runs a script job as its child process; if Snakemake itself is killed
(`kill -9`), the job went on under PID 1 and still wrote its outputs. The Snakefile names the build in the
environment every job inherits (`mark_build`: MLALAB_BUILD, the host, pid and start time of the Snakemake
process), and `run` watches it (`watch_build`): when the build is gone the job is interrupted (its temporary file
removed) and, if it does not stop within seconds, killed. Its direct parent dying ends it too (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import ctypes
import inspect
import os
import signal
import socket
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Callable

from mlalab.io import write_json
from mlalab.isolation import CoresBusy, allowed_cores, claim_cores, register_job


class JobLog:
    """Progress lines for a job's `log:` file: timestamped, flushed at once, also echoed to stderr."""

    def __init__(self, path: str | Path | None):
        self.t0 = time.perf_counter()
        self.file = None
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.file = open(path, "a", buffering=1)

    def __call__(self, message: str) -> None:
        line = f"[{time.strftime('%H:%M:%S')} +{time.perf_counter() - self.t0:7.1f}s] {message}"
        if self.file:
            self.file.write(line + "\n")
        print(line, file=sys.stderr, flush=True)

    def file_only(self, message: str) -> None:
        """A line for the log file alone (machine-read, not progress)."""
        if self.file:
            self.file.write(f"[{time.strftime('%H:%M:%S')} +{time.perf_counter() - self.t0:7.1f}s] {message}\n")

    def exception(self, exc: BaseException) -> str:
        """Log the traceback; return the one-line reason that goes into the failure record."""
        self("".join(traceback.format_exception(exc)).rstrip())
        return failure_reason(exc)


# The package files a job really imported, written to its log: the workflow tests check them against the code
# inputs its rule declares (mlalab.plan.deps reads the imports from the source; this is what Python loaded).
IMPORTED = "imported package files:"


def imported_modules() -> list[str]:
    """Files of the mlalab package loaded in this process, relative to the repository (`mlalab/io.py`)."""
    root = Path(__file__).resolve().parent.parent
    out = set()
    for m in list(sys.modules.values()):
        f = getattr(m, "__file__", None)
        if f and (m.__name__ == "mlalab" or m.__name__.startswith("mlalab.")):
            p = Path(f).resolve()
            if p.name != "__init__.py":
                out.add(str(p.relative_to(root)))
    return sorted(out)


class MachineFailure(RuntimeError):
    """The machine cannot run the job as configured (e.g. `device: cuda` where no GPU is visible)."""


# CUDA: torch.OutOfMemoryError "CUDA out of memory"; CPU: RuntimeError "DefaultCPUAllocator: can't allocate
# memory ... (Cannot allocate memory)" -- both are out of memory.
_OOM_WORDS = ("out of memory", "can't allocate memory", "cannot allocate memory")
# torch's CUDA runtime errors ("CUDA error: ...", "CUDA driver", cuBLAS/cuDNN/NCCL status): the device failed.
_DEVICE_WORDS = ("cuda error", "cuda driver", "cublas_status", "cudnn_status", "nccl error", "no cuda gpus",
                 "found no nvidia driver", "device-side assert")


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else ""


def is_out_of_memory(exc: BaseException) -> bool:
    return isinstance(exc, (MemoryError, _torch_oom())) or any(w in _first_line(exc).lower() for w in _OOM_WORDS)


def is_machine_failure(exc: BaseException) -> bool:
    """A failure of the environment, not of the configuration: out of memory, no GPU for `device: cuda`, a CUDA
    error, or any OSError (ENOSPC, EIO, EROFS, a PermissionError on a folder, a damaged file: mlalab.io.DamagedFile),
    also when raised `from` one. Such a failure must not be cached as a result: the job fails (no output kept),
    so the next plain run retries it. Anything else (e.g. the lab's own ValueError for an impossible batch size)
    is the config's."""
    text = str(exc).lower()
    return (isinstance(exc, (MachineFailure, CoresBusy, OSError)) or is_out_of_memory(exc)
            or any(w in text for w in _DEVICE_WORDS)
            or (exc.__cause__ is not None and is_machine_failure(exc.__cause__)))


def failure_reason(exc: BaseException) -> str:
    text = _first_line(exc)
    if is_out_of_memory(exc):
        return f"out of memory: {type(exc).__name__}: {text}"[:300]
    return f"{type(exc).__name__}: {text}"[:300]


def _torch_oom() -> tuple[type, ...]:
    torch = sys.modules.get("torch")
    return (torch.OutOfMemoryError,) if torch is not None and hasattr(torch, "OutOfMemoryError") else ()


def set_threads(threads: int) -> int:
    """Pin torch's intra-op threads to the job's Snakemake threads, never more than the cores this process
    may use (`--cores 4` on a 2-core box must not oversubscribe)."""
    import os

    import torch

    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    torch.set_num_threads(max(1, min(int(threads), available)))
    return torch.get_num_threads()


def resolve_device(device: str):
    import torch

    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise MachineFailure("device: cuda was asked for, but torch.cuda.is_available() is False on this machine")
    if device not in ("cpu", "cuda"):
        raise ValueError(f"device must be auto, cpu or cuda, got {device!r}")
    return torch.device(device)


def _record_path(outputs) -> str | None:
    keys = list(outputs.keys()) if hasattr(outputs, "keys") else []
    if "record" in keys:
        return outputs.record
    jsons = [str(p) for p in outputs if str(p).endswith(".json")]
    return jsons[0] if len(jsons) == 1 else None


def _scalars(params: dict) -> dict:
    return {k: v for k, v in params.items() if isinstance(v, (int, float, str, bool))}


# How long a timed job waits for cores that another build on the machine holds before it gives up (recording
# nothing, so the next run retries it): a latency series or a training epoch of the other build ends well before.
CORE_WAIT_S = 1800.0


def _pin(timed: dict | None, mode: str, threads: int, log: JobLog) -> list[int]:
    """Claim cores as `timing.isolation` says (mlalab.isolation). A timed job (`timed`: its rule's `isolation`
    param, {mode, threads, whole_machine}) waits for its cores and, pinned and whole_machine, holds them all;
    any other torch job takes what is free."""
    if not timed:
        return claim_cores(threads)
    want = timed["threads"]   # as written: a count, or `all` (every core the job was given)
    n = threads if want == "all" else max(1, min(int(want), threads))
    hold = len(allowed_cores()) if mode == "pinned" and timed["whole_machine"] else n
    return claim_cores(n, hold=hold, wait_s=CORE_WAIT_S, log=log)


def execute(body: Callable[..., dict | None], params: dict, *, inputs=(), outputs=(), threads: int = 1,
            log: JobLog | None = None, record_failures: bool = False, isolation: str | None = None,
            job: str | None = None) -> dict | None:
    """Run `body` with what it asks for by name; write its record (see module doc). Returns the record.
    `isolation`: the build's `timing.isolation` for a torch job that is not timed; a timed job's own (its
    `isolation` param, as the workflow resolved it) wins; None (a call outside a build): no core is claimed.
    `job` names the job in the machine's register of running jobs (what a measurement records beside it)."""
    log = log or JobLog(None)
    if job:
        register_job(job)
    wanted = inspect.signature(body).parameters
    context = {"inputs": inputs, "outputs": outputs, "log": log, "threads": threads}
    record_path = _record_path(outputs)
    # Timed rules pass their isolation as a param (it shapes their figures); other torch jobs are pinned too
    # under `pinned`/`shared`, so they never share a core with a timed job (mlalab.isolation).
    timed = params.get("isolation")   # only timed rules have this param
    isolation = timed["mode"] if timed else isolation
    cores = None
    try:
        kwargs = {k: v for k, v in {**params, **context}.items() if k in wanted}
        if "torch" in sys.modules:  # a torch job (its body's module imports torch): pin its threads first
            if isolation in ("pinned", "shared"):
                cores = _pin(timed, isolation, threads, log)
                log(f"pinned to core(s) {cores}" if cores else "no free core: running unpinned (not a timed job)")
                threads = max(1, len(cores))
            threads = set_threads(threads)
            kwargs.update({k: v for k, v in (("threads", threads),) if k in wanted})
        if "device" in wanted:
            kwargs["device"] = resolve_device(params["device"])
        log(f"{body.__module__}.{body.__name__}({', '.join(f'{k}={v}' for k, v in _scalars(params).items())})"
            f", {threads} thread(s)")
        t0 = time.perf_counter()
        record = body(**kwargs)
        log(f"done in {time.perf_counter() - t0:.1f}s")
        log.file_only(f"{IMPORTED} {' '.join(imported_modules())}")
    except Exception as e:  # noqa: BLE001 - a record job's failure of the config is a row of the lab
        if is_machine_failure(e):
            log.exception(e)
            log("a failure of the machine, not of the config: nothing is recorded, the next run retries this job")
            raise
        if not (record_failures and record_path):
            log.exception(e)
            raise
        record = {**_scalars(params), "status": "failed", "error": log.exception(e)}
    if isinstance(record, dict) and record_path:
        if "isolation" in params:   # how the job shared the machine, beside its figures
            record.update(isolation=isolation, cores=cores)
        record.setdefault("status", "ok")
        record.setdefault("error", None)
        write_json(record_path, record)
    return record


def run(smk, body: Callable[..., dict | None], record_failures: bool = False) -> dict | None:
    """Entry point of every scripts/*.py: `run(snakemake, body)`. The job ends if its build ends first
    (watch_build): a killed Snakemake leaves no job writing behind it."""
    params = {k: getattr(smk.params, k) for k in smk.params.keys()}
    job = " ".join([smk.rule, *(str(v) for v in smk.wildcards)]) + f" [{smk.config['results']}]"
    log = JobLog(smk.log[0] if smk.log else None)
    watch_build(log)
    return execute(body, params, inputs=smk.input, outputs=smk.output, threads=smk.threads,
                   log=log, record_failures=record_failures,
                   isolation=smk.config["timing"]["isolation"], job=job)


BUILD = "MLALAB_BUILD"   # host:pid:start of the Snakemake process a job belongs to


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (/proc/PID/stat field 22): a pid with the same start
    time is the same process, not a later one given the same number."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _describe(pid: int) -> str | None:
    start = _start_time(pid)
    return f"{socket.gethostname()}:{pid}:{start}" if start else None


def _alive(value: str | None) -> bool:
    """Whether `value` (BUILD's host:pid:start) names a running process of this host."""
    try:
        host, pid, start = (value or "").split(":")
        return host == socket.gethostname() and _start_time(int(pid)) == start
    except ValueError:
        return False


def mark_build(environ=os.environ) -> None:
    """Name this Snakemake process as the build its jobs belong to, unless the environment already names a
    running one on this host (an enclosing build). Without /proc (not Linux) nothing is named or watched."""
    if not _alive(environ.get(BUILD)):
        me = _describe(os.getpid())
        if me:
            environ[BUILD] = me


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)   # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


class BuildGone(BaseException):
    """Raised in a job's main thread when its build has ended: not an Exception, so no job records it."""


def _build_gone(signum, frame):
    raise BuildGone("the Snakemake run that started this job has ended")


def watch_build(log: Callable[[str], None] | None = None, interval_s: float = 1.0, grace_s: float = 10.0,
                environ=os.environ) -> threading.Thread | None:
    """In a job: end this process when the build named in the environment ends (see the module doc)."""
    _die_with_parent()
    build = environ.get(BUILD)
    if not _alive(build) or threading.current_thread() is not threading.main_thread():
        return None
    main = threading.main_thread().ident
    signal.signal(signal.SIGUSR1, _build_gone)   # a handler runs in the main thread: only it can raise there

    def watch():
        while _alive(build):
            time.sleep(interval_s)
        if log:
            log(f"the Snakemake run that started this job ({build}) has ended: stopping, writing nothing")
        # a signal aimed at the main thread interrupts its sleep or wait; the handler raises BuildGone there,
        # so atomic writes remove their temporary file on the way out
        signal.pthread_kill(main, signal.SIGUSR1)
        time.sleep(grace_s)
        os.kill(os.getpid(), signal.SIGKILL)   # still busy in one long C call: end it anyway

    thread = threading.Thread(target=watch, name="mlalab-watch-build", daemon=True)
    thread.start()
    return thread
