"""Failures that lose nothing: what the config makes impossible is refused before any job; a failure of the
machine is not cached (the next plain run retries it); a job killed mid-way leaves no output a later step would read as valid, and only that job is
redone; the same config and seed on CPU give identical parameters, MACs and accuracy."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import smk

from mlalab.plan.config import expand
from mlalab.plan.schema import validate

QUICK = smk.QUICK

IMPOSSIBLE_BATCH = 60_000           # more than the quick config's 2,000 training images, within the schema's bound


def _quick_config(work: Path) -> dict:
    cfg = smk.read_yaml(work / "config.yaml")
    for k, v in smk.read_yaml(work / "config.quick.yaml").items():
        cfg[k] = {**cfg[k], **v} if isinstance(v, dict) and isinstance(cfg.get(k), dict) else v
    return cfg


# ---- pipeline level ---------------------------------------------------------------------------------------

def test_an_impossible_batch_size_is_refused_before_any_job(tmp_path):
    """A batch larger than the training subset is known from the config: refused at plan time, naming the key
    and the files merged (it used to be found only after training and timing it). The check itself is unit-tested
    (test_checks.py); this is the Snakefile calling it, on a fresh copy: no build needed."""
    work = smk.copy_pipeline(tmp_path / "work")
    exps = _quick_config(work)["experiments"]
    overlay = smk.write_yaml(work / "overlay.yaml", {"experiments": {
        "part1a": {"batch_sizes": [*exps["part1a"]["batch_sizes"], IMPOSSIBLE_BATCH]}}})
    run = smk.snakemake(work, "-n", "--cores", "1", *QUICK, str(overlay), timeout=600)
    assert run.returncode != 0
    k = len(exps["part1a"]["batch_sizes"])
    assert (f"experiments.part1a.batch_sizes[{k}]: {IMPOSSIBLE_BATCH} is larger than the 2,000 training images "
            "(data.train_subset: 2000)") in run.out, run.out[-3000:]
    assert "config.yaml + config.quick.yaml + overlay.yaml is invalid" in run.out, run.out[-3000:]


def test_a_failure_of_the_machine_is_not_cached_and_the_next_plain_run_retries_it(built, tmp_path, monkeypatch):
    """`device: cuda` on a node without a visible GPU: the timing job fails (non-zero exit, no record kept) instead
    of caching `status: failed`; once the machine is fixed, the next plain run redoes exactly that job."""
    work = smk.copy_built(built, tmp_path / "work")
    record = sorted((work / "results" / "quick" / "latency").glob("mlp-*/fp32-bs*.json"))[0]
    target = str(record.relative_to(work))
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")          # no GPU visible to the job (env_for copies os.environ)
    run = smk.snakemake(work, target, "--force", "--cores", "1", *QUICK, "--config", "device=cuda", timeout=600)
    assert run.returncode != 0, run.out[-3000:]
    assert "device: cuda was asked for" in run.out and "the next run retries this job" in run.out, run.out[-3000:]
    assert not record.exists()
    model, (variant, batch) = record.parent.name, record.stem.split("-bs")
    key = f"latency[batch={batch},model={model},variant={variant}]"
    assert key in smk.dry_run(work, *QUICK)                  # the plain run plans it again
    smk.snakemake(work, target, "--cores", "1", *QUICK, timeout=600).check()
    assert json.loads(record.read_text())["status"] == "ok"


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d.name))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def test_sigkill_during_training_loses_nothing_and_only_that_job_is_redone(built, tmp_path):
    work = smk.copy_built(built, tmp_path / "work")
    cfg = _quick_config(work)
    lab = expand(validate(copy.deepcopy(cfg)))
    # The slowest training of the lab (batch size 1), so it is surely mid-way when killed.
    run_id = min(lab.runs, key=lambda r: (lab.runs[r]["batch_size"], lab.runs[r]["kind"] != "cnn"))
    rdir = work / "results" / "quick" / "runs" / run_id
    log = work / "results" / "quick" / "logs" / "train" / f"{run_id}.log"
    metrics = rdir / "metrics.json"
    before = metrics.read_text()

    log.unlink()                           # Snakemake may recreate it; wait for the new run's own lines
    proc = subprocess.Popen([*smk.SNAKEMAKE, str(metrics.relative_to(work)), "--force", "--nocolor",
                             "--cores", "1", *QUICK],
                            cwd=work, env=smk.env_for(work), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.time() + 600
        while time.time() < deadline:     # wait until the new training has loaded its data and started
            if log.exists() and "data:" in log.read_text():
                break
            assert proc.poll() is None, "snakemake ended before training started"
            time.sleep(0.2)
        else:
            pytest.fail("training never started")
        time.sleep(1.0)
        assert proc.poll() is None, "training finished before it could be killed; pick a slower run"
        victims = [proc.pid, *_descendants(proc.pid)]
        for pid in victims:                # SIGKILL: snakemake and the job, nobody gets to clean up
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)

    # No half-written outputs: the run's outputs are either gone or exactly the old, complete files.
    for out in (metrics, rdir / "model.pt"):
        assert not out.exists() or (out == metrics and out.read_text() == before), out
    for p in rdir.iterdir():
        if p.name.endswith(".tmp"):
            assert p.name.startswith("."), p    # temp files are hidden and never named like an output

    # Snakemake left its incomplete markers; asking for that run again redoes exactly that train job.
    # (The default target needs nothing: the tables built from the earlier, complete run are still valid.)
    smk.snakemake(work, "--unlock", "--cores", "1", *QUICK).check()
    assert list((work / ".snakemake" / "incomplete").iterdir()), "no incomplete markers after SIGKILL"
    target = str(metrics.relative_to(work))
    assert smk.dry_run(work, target, *QUICK, "--rerun-incomplete") == {f"train[run={run_id}]"}
    smk.snakemake(work, target, "--cores", "2", *QUICK, "--rerun-incomplete", timeout=1800).check()
    # The redone run is newer than the tables built from it: what is left is exactly its aggregates.
    train = f"train[run={run_id}]"
    assert smk.dry_run(work, *QUICK) == smk.Dag(work, *QUICK).with_downstream({train}) - {train}
    after = json.loads(metrics.read_text())
    assert after["status"] == "ok"


def test_same_config_and_seed_on_cpu_give_identical_results(built, tmp_path):
    work = smk.copy_built(built, tmp_path / "work")
    cfg = _quick_config(work)
    lab = expand(validate(copy.deepcopy(cfg)))
    run_id = next(r for r, s in lab.runs.items() if s["kind"] == "cnn" and s["batch_size"] >= 32)
    model_id = lab.runs[run_id]["model_id"]
    R = work / "results" / "quick"
    metrics, profile = R / "runs" / run_id / "metrics.json", R / "models" / model_id / "profile.json"
    m0, p0 = json.loads(metrics.read_text()), json.loads(profile.read_text())
    assert m0["status"] == "ok"
    assert m0.get("determinism", {}).get("seed") == lab.runs[run_id]["seed"], m0.get("determinism")

    t0 = (metrics.stat().st_mtime_ns, profile.stat().st_mtime_ns)
    run = smk.snakemake(work, str(metrics.relative_to(work)), str(profile.relative_to(work)), "--force",
                        "--cores", "1", *QUICK, timeout=1800).check()
    assert (metrics.stat().st_mtime_ns, profile.stat().st_mtime_ns) != t0 and "rule train" in run.out, \
        "the train and profile jobs did not run again"
    assert metrics.stat().st_mtime_ns != t0[0] and profile.stat().st_mtime_ns != t0[1]
    m1, p1 = json.loads(metrics.read_text()), json.loads(profile.read_text())
    assert m1["environment"]["device"] == "cpu"
    for key in ("params_total", "params_trainable", "accuracy", "test_loss"):
        assert m1[key] == m0[key], (key, m0[key], m1[key])
    for key in ("params_total", "param_bytes", "macs_per_sample", "macs_per_layer"):
        assert p1[key] == p0[key], key
    assert m1["determinism"] == m0["determinism"]
