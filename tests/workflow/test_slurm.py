"""The quick configuration's tables, built through Snakemake's SLURM executor on a real (local) SLURM cluster.

Needs the private cluster of tests/slurm/ (`tests/slurm/with-cluster.sh python3 -m pytest -m slurm` starts and
stops it; .ci/run does so).  The run uses the repo's profiles/slurm with only what a user edits changed
(partition, account) plus what this tiny cluster needs: status by squeue (no accounting daemon, so no sacct),
a short first status check, and one thread per timed job on a 2-core node.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import smk

pytestmark = pytest.mark.slurm

# One experiment's tables: mnist + 3 x (train, latency, profile) + the table job, all as SLURM jobs.
EXPERIMENT = "part1b"
HARD_TIMEOUT_S = int(os.environ.get("MLALAB_SLURM_TEST_TIMEOUT", "1500"))


def _cluster_or_skip() -> None:
    if os.environ.get("MLALAB_SLURM") != "1" or not os.environ.get("SLURM_CONF"):
        pytest.skip("no local SLURM cluster: run under tests/slurm/with-cluster.sh (sets MLALAB_SLURM=1, SLURM_CONF)")
    if not shutil.which("sbatch"):
        pytest.skip("MLALAB_SLURM=1 but sbatch is not installed")
    ping = subprocess.run(["scontrol", "ping"], capture_output=True, text=True)
    if "UP" not in ping.stdout:
        pytest.fail(f"MLALAB_SLURM=1 but the controller does not answer: {ping.stdout}{ping.stderr}")


def _node() -> tuple[str, int, int]:
    """Default partition, CPUs and memory (MB) of the test cluster."""
    part = subprocess.run(["sinfo", "-h", "-o", "%P"], capture_output=True, text=True, check=True).stdout.split()
    default = next((p.rstrip("*") for p in part if p.endswith("*")), part[0])
    cpus, mem = subprocess.run(["sinfo", "-h", "-N", "-o", "%c %m"], capture_output=True, text=True,
                               check=True).stdout.split()[:2]
    return default, int(cpus), int(mem)


def _test_profile(dest: Path) -> Path:
    """profiles/slurm as a user would edit it for this cluster (partition, account), plus test-only settings."""
    prof = smk.read_yaml(smk.REPO / "profiles" / "slurm" / "profile.yaml")
    partition, cpus, mem = _node()
    prof["default-resources"].update(slurm_partition=partition, slurm_account="mlalab-test")
    # Everything must fit this one small node, or sbatch refuses the job.
    for res in prof.get("set-resources", {}).values():
        if "mem_mb" in res:
            res["mem_mb"] = min(int(res["mem_mb"]), mem // 2)
    prof["default-resources"]["mem_mb"] = min(int(prof["default-resources"]["mem_mb"]), mem // 2)
    prof["cores"] = 1
    prof["set-threads"] = {rule: 1 for rule in prof.get("set-threads", {})}
    prof["jobs"] = cpus
    prof["latency-wait"] = 10
    prof["slurm-status-command"] = "squeue"                   # no slurmdbd here: sacct would fail
    prof["slurm-init-seconds-before-status-checks"] = 2
    prof["slurm-keep-successful-logs"] = True
    dest.mkdir(parents=True)
    smk.write_yaml(dest / "profile.yaml", prof)
    return dest


def _scontrol_state(jobid: str) -> str | None:
    out = subprocess.run(["scontrol", "show", "job", jobid], capture_output=True, text=True).stdout
    m = re.search(r"JobState=(\S+)", out)
    return m.group(1) if m else None


def test_quick_tables_through_slurm_executor(tmp_path):
    _cluster_or_skip()
    mnist = smk.mnist_dir()
    work = smk.copy_pipeline(tmp_path / "work")
    profile = _test_profile(tmp_path / "profile")
    results = "results/quick"
    targets = [f"{results}/tables/{EXPERIMENT}.csv", f"{results}/tables/{EXPERIMENT}_layers.csv"]

    t0 = time.perf_counter()
    try:
        run = smk.snakemake(work, *targets, "--profile", str(profile), "--configfile", "config.quick.yaml",
                            "--config", f"mnist_dir={mnist}", f"results={results}", timeout=HARD_TIMEOUT_S)
    finally:
        # Whatever happened, leave no job of this test queued or running.
        left = subprocess.run(["squeue", "-h", "-o", "%i"], capture_output=True, text=True).stdout.split()
        if left:
            subprocess.run(["scancel", *left])
    elapsed = time.perf_counter() - t0
    print(f"SLURM build of {EXPERIMENT} (quick) took {elapsed:.0f}s")
    (tmp_path / "snakemake.log").write_text(run.out)
    run.check()

    for t in targets:
        assert (work / t).stat().st_size > 0, t

    # Every job Snakemake ran (but the `all`-style target) went through sbatch and got a SLURM job id.
    jobs = {int(j["jobid"]): j["rule"] for j in smk.parse_jobs(run.out) if j["rule"] != "all"}
    submitted = {int(j): (sid, log) for j, sid, log in
                 re.findall(r"Job (\d+) has been submitted with SLURM jobid (\d+) \(log: (.*?)\)\.", run.out)}
    assert jobs, run.out[-3000:]
    assert set(jobs) == set(submitted), f"jobs not submitted to SLURM: {set(jobs) - set(submitted)}"
    rules = sorted(set(jobs.values()))
    assert {"train", "latency", "profile", "experiment_table"} <= set(rules), rules

    # The table job's SLURM log exists, names its SLURM job and shows the job finished there.
    (table_jid,) = [j for j, r in jobs.items() if r == "experiment_table"]
    slurm_id, log = submitted[table_jid]
    text = Path(log).read_text()
    assert f"tables/{EXPERIMENT}.csv" in text and "Finished job" in text, text[-2000:]
    assert _scontrol_state(slurm_id) in ("COMPLETED", None)   # None: already purged (MinJobAge)
    # ...and the train/latency jobs really ran inside SLURM allocations: their logs sit under SLURM job ids.
    for j, rule in jobs.items():
        sid, log = submitted[j]
        assert Path(log).name == f"{sid}.log" and Path(log).exists(), (rule, log)
