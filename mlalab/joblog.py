"""Progress lines for a job's Snakemake `log:` file: timestamped, flushed at once, also echoed to stderr."""

from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path


class JobLog:
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

    def exception(self, exc: BaseException) -> str:
        """Log the traceback; return the one-line reason that goes into the failure record."""
        self("".join(traceback.format_exception(exc)).rstrip())
        return failure_reason(exc)


def failure_reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    # CUDA: torch.OutOfMemoryError "CUDA out of memory"; CPU: RuntimeError "DefaultCPUAllocator: can't allocate
    # memory ... (Cannot allocate memory)" -- both are out of memory, recorded as such.
    oom_words = ("out of memory", "can't allocate memory", "cannot allocate memory")
    if isinstance(exc, (MemoryError, torch_oom())) or any(w in text.lower() for w in oom_words):
        return f"out of memory: {type(exc).__name__}: {text}"[:300]
    return f"{type(exc).__name__}: {text}"[:300]


def torch_oom() -> tuple[type, ...]:
    """torch.OutOfMemoryError where torch is already imported (this module does not import torch itself)."""
    torch = sys.modules.get("torch")
    return (torch.OutOfMemoryError,) if torch is not None and hasattr(torch, "OutOfMemoryError") else ()
