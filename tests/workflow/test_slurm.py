"""The quick configuration built through Snakemake's SLURM executor on a real (local) SLURM cluster, the way
README tells a user to: the shipped profiles/slurm with only the partition and the account edited, plus the one
line README says a cluster without accounting needs (`slurm-status-command: squeue`), checked first by the
preflight; and a profile asking more CPUs than the node has is refused by the preflight before any submission.

Needs the private cluster of tests/slurm/ (`tests/slurm/with-cluster.sh python3 -m pytest -m slurm` starts and
stops it; .ci/run does so).  It builds the whole quick report; MLALAB_SLURM_TARGET=part1b builds only that
experiment's tables (a few minutes instead of ~10).
"""

from __future__ import annotations

import collections
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import smk

from mlalab.cluster import slurm

pytestmark = pytest.mark.slurm

HARD_TIMEOUT_S = int(os.environ.get("MLALAB_SLURM_TEST_TIMEOUT", "2400"))
SUBMITTED = re.compile(r"Job (\S+) has been submitted with SLURM jobid (\d+) \(log: (.*?)\)\.")


def _cluster_or_skip() -> None:
    if os.environ.get("MLALAB_SLURM") != "1" or not os.environ.get("SLURM_CONF"):
        pytest.skip("no local SLURM cluster: run under tests/slurm/with-cluster.sh (sets MLALAB_SLURM=1, SLURM_CONF)")
    if not shutil.which("sbatch"):
        pytest.skip("MLALAB_SLURM=1 but sbatch is not installed")
    ping = subprocess.run(["scontrol", "ping"], capture_output=True, text=True)
    if "UP" not in ping.stdout:
        pytest.fail(f"MLALAB_SLURM=1 but the controller does not answer: {ping.stdout}{ping.stderr}")


ACTIVE = re.compile(r"\b(PENDING|RUNNING|CONFIGURING|COMPLETING)\b")


def _poll_states(job_ids: list[str], done, timeout_s: float) -> str:
    """`squeue` lines (id, state) of the jobs, polled until done(lines) or the timeout; the last lines."""
    deadline = time.monotonic() + timeout_s
    while True:
        states = subprocess.run(["squeue", "-h", "-t", "all", "-j", ",".join(job_ids), "-o", "%i %T"],
                                capture_output=True, text=True).stdout
        if done(states) or time.monotonic() > deadline:
            return states
        time.sleep(0.5)


def _default_partition() -> str:
    parts = subprocess.run(["sinfo", "-h", "-o", "%P"], capture_output=True, text=True, check=True).stdout.split()
    return next((p.rstrip("*") for p in parts if p.endswith("*")), parts[0])


def _user_profile(work: Path, **extra: str) -> Path:
    """profiles/slurm of the copy, edited as README says: partition, account, and the status command when `sacct`
    says accounting is disabled (uncommenting the line the profile ships)."""
    path = work / "profiles" / "slurm" / "profile.yaml"
    text = path.read_text()
    text = re.sub(r'slurm_partition: "[^"]*"', f'slurm_partition: "{_default_partition()}"', text, count=1)
    text = re.sub(r'slurm_account: "[^"]*"', 'slurm_account: "mlalab-test"', text, count=1)
    sacct = subprocess.run(["sacct", "-X", "-n"], capture_output=True, text=True)
    if slurm.accounting_disabled(sacct.stdout + sacct.stderr):
        assert "# slurm-status-command: squeue" in text, "README's line for clusters without accounting is gone"
        text = text.replace("# slurm-status-command: squeue", "slurm-status-command: squeue")
    for key, value in extra.items():
        text, n = re.subn(rf"^{key}: .*$", f"{key}: {value}", text, flags=re.M)
        assert n == 1, key
    path.write_text(text)
    return path.parent


def _preflight(work: Path, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mlalab.cluster.preflight", "--profile", str(profile), *args],
                          cwd=work, env=smk.env_for(work), capture_output=True, text=True, timeout=600)


def test_preflight_refuses_more_cpus_than_the_node_has(tmp_path):
    _cluster_or_skip()
    work = smk.copy_pipeline(tmp_path / "work")
    cpus = max(int(c) for c in subprocess.run(["sinfo", "-h", "-N", "-o", "%c"], capture_output=True, text=True,
                                              check=True).stdout.split())
    profile = _user_profile(work, cores=str(cpus + 2))
    run = _preflight(work, profile, "--configfile", "config.quick.yaml")
    assert run.returncode == 1, run.stdout + run.stderr
    for rule in ("train", "latency", "peak", "part3_resnet18_q1"):
        assert (f"rule {rule} asks {cpus + 2} CPUs per job (--cpus-per-task={cpus + 2}), but partition "
                f"{_default_partition()} has at most {cpus} CPUs per node") in run.stderr, run.stderr
    assert not (work / ".snakemake" / "slurm_logs").exists(), "nothing may be submitted"


