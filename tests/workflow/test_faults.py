"""Faults a user meets outside the lab itself (docs/faults.md): a second build of the same results folder, a killed
job's temporary file, another working directory. Each on a fresh copy of the pipeline, with only the seconds-long
`mnist` job or a dry run: nothing here needs a built lab."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import smk


def _targets(work: Path) -> list[str]:
    return [f"results/quick/data/mnist/{name}" for name in smk.MNIST_FILES]


def _args(mnist: Path) -> tuple[str, ...]:
    return ("--cores", "1", "--configfile", "config.quick.yaml", "--config", f"mnist_dir={mnist}")


def test_a_second_build_is_refused_naming_the_first_and_a_killed_jobs_temporary_file_is_swept(tmp_path):
    from mlalab.io import LOCK_NAME

    mnist = smk.mnist_dir()
    work = smk.copy_pipeline(tmp_path / "work")
    results = work / "results" / "quick"
    stale = results / "report" / ".report.pdf.k2j3x9.tmp"   # what a job killed mid-write leaves
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"")
    first = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from mlalab.io import hold_build_lock
        hold_build_lock({str(results)!r}, ["snakemake", "--cores", "2", "--forcerun", "train"])
        open({str(tmp_path / 'held')!r}, "w").close()
        time.sleep(600)
    """)], cwd=work, env=smk.env_for(work))
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "held").exists():
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.1)
        # a dry run needs no lock: it runs nothing
        assert smk.dry_run(work, *_args(mnist)[2:]), "the dry run should list the lab's jobs"
        second = smk.snakemake(work, *_targets(work), *_args(mnist), timeout=600)
        assert second.returncode != 0
        assert (f"{results.relative_to(work)} is being built by another Snakemake run (pid {first.pid}" in second.out
                and "snakemake --cores 2 --forcerun train" in second.out), second.out[-3000:]
        assert not (results / "data" / "mnist" / next(iter(smk.MNIST_FILES))).exists()   # refused before any job
        assert stale.exists()                                                    # and before any sweep
    finally:
        first.kill()
        first.wait()
    smk.snakemake(work, *_targets(work), *_args(mnist), timeout=600).check()   # the kernel freed the lock
    assert not stale.exists() and (results / LOCK_NAME).exists()
    assert all((results / "data" / "mnist" / name).exists() for name in smk.MNIST_FILES)


def test_another_working_directory_plans_the_same_jobs(tmp_path):
    """`snakemake -s COPY/Snakefile -d OTHER`: the workflow's config.yaml, scripts, templates and modules are
    found from its own folder; the results go under OTHER."""
    mnist = smk.mnist_dir()
    copy = smk.copy_pipeline(tmp_path / "copy")
    other = tmp_path / "other"
    other.mkdir()
    here = smk.dry_run(copy, "--config", f"mnist_dir={mnist}")
    out = subprocess.run([*smk.SNAKEMAKE, "-s", str(copy / "Snakefile"), "-d", str(other), "-n", "--nocolor",
                          "--cores", "1", "--config", f"mnist_dir={mnist}"], cwd=tmp_path, env=smk.env_for(copy),
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, (out.stdout + out.stderr)[-3000:]
    jobs = smk.parse_jobs(out.stdout + out.stderr)
    assert {smk.job_key(j) for j in jobs if j["rule"] != "all"} == here
    inputs = {p for j in jobs for p in j["input"] if not p.startswith("results/")}
    assert inputs and all((other / p).resolve().is_file() for p in inputs), sorted(inputs)[:5]


def test_a_comparison_of_other_folders_runs_beside_a_build(tmp_path):
    """`compare` reads other folders and writes only under {results}/compare: it takes no build lock, so it runs
    while a build holds the folder."""
    import json
    import shutil

    import yaml

    from mlalab.plan.schema import validate
    from mlalab.stages.machine import describe_machine

    fixtures = Path(__file__).resolve().parents[1] / "fixtures"
    config = validate(yaml.safe_load((fixtures / "config.yaml").read_text()))   # as the Snakefile leaves it
    folders = []
    for name in ("a", "b"):
        folder = tmp_path / name
        shutil.copytree(fixtures / "tables", folder / "tables")
        tables = {n: str(folder / "tables" / f"{n}.csv") for n in config["experiments"]}
        part3 = {n: str(folder / "tables" / f"{n}.csv") for n in ("part3_resnet18_latency", "part3_bert_latency")}
        (folder / "machine.json").write_text(json.dumps(describe_machine(config, tables, part3, log=lambda m: None)))
        folders.append(str(folder))
    work = smk.copy_pipeline(tmp_path / "work")
    results = work / "results" / "quick"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from mlalab.io import hold_build_lock
        hold_build_lock({str(results)!r})
        open({str(tmp_path / 'held')!r}, "w").close()
        time.sleep(600)
    """)], cwd=work, env=smk.env_for(work))
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "held").exists():
            assert time.monotonic() < deadline and holder.poll() is None
            time.sleep(0.1)
        smk.snakemake(work, "compare", "--cores", "1", "--configfile", "config.quick.yaml", "--config",
                      f"compare=[{','.join(folders)}]", timeout=900).check()
    finally:
        holder.kill()
        holder.wait()
    assert (results / "compare" / "compare.html").stat().st_size > 0
