"""One build per results folder, stale temporary files swept (mlalab.io), and no job outliving its build
(mlalab.runner)."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from mlalab import runner
from mlalab.io import LOCK_NAME, BuildRunning, hold_build_lock, sweep_temporaries

ROOT = Path(__file__).resolve().parents[2]


def _python(code: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.pop(runner.BUILD, None)
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=env, cwd=ROOT, **kwargs)


def _wait_for(path: Path, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.1)


def test_a_second_build_of_the_folder_is_refused_naming_the_first(tmp_path):
    first = _python(f"""
        import time
        from mlalab.io import hold_build_lock
        hold_build_lock({str(tmp_path)!r}, ["snakemake", "--cores", "2", "--forcerun", "train"])
        open({str(tmp_path / 'held')!r}, "w").close()
        time.sleep(120)
    """)
    try:
        _wait_for(tmp_path / "held")
        with pytest.raises(BuildRunning) as e:
            hold_build_lock(tmp_path)
        assert f"pid {first.pid}" in str(e.value) and "snakemake --cores 2 --forcerun train" in str(e.value)
        assert str(tmp_path) in str(e.value) and "started " in str(e.value)
    finally:
        first.kill()
        first.wait()
    hold_build_lock(tmp_path)   # the kernel released it with the process: no stale lock to remove by hand
    assert f"pid {os.getpid()}" in (tmp_path / LOCK_NAME).read_text()


def test_stale_temporary_files_are_swept_but_not_outputs_or_a_comparison_in_progress(tmp_path):
    stale = [tmp_path / "report" / ".report.pdf.k2j3.tmp", tmp_path / "tables" / ".part1b.csv.x.tmp"]
    kept = [tmp_path / "report" / "report.pdf", tmp_path / "compare" / ".compare.html.a.tmp",
            tmp_path / "tables" / "part1b.csv"]
    for p in stale + kept:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"")
    assert sorted(sweep_temporaries(tmp_path)) == sorted(stale)
    assert all(p.exists() for p in kept) and not any(p.exists() for p in stale)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="builds are watched through /proc")
def test_a_job_ends_when_its_build_is_killed(tmp_path):
    """kill -9 of Snakemake: its job (bash -> python, as Snakemake runs a script) stops within seconds, leaving
    neither its output nor its temporary file, instead of writing its outputs later under PID 1."""
    out, pidfile = tmp_path / "report.pdf", tmp_path / "job.pid"
    job = textwrap.dedent(f"""
        import os, time
        from types import SimpleNamespace
        from mlalab.io import atomic_path
        from mlalab.runner import run

        def body():
            with atomic_path({str(out)!r}) as tmp:
                tmp.write_text("half")
                open({str(pidfile)!r}, "w").write(str(os.getpid()))
                time.sleep(60)
                tmp.write_text("whole")
            return None

        params = SimpleNamespace(keys=lambda: [])
        config = {{"results": "r", "timing": {{"isolation": "exclusive"}}}}   # the keys the runner reads
        run(SimpleNamespace(params=params, rule="report", wildcards=[], config=config, input=[], output=[],
                            threads=1, log=[]), body)
    """)
    build = _python(f"""
        import shlex, subprocess, sys, time
        from mlalab.runner import mark_build
        mark_build()
        subprocess.Popen(["bash", "-c", "set -e; " + shlex.quote(sys.executable) + " -c " + shlex.quote({job!r})
                          + "; true"])
        time.sleep(120)
    """)
    try:
        _wait_for(pidfile)
        pid = int(pidfile.read_text())
        build.send_signal(signal.SIGKILL)
        build.wait()
        deadline = time.monotonic() + 15
        while Path(f"/proc/{pid}").exists() and Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z":
            assert time.monotonic() < deadline, "the job went on after its build was killed"
            time.sleep(0.2)
    finally:
        build.kill()
    assert not out.exists() and list(tmp_path.glob(".report.pdf.*.tmp")) == []


def test_mark_build_keeps_an_enclosing_build_and_replaces_a_dead_or_foreign_one():
    env = {}
    runner.mark_build(env)
    assert env[runner.BUILD].endswith(f":{os.getpid()}:{runner._start_time(os.getpid())}")
    own = env[runner.BUILD]
    runner.mark_build(env)
    assert env[runner.BUILD] == own
    for stale in ("elsewhere:1:1", f"{own.split(':')[0]}:999999999:1", "garbage"):
        env = {runner.BUILD: stale}
        runner.mark_build(env)
        assert env[runner.BUILD] == own
