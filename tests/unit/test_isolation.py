"""Timed jobs side by side: each claims cores no other job holds, and pins itself to them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlalab.isolation import timed_threads

REPO = Path(__file__).resolve().parents[2]
CLAIM = ("import json, os, sys, time; from mlalab.isolation import claim_cores; got = claim_cores(1); "
         "print(json.dumps([got, sorted(os.sched_getaffinity(0))]), flush=True); time.sleep(float(sys.argv[1]))")


def test_timed_threads_follow_the_isolation_setting():
    assert timed_threads("exclusive", 8) == 8
    assert timed_threads("pinned", 8) == 1 and timed_threads("pinned", 8, threads=4) == 4
    assert timed_threads("pinned", 2, threads=4) == 2          # never more than Snakemake's cores
    assert timed_threads("pinned", 8, whole_machine=True) == 8  # a latency job holds the machine, computes on 1
    assert timed_threads("shared", 8, whole_machine=True) == 1  # shared: timed jobs side by side
    assert timed_threads("pinned", 6, threads="all") == 6 and timed_threads("shared", 3, threads="all") == 3
    with pytest.raises(ValueError, match="timing.isolation"):
        timed_threads("sometimes", 2)


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two cores")
def test_two_jobs_claim_different_cores(tmp_path):
    env = {**os.environ, "MLALAB_CORE_LOCKS": str(tmp_path)}
    first = subprocess.Popen([sys.executable, "-c", CLAIM, "3"], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    line = first.stdout.readline()          # the first job holds its core now
    second = subprocess.run([sys.executable, "-c", CLAIM, "0"], cwd=REPO, env=env, capture_output=True, text=True,
                            check=True).stdout
    first.wait()
    (a, pinned_a), (b, pinned_b) = json.loads(line), json.loads(second)
    assert len(a) == len(b) == 1 and a != b
    assert pinned_a == a and pinned_b == b


def test_a_cluster_run_is_recognised_from_the_command_line(tmp_path):
    from mlalab.isolation import cluster_executor

    assert cluster_executor(["snakemake", "--executor", "slurm"], {})
    assert cluster_executor(["snakemake", "--profile", str(REPO / "profiles" / "slurm"), "-n"], {})
    assert not cluster_executor(["snakemake", "--cores", "2"], {})
    local = tmp_path / "local"
    local.mkdir()
    (local / "config.yaml").write_text("cores: 2\n")
    assert not cluster_executor(["snakemake", "--profile", str(local)], {})
    assert cluster_executor(["snakemake"], {"SNAKEMAKE_PROFILE": str(REPO / "profiles" / "slurm-gpu")})


HOLD = ("import json, os, sys, time; from mlalab.isolation import claim_cores, register_job; "
        "register_job('latency ' + sys.argv[2]); got = claim_cores(1, hold=2, wait_s=float(sys.argv[3])); "
        "print(json.dumps([got, sorted(os.sched_getaffinity(0)), time.time()]), flush=True); "
        "time.sleep(float(sys.argv[1]))")


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two cores")
def test_a_timed_job_waits_for_the_whole_machine_and_names_its_neighbours(tmp_path):
    import time

    from mlalab import isolation

    env = {**os.environ, "MLALAB_CORE_LOCKS": str(tmp_path)}
    first = subprocess.Popen([sys.executable, "-c", HOLD, "2", "a", "0"], cwd=REPO, env=env,
                             stdout=subprocess.PIPE, text=True)
    got_a, pinned_a, t_a = json.loads(first.stdout.readline())      # holds both cores, computes on one
    assert len(got_a) == 1 and pinned_a == got_a
    old = isolation.LOCK_DIR
    try:
        isolation.LOCK_DIR = tmp_path
        assert isolation.running_jobs() == {"latency a"}
    finally:
        isolation.LOCK_DIR = old
    busy = subprocess.run([sys.executable, "-c", HOLD, "0", "b", "0.3"], cwd=REPO, env=env, capture_output=True,
                          text=True)
    assert busy.returncode != 0 and "CoresBusy" in busy.stderr    # not measured beside the first
    waited = subprocess.run([sys.executable, "-c", HOLD, "0", "c", "30"], cwd=REPO, env=env, capture_output=True,
                            text=True, check=True)
    first.wait()
    got_c, _, t_c = json.loads(waited.stdout)
    assert len(got_c) == 1 and t_c >= t_a + 1.5                   # it started once the first had let go
    time.sleep(0.1)
    isolation.LOCK_DIR = tmp_path
    try:
        assert isolation.running_jobs() == set()                    # ended jobs are swept
        assert not list((tmp_path / "jobs").glob("*.job"))
    finally:
        isolation.LOCK_DIR = old
