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


def config_fingerprint(config: dict) -> str:
    return hashlib.sha256(canonical_config(config).encode("utf-8")).hexdigest()


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

    return {"wall_s": num("s"), "max_rss_mib": num("max_rss")}


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


def collect(config: dict, benchmark_dir: str | os.PathLike | None = None, device_used: str | None = None,
            threads=None, repo: str | os.PathLike = ".") -> dict:
    import yaml

    commit, dirty = git_commit(repo)
    jobs = job_times(benchmark_dir) if benchmark_dir else []
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
        "jobs_total_s": sum(j["wall_s"] or 0 for j in jobs),
    }