def test_quick_build_through_slurm_executor(tmp_path):
    _cluster_or_skip()
    mnist = smk.mnist_dir()
    work = smk.copy_pipeline(tmp_path / "work")
    profile = _user_profile(work)
    results = "results/quick"
    experiment = os.environ.get("MLALAB_SLURM_TARGET", "report")
    if experiment == "report":
        targets = [f"{results}/report/report.html", f"{results}/report/report.pdf"]
    else:
        targets = [f"{results}/tables/{experiment}.csv", f"{results}/tables/{experiment}_layers.csv"]
    args = ["--configfile", "config.quick.yaml", "--config", f"mnist_dir={mnist}", f"results={results}"]

    pre = _preflight(work, profile, *targets, *args)
    assert pre.returncode == 0, pre.stdout + pre.stderr

    t0 = time.perf_counter()
    try:
        run = smk.snakemake(work, *targets, "--profile", str(profile), *args, timeout=HARD_TIMEOUT_S)
    finally:
        # Whatever happened, leave no job of this test queued or running.
        left = subprocess.run(["squeue", "-h", "-o", "%i"], capture_output=True, text=True).stdout.split()
        if left:
            subprocess.run(["scancel", *left])
    print(f"SLURM build of {targets} (quick) took {time.perf_counter() - t0:.0f}s")
    (tmp_path / "snakemake.log").write_text(run.out)
    run.check()
    for t in targets:
        assert (work / t).stat().st_size > 0, t

    planned = collections.Counter(j.rule for j in slurm.requests(run.out))   # cluster jobs: not the localrules
    submitted = SUBMITTED.findall(run.out)
    assert planned and submitted, run.out[-3000:]
    assert {"train", "latency", "profile"} <= set(planned), planned
    # the Snakefile's localrules ran here, on the submit host, and were not submitted
    local = set(re.findall(r"^localrule (\w+):", run.out, re.M))
    assert {"mnist", "experiment_table"} <= local and not local & set(planned), (local, planned)
    if experiment == "report":
        assert "peak" in planned and {"report", "part3_table"} <= local, (planned, local)
    # Small jobs travel together: fewer sbatch jobs than Snakemake jobs.
    assert len(submitted) < sum(planned.values()), (len(submitted), planned)
    # Every SLURM log is kept (successful ones too), names the node it ran on, and together they show every
    # planned job finishing inside a SLURM allocation.
    finished = collections.Counter()
    for _, slurm_id, log in submitted:
        text = Path(log).read_text()
        assert Path(log).name == f"{slurm_id}.log" and "Host: " in text, log
        finished.update(re.findall(r"Finished jobid: \d+ \(Rule: (\w+)\)", text))
    assert all(finished[rule] >= n for rule, n in planned.items()), (planned, finished)


def test_ctrl_c_cancels_the_submitted_jobs(tmp_path):
    """README: Ctrl-C stops a cluster run and scancels what it submitted; nothing is left queued or running."""
    _cluster_or_skip()
    mnist = smk.mnist_dir()
    work = smk.copy_pipeline(tmp_path / "work")
    profile = _user_profile(work)
    # one group job of the Part 3 counters (~30 s): still running when Ctrl-C comes, so it must be cancelled
    targets = [f"results/quick/part3/{t}" for t in ("bert/counts.json", "bert/gemms.json", "resnet18/counts.json")]
    cmd = [*smk.SNAKEMAKE, *targets, "--nocolor", "--profile", str(profile),
           "--configfile", "config.quick.yaml", "--config", f"mnist_dir={mnist}", "results=results/quick"]
    # a shell without job control starts background commands with SIGINT ignored, and Python keeps that: restore
    # the terminal's default so the signal below is the user's Ctrl-C however the tests were launched
    proc = subprocess.Popen(cmd, cwd=work, env=smk.env_for(work), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines, slurm_ids = [], []
    try:
        for line in proc.stdout:
            lines.append(line)
            slurm_ids += [m[1] for m in SUBMITTED.findall(line)]
            if slurm_ids:
                break
        assert slurm_ids, "".join(lines[-40:])
        # the plugin prints the submission before it registers the job for cancellation (CI once sent Ctrl-C in
        # between, and the job ran to COMPLETED): press Ctrl-C once the job runs, as a user watching squeue would
        _poll_states(slurm_ids, lambda states: "RUNNING" in states, timeout_s=60)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            subprocess.run(["scancel", *slurm_ids])
    out = "".join(lines) + out
    assert proc.returncode != 0, out[-3000:]
    # scancel is asynchronous: the job takes a moment to leave RUNNING after Snakemake has exited
    states = _poll_states(slurm_ids, lambda states: not ACTIVE.search(states), timeout_s=60)
    active = ACTIVE.search(states)
    print(f"after Ctrl-C: {states.strip()}")
    assert not active, (states, out[-3000:])
    assert "CANCELLED" in states, (states, out[-3000:])
