"""Provenance of a run: versions, CPU, GPU, git commit, config fingerprint, and per-job wall time."""

from __future__ import annotations

import csv
import datetime as _dt
import hashlib
import importlib.metadata
import json
import os
import platform
import subprocess
from pathlib import Path

PACKAGES = ["torch", "torchvision", "transformers", "snakemake", "thop", "onnx", "numpy", "pandas",
            "matplotlib", "jinja2", "weasyprint"]


def canonical_config(config: dict) -> str:
    """The configuration as canonical JSON: sorted keys, no whitespace, so equal configs hash equally."""
    return json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)


# where the folder and MNIST live and which folders a later comparison reads are no settings of the lab: two
# folders built from the same lab (here and on a cluster) have the same fingerprint
NOT_SETTINGS = ("results", "mnist_dir", "compare")


def config_fingerprint(config: dict) -> str:
    """The one fingerprint of a lab configuration (the report's appendix and machine.json both print it):
    SHA-256 of its canonical JSON, leaving out NOT_SETTINGS, so any rule's copy of the config gives the same."""
    settings = {k: v for k, v in config.items() if k not in NOT_SETTINGS}
    return hashlib.sha256(canonical_config(settings).encode("utf-8")).hexdigest()


def versions(packages=PACKAGES) -> dict:
    out = {}
    for name in packages:
        pkg = "thop" if name == "thop" else name
        try:
            out[name] = importlib.metadata.version(pkg if pkg != "thop" else "thop")
        except importlib.metadata.PackageNotFoundError:
            try:
                out[name] = importlib.metadata.version("ultralytics-thop") if name == "thop" else "not installed"
            except importlib.metadata.PackageNotFoundError:
                out[name] = "not installed"
    return out


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def gpu_name() -> str | None:
    try:
        import torch

        if torch.cuda.is_available():
            return ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
    except Exception:  # noqa: BLE001 - provenance must never fail the report
        return None
    return None


def git_commit(cwd: str | os.PathLike = ".") -> tuple[str | None, bool]:
    """(commit hash, dirty?) of the working tree, or (None, False) outside git."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True,
                                check=True, timeout=20).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                               capture_output=True, text=True, timeout=20).stdout.strip() != ""
        return commit, dirty
    except (OSError, subprocess.SubprocessError):
        return None, False


def read_benchmark(path: str | os.PathLike) -> dict | None:
    """Snakemake `benchmark:` TSV (columns s, h:m:s, max_rss, ...): the wall time of the job's first row."""
    try:
        with open(path, newline="") as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
    except OSError:
        return None
    if not rows:
        return None
    row = rows[0]

    def num(key):
        try:
            return float(row.get(key, "nan"))
        except (TypeError, ValueError):
            return None

    wall = num("s")
    end = Path(path).stat().st_mtime   # Snakemake writes the file when the job ends
    return {"wall_s": wall, "max_rss_mib": num("max_rss"), "end": end, "start": end - (wall or 0.0)}


def job_times(benchmark_dir: str | os.PathLike) -> list[dict]:
    """Every benchmark file under `benchmark_dir` (layout {rule}/{job}.tsv), sorted by rule then job."""
    root = Path(benchmark_dir)
    out = []
    if not root.is_dir():
        return out
    for path in sorted(root.rglob("*.tsv")):
        rec = read_benchmark(path)
        if rec is None:
            continue
        rel = path.relative_to(root)
        rule = rel.parts[0] if len(rel.parts) > 1 else path.stem
        job = str(rel.with_suffix("")).split("/", 1)[-1] if len(rel.parts) > 1 else path.stem
        out.append({"rule": rule, "job": job, **rec})
    return out


# Jobs of one build follow each other with at most this idle gap; an older benchmark file (a job of an earlier
# build whose output is still valid, or of a configuration since changed back) is not part of this build.
BUILD_GAP_S = 300.0


def this_build(jobs: list[dict], now: float | None = None) -> list[dict]:
    """The jobs of the latest build: the run of jobs, going back from now, with no idle gap over BUILD_GAP_S."""
    ordered = sorted(jobs, key=lambda j: j["end"], reverse=True)
    out, frontier = [], now if now is not None else max((j["end"] for j in jobs), default=0.0)
    for j in ordered:
        if frontier - j["end"] > BUILD_GAP_S:
            break
        out.append(j)
        frontier = min(frontier, j["start"])
    return sorted(out, key=lambda j: (j["rule"], j["job"]))


def build_times(jobs: list[dict], now: float) -> dict:
    """Wall time of the build up to `now` (the report job), the sum of its jobs' times, and the difference:
    what parallel jobs saved (negative) or what scheduling and start-up between jobs cost (positive)."""
    if not jobs:
        return {}
    wall = now - min(j["start"] for j in jobs)
    total = sum(j["wall_s"] or 0 for j in jobs)
    return {"build_wall_s": wall, "build_jobs_s": total, "build_overhead_s": wall - total,
            "build_jobs": len(jobs)}


def collect(config: dict, benchmark_dir: str | os.PathLike | None = None, device_used: str | None = None,
            threads=None, repo: str | os.PathLike = ".") -> dict:
    import time

    import yaml

    commit, dirty = git_commit(repo)
    now = time.time()
    on_disk = job_times(benchmark_dir) if benchmark_dir else []
    jobs = this_build(on_disk, now)
    return {
        "generated": _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "config_sha256": config_fingerprint(config),
        "config_text": yaml.safe_dump(config, sort_keys=False),
        "versions": versions(),
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.release()} ({platform.machine()})",
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "gpu": gpu_name(),
        "device_used": device_used,
        "threads": threads,
        "git_commit": commit,
        "git_dirty": dirty,
        "jobs": jobs,
        "jobs_earlier": len(on_disk) - len(jobs),   # up to date from earlier builds: nothing of theirs reran
        "jobs_total_s": sum(j["wall_s"] or 0 for j in jobs),
        **build_times(jobs, now),
    }
