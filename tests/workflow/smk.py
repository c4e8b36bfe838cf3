"""Helpers for tests that drive the real Snakemake workflow: a private copy of the pipeline, snakemake runs in
it, and the dry-run job list parsed into exact sets of (rule, wildcards) jobs.

Every test works in a copy of the pipeline (Snakefile, workflow/, scripts/, mlalab/, templates/, configs) under a
temporary folder, so touching a module or rewriting config.yaml there never disturbs the checkout, and the
copy's own `mlalab` is the one imported (PYTHONPATH wins over the editable install's finder).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from mlalab.cluster import dryrun
from mlalab.plan.mnist import FILES as MNIST_FILES  # noqa: F401 - the four file names, for tests

REPO = Path(__file__).resolve().parents[2]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
_IGNORE = shutil.ignore_patterns(".git", ".snakemake", "results", "tests", "__pycache__", "*.egg-info",
                                 ".pytest_cache", ".ruff_cache", ".venv", "*.pyc", ".ci")


def mnist_dir() -> Path:
    """The MNIST IDX files the tests copy (never download): $MLALAB_MNIST_DIR, else ../shared/data/mnist.

    Without them a test that builds the pipeline is skipped on a developer's machine, but fails under CI
    (`CI` set, as CI systems and .ci/run do): a CI run must not look green while leaving those tests out."""
    for cand in (os.environ.get("MLALAB_MNIST_DIR"), REPO.parent / "shared" / "data" / "mnist"):
        if cand and (Path(cand) / "train-images-idx3-ubyte.gz").exists() or (
                cand and (Path(cand) / "train-images-idx3-ubyte").exists()):
            return Path(cand).resolve()
    missing_mnist()


def missing_mnist():
    reason = "no local MNIST files: set MLALAB_MNIST_DIR (tests never download)"
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        pytest.fail(f"{reason}; under CI a test that needs them fails instead of being skipped", pytrace=False)
    pytest.skip(reason)


def copy_pipeline(dest: Path) -> Path:
    """Copy the pipeline's sources (not results, not .snakemake) to `dest`, keeping file times."""
    shutil.copytree(REPO, dest, ignore=_IGNORE, symlinks=True, dirs_exist_ok=True)
    return dest


@dataclass
class Run:
    returncode: int
    out: str
    seconds: float

    def check(self) -> Run:
        assert self.returncode == 0, f"snakemake failed (rc {self.returncode}):\n{self.out[-6000:]}"
        return self


def env_for(workdir: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(workdir), *filter(None, [env.get("PYTHONPATH")])])
    env.setdefault("OMP_NUM_THREADS", "1")
    env["PYTHONHASHSEED"] = "0"
    return env


def snakemake(workdir: Path, *args: str, timeout: float = 1800) -> Run:
    """Run snakemake in `workdir`; on timeout the whole process group is SIGKILLed (nothing left running)."""
    cmd = [*SNAKEMAKE, "--nocolor", *args]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=workdir, env=env_for(workdir), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        raise AssertionError(f"snakemake {' '.join(args)} ran past {timeout}s; killed.\n{out[-6000:]}") from None
    return Run(proc.returncode, out, time.perf_counter() - t0)


# ---- dry runs -> exact job sets -------------------------------------------------------------------------

def parse_jobs(text: str) -> list[dict]:
    """The jobs a `snakemake -n` would run: one dict per job with rule, wildcards (dict), output (list)."""
    return dryrun.jobs(text)


def job_key(job: dict) -> str:
    wc = ",".join(f"{k}={v}" for k, v in sorted(job["wildcards"].items()))
    return f"{job['rule']}[{wc}]" if wc else job["rule"]


def dry_run(workdir: Path, *args: str) -> set[str]:
    """Exact set of jobs (as 'rule[wildcards]') a run would execute now, without the `all` target job."""
    run = snakemake(workdir, "-n", "--cores", "1", *args, timeout=600)
    run.check()
    jobs = {job_key(j) for j in parse_jobs(run.out) if j["rule"] != "all"}
    if not jobs:
        assert "Nothing to be done" in run.out, run.out[-3000:]
    return jobs


