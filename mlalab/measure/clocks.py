"""The clocks a timed series reads (mlalab.measure.timing): `time.perf_counter` around each call (with a
`torch.cuda.synchronize()` after it on a GPU, `timing.cuda_timer: sync`), or CUDA events recorded around each call
and read only when the series needs its samples (`events`, the default on a GPU). Each has a `name`, the
record's `timing_clock`."""

from __future__ import annotations

import time
from typing import Callable

import torch


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class PerfClock:
    """`time.perf_counter` around each call; on CUDA a `torch.cuda.synchronize()` after it (timing_clock `sync`)."""

    def __init__(self, device: torch.device):
        self.device, self.done = device, []
        self.name = "perf_counter+synchronize" if device.type == "cuda" else "perf_counter"

    def call(self, fn: Callable[[], object]) -> None:
        t0 = time.perf_counter()
        fn()
        sync(self.device)
        self.done.append(time.perf_counter() - t0)

    def count(self) -> int:
        return len(self.done)

    def elapsed(self) -> float:
        """Seconds of timed calls so far (the budget and `min_time_s` count these)."""
        return sum(self.done)

    def samples(self) -> list[float]:
        return self.done


class EventClock:
    """A CUDA event before and after each call, read only when the samples are needed: calls queue on the
    stream as in a real inference loop (timing_clock `cuda_events`). `event` makes the events (tests pass a
    stand-in); elapsed time runs on the host clock meanwhile, for the budget."""

    name = "cuda_events"

    def __init__(self, device: torch.device, event: Callable[[], object] | None = None):
        self.device, self.pending, self.done = device, [], []
        self.event = event or (lambda: torch.cuda.Event(enable_timing=True))
        self.t0 = None

    def call(self, fn: Callable[[], object]) -> None:
        if self.t0 is None:
            self.t0 = time.perf_counter()
        start, end = self.event(), self.event()
        start.record()
        fn()
        end.record()
        self.pending.append((start, end))

    def count(self) -> int:
        return len(self.done) + len(self.pending)

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0 if self.t0 is not None else 0.0

    def samples(self) -> list[float]:
        if self.pending:
            self.pending[-1][1].synchronize()
            self.done += [start.elapsed_time(end) / 1e3 for start, end in self.pending]   # ms -> s
            self.pending = []
        return self.done


def clock(device: torch.device, cuda_timer: str = "events"):
    """The clock of a series: CUDA events on a GPU unless `timing.cuda_timer: sync`, else perf_counter."""
    if cuda_timer not in ("events", "sync"):
        raise ValueError(f"timing.cuda_timer must be events or sync, got {cuda_timer!r}")
    return EventClock(device) if device.type == "cuda" and cuda_timer == "events" else PerfClock(device)
