"""Reruns a user can trust: where MNIST comes from is not a rerun trigger (the four files are defined by their
SHA-256), and a failure of the machine is not cached as a result (the next plain run retries it)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import smk

QUICK = smk.QUICK


def _without_mnist_dir(work: Path) -> None:
    cfg = smk.read_yaml(work / "config.quick.yaml")
    cfg.pop("mnist_dir", None)
    smk.write_yaml(work / "config.quick.yaml", cfg)


def mnist_source_plans_nothing(work: Path, tmp_path: Path, *targets: str) -> None:
    """Dropping mnist_dir (the README's no-op command), giving it as a relative path, or pointing it at another
    folder holding the same files plans exactly what the build's own config plans (nothing, after a build)."""
    mnist = Path(smk.read_yaml(work / "config.quick.yaml")["mnist_dir"])
    before = smk.dry_run(work, *targets, *QUICK)
    other = tmp_path / "elsewhere"
    shutil.copytree(mnist, other)
    for value in (os.path.relpath(mnist, work), str(other)):
        assert smk.dry_run(work, *targets, *QUICK, "--config", f"mnist_dir={value}") == before, value
    _without_mnist_dir(work)
    assert smk.dry_run(work, *targets, *QUICK) == before
    # ... and the verified files are still there: nothing was deleted, nothing would be downloaded
    assert all((work / "results" / "quick" / "data" / "mnist" / n).exists() for n in smk.MNIST_FILES)


def test_where_mnist_comes_from_plans_nothing(built, tmp_path):
    work = smk.copy_built(built, tmp_path / "work")
    assert smk.dry_run(work, *QUICK) == set()
    mnist_source_plans_nothing(work, tmp_path)


def test_without_the_files_the_data_step_runs_from_mnist_dir(built, tmp_path):
    """The data step still runs where its files are missing, and copies from mnist_dir (a relative path)."""
    work = smk.copy_built(built, tmp_path / "work")
    data = work / "results" / "quick" / "data" / "mnist"
    mnist = Path(smk.read_yaml(work / "config.quick.yaml")["mnist_dir"])
    shutil.rmtree(data)
    _without_mnist_dir(work)
    target = str((data / "t10k-labels-idx1-ubyte").relative_to(work))
    assert smk.dry_run(work, target, *QUICK) == {"mnist"}
    run = smk.snakemake(work, target, "--cores", "1", *QUICK, "--config",
                        f"mnist_dir={os.path.relpath(mnist, work)}", timeout=600).check()
    assert "sha256 ok" in run.out and sorted(p.name for p in data.iterdir()) == sorted(smk.MNIST_FILES)


def test_missing_mnist_fails_under_ci_and_is_skipped_elsewhere(monkeypatch):
    """Tests that need real MNIST must not pass by skipping in CI (.ci/run sets CI)."""
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="under CI"):
        smk.missing_mnist()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        smk.missing_mnist()