def jobs(rule: str, name: str | None = None, values=()) -> set[str]:
    """Expected keys: jobs('train', 'run', run_ids) -> {'train[run=...]', ...}; jobs('mnist') -> {'mnist'}."""
    if name is None:
        return {rule}
    return {f"{rule}[{name}={v}]" for v in values}


def write_yaml(path: Path, obj) -> Path:
    path.write_text(yaml.safe_dump(obj, sort_keys=False))
    return path


def read_yaml(path: Path):
    return yaml.safe_load(Path(path).read_text())


class Dag:
    """The whole job graph of a configuration (a forced dry run lists every job with its inputs and outputs)."""

    def __init__(self, workdir: Path, *args: str):
        run = snakemake(workdir, "-n", "-F", "--cores", "1", *args, timeout=600).check()
        self.jobs = {job_key(j): j for j in parse_jobs(run.out) if j["rule"] != "all"}
        producer = {out: key for key, j in self.jobs.items() for out in j["output"]}
        self.children: dict[str, set[str]] = {k: set() for k in self.jobs}
        for key, j in self.jobs.items():
            for inp in j["input"]:
                if inp in producer:
                    self.children[producer[inp]].add(key)

    def of_rule(self, *rules: str) -> set[str]:
        return {k for k, j in self.jobs.items() if j["rule"] in rules}

    def using(self, path: str) -> set[str]:
        """Jobs that declare `path` (e.g. a package module or a template) as an input."""
        return {k for k, j in self.jobs.items() if path in j["input"]}

    def with_downstream(self, keys: set[str]) -> set[str]:
        """`keys` and every job that consumes, directly or not, what they make."""
        todo, seen = list(keys), set(keys)
        while todo:
            for child in self.children[todo.pop()]:
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        return seen


def rules_of(keys: set[str]) -> set[str]:
    return {k.split("[", 1)[0] for k in keys}


# ---- one full build of the quick configuration, shared by every test module of a pytest session ----------

QUICK = ("--configfile", "config.quick.yaml")
_BUILD: dict[str, Path] = {}


def built_fixture():
    """A session fixture: a private copy of the pipeline with the quick configuration fully built, once per
    pytest process however many modules use it (tests/workflow/conftest.py provides it as `built`)."""

    @pytest.fixture(scope="session")
    def built(tmp_path_factory) -> Path:
        reuse = os.environ.get("MLALAB_TEST_BUILT")   # developer shortcut: a workdir built by this fixture
        if reuse and "work" not in _BUILD:
            _BUILD["work"] = Path(reuse)
        if "error" in _BUILD:               # built once per session, failed: do not build again per module
            pytest.fail(f"the quick build failed earlier in this session: {_BUILD['error']}")
        if "work" not in _BUILD:
            mnist = mnist_dir()
            work = copy_pipeline(tmp_path_factory.mktemp("quick-build") / "work")
            # mnist_dir goes into the copy's quick config, so every later run sees the config of the build.
            cfg = read_yaml(work / "config.quick.yaml")
            cfg["mnist_dir"] = str(mnist)
            write_yaml(work / "config.quick.yaml", cfg)
            run = snakemake(work, "--cores", str(min(2, os.cpu_count() or 1)), *QUICK, timeout=3600)
            (work / "build.log").write_text(run.out)
            if run.returncode != 0:
                _BUILD["error"] = f"rc {run.returncode}, log {work / 'build.log'}"
            run.check()
            print(f"quick build: {run.seconds:.0f}s")
            _BUILD["work"] = work
        return _BUILD["work"]

    return built


def copy_built(built: Path, dest: Path) -> Path:
    """A copy of a built workdir (results, .snakemake metadata, file times kept) to change freely."""
    shutil.copytree(built, dest, symlinks=True, copy_function=shutil.copy2)
    return dest
